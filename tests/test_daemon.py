"""start_daemon: work starts at once on a daemon thread, a finished thread is reused, a busy one is
never waited for, and an exception reaches the awaiting side."""

from __future__ import annotations

import asyncio
import threading

import pytest

from hearth.daemon import start_daemon


async def test_a_finished_thread_takes_the_next_work():
    first = await start_daemon(threading.get_ident, "first")
    second = await start_daemon(threading.get_ident, "second")
    assert first == second  # the same thread, waiting idle in between


async def test_work_runs_on_a_named_daemon_thread():
    name, daemon = await start_daemon(lambda: (threading.current_thread().name, threading.current_thread().daemon), "tool x")
    assert name == "tool x" and daemon


async def test_a_busy_thread_is_not_waited_for():
    release = threading.Event()
    hung = start_daemon(lambda: release.wait(10), "hung")
    try:
        other = await asyncio.wait_for(start_daemon(lambda: "done", "other"), 2)
        assert other == "done" and not hung.done()
    finally:
        release.set()
    assert await hung is True


async def test_an_exception_reaches_the_awaiting_side():
    def fail() -> None:
        raise ValueError("broken tool")

    with pytest.raises(ValueError, match="broken tool"):
        await start_daemon(fail, "fails")
    assert await start_daemon(lambda: 7, "after") == 7  # the thread that raised serves again
