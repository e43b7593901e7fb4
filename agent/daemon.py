"""Run a blocking function on a daemon thread of its own and await it from the event loop.

For work that must start at once rather than queue behind an executor's other calls (a tool's
transaction commit), and for work that may be abandoned (a tool past its timeout): a daemon thread
neither holds up other calls nor keeps the process from exiting. A thread whose work ended waits
``IDLE_S`` for the next, so a turn does not pay for starting threads; one still busy (a hung tool) is
never waited for: the next work gets an idle thread or a new one.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
IDLE_S = 30.0  # how long a finished thread waits for more work before it ends

_idle: list[queue.SimpleQueue[Callable[[], None]]] = []  # the inboxes of threads waiting for work
_idle_lock = threading.Lock()


def start_daemon(fn: Callable[[], T], name: str) -> asyncio.Future[T]:
    """Start ``fn()`` at once on a daemon thread (an idle one, or a new one); the returned future (of the
    running loop) gets its result or its exception. When the loop is gone by the time ``fn`` ends, the
    outcome is dropped."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(value: Any, err: BaseException | None) -> None:
        if not done.done():
            done.set_exception(err) if err is not None else done.set_result(value)

    def work() -> None:
        threading.current_thread().name = name
        try:
            value, err = fn(), None
        except BaseException as e:  # handed to the awaiting side
            value, err = None, e
        try:
            loop.call_soon_threadsafe(settle, value, err)
        except RuntimeError:  # the loop is closed: nobody waits any more
            pass

    with _idle_lock:
        inbox = _idle.pop() if _idle else None
    if inbox is None:
        inbox = queue.SimpleQueue()
        threading.Thread(target=_serve, args=(inbox,), name=name, daemon=True).start()
    inbox.put(work)
    return done


def _serve(inbox: queue.SimpleQueue[Callable[[], None]]) -> None:
    """A daemon thread's life: run the work handed to it, then wait idle for more, up to ``IDLE_S``."""
    while True:
        try:
            work = inbox.get(timeout=IDLE_S)
        except queue.Empty:
            with _idle_lock:
                if inbox in _idle:  # nobody took this thread meanwhile: it ends
                    _idle.remove(inbox)
                    return
            work = inbox.get()  # it was taken just now: its work is on the way
        work()
        with _idle_lock:
            _idle.append(inbox)
