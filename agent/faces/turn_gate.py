"""The server's turn gate: how many turns run at once, and how many may wait before ``busy``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from hearth.faces.settings import ServerError


class TurnGate:
    """At most ``capacity`` turns at once; at most ``max_waiting`` more wait (FIFO); beyond, busy."""

    def __init__(self, capacity: int, max_waiting: int) -> None:
        self.capacity = capacity
        self.max_waiting = max_waiting
        self._sem = asyncio.Semaphore(capacity)
        self.running = 0
        self.waiting = 0

    @asynccontextmanager
    async def slot(self, on_queued: Callable[[int], Awaitable[None]] | None = None) -> AsyncIterator[None]:
        if self._sem.locked() or self.waiting:
            if self.waiting >= self.max_waiting:
                raise ServerError(f"Hearth is busy: {self.running} turns running and {self.waiting} waiting; "
                                  "try again in a moment.", "busy")
            self.waiting += 1
            try:
                if on_queued is not None:
                    await on_queued(self.waiting)
                await self._sem.acquire()
            finally:
                self.waiting -= 1
        else:
            await self._sem.acquire()
        self.running += 1
        try:
            yield
        finally:
            self.running -= 1
            self._sem.release()

    def status(self) -> dict[str, int]:
        return {"running": self.running, "waiting": self.waiting, "capacity": self.capacity, "queue": self.max_waiting}
