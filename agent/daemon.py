"""Run a blocking function on a daemon thread of its own and await it from the event loop.

For work that must start at once rather than queue behind an executor's other calls (a tool's
transaction commit), and for work that may be abandoned (a tool past its timeout): a daemon thread
neither holds up other calls nor keeps the process from exiting.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def start_daemon(fn: Callable[[], T], name: str) -> asyncio.Future[T]:
    """Start ``fn()`` on a new daemon thread; the returned future (of the running loop) gets its result
    or its exception. When the loop is gone by the time ``fn`` ends, the outcome is dropped."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(value: Any, err: BaseException | None) -> None:
        if not done.done():
            done.set_exception(err) if err is not None else done.set_result(value)

    def work() -> None:
        try:
            value, err = fn(), None
        except BaseException as e:  # handed to the awaiting side
            value, err = None, e
        try:
            loop.call_soon_threadsafe(settle, value, err)
        except RuntimeError:  # the loop is closed: nobody waits any more
            pass

    threading.Thread(target=work, name=name, daemon=True).start()
    return done
