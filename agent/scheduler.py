"""The agent's scheduler: run a callback at a time on the wall clock, or on a clock a test moves.

One :class:`Scheduler` per :class:`hearth.Agent` (``agent.scheduler``; tools reach it as
``ctx.scheduler``). Times are seconds since the epoch, as :meth:`Scheduler.now` reads them, so a
time stored in a database survives a restart. A job sleeps in steps of at most
``Scheduler.max_sleep_s`` and re-reads the clock after each, so a suspended machine or a clock change
delays a job by at most that much. Tests pass a :class:`ManualClock` and move it with
:meth:`ManualClock.advance`.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger(__name__)

Callback = Callable[[], Awaitable[None] | None]


class Clock(Protocol):
    """Where the scheduler reads the time and how it waits."""

    def now(self) -> float:
        """Seconds since the epoch."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on this clock."""
        ...


class WallClock:
    """The real clock: ``time.time()`` and ``asyncio.sleep``."""

    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ManualClock:
    """A clock that moves only when told to (tests): ``await clock.advance(60)``."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._now = start
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (self._now + seconds, fut)
        self._sleepers.append(entry)
        try:
            await fut
        finally:
            if entry in self._sleepers:
                self._sleepers.remove(entry)

    async def advance(self, seconds: float) -> None:
        """Move the clock forward, stopping at each sleeper's deadline on the way, so what sleeps
        wakes in time order and reads the time it asked for."""
        target = self._now + seconds
        while True:
            due = [d for d, fut in self._sleepers if d <= target and not fut.done()]
            if not due:
                break
            self._now = max(self._now, min(due))
            for deadline, fut in list(self._sleepers):
                if deadline <= self._now and not fut.done():
                    fut.set_result(None)
            await _let_others_run()
        self._now = target
        await _let_others_run()


async def _let_others_run() -> None:
    for _ in range(5):  # woken tasks reach their next await
        await asyncio.sleep(0)


@dataclass(eq=False)
class Job:
    """One scheduled callback; ``key`` names it for :meth:`Scheduler.cancel`."""

    key: Hashable
    when: float
    fn: Callback
    task: asyncio.Task[None] | None = field(default=None, repr=False)
    running: bool = False


class Scheduler:
    """Run callbacks at given times; each job is one asyncio task. Use it from the event loop."""

    max_sleep_s = 30.0

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or WallClock()
        self._jobs: dict[Hashable, Job] = {}
        self._running: set[Job] = set()
        self._ids = 0

    def now(self) -> float:
        """The scheduler's time, seconds since the epoch."""
        return self.clock.now()

    def at(self, when: float, fn: Callback, *, key: Hashable | None = None) -> Hashable:
        """Call ``fn`` (sync or async) at ``when`` (or at once if that has passed); returns the key.

        A job already waiting under the same ``key`` is replaced. A raising callback is logged.
        """
        if key is None:
            self._ids += 1
            key = ("job", self._ids)
        self.cancel(key)
        job = Job(key, when, fn)
        self._jobs[key] = job
        job.task = asyncio.get_running_loop().create_task(self._run(job), name=f"hearth-scheduler {key}")
        return key

    def after(self, delay: float, fn: Callback, *, key: Hashable | None = None) -> Hashable:
        """Call ``fn`` ``delay`` seconds from now."""
        return self.at(self.now() + delay, fn, key=key)

    def cancel(self, key: Hashable) -> bool:
        """Drop the job waiting under ``key``; False when none waits (a running callback finishes)."""
        job = self._jobs.pop(key, None)
        if job is None:
            return False
        if job.task is not None and not job.running:
            job.task.cancel()
        return True

    def scheduled(self, key: Hashable) -> bool:
        """Whether a job waits under ``key``."""
        return key in self._jobs

    def pending(self) -> list[Hashable]:
        """Keys of the jobs still waiting, soonest first."""
        return [j.key for j in sorted(self._jobs.values(), key=lambda j: j.when)]

    async def settle(self) -> None:
        """Wait until every job whose time has come has run (tests, after moving a clock)."""
        while True:
            now = self.now()
            due = [j.task for j in (*self._jobs.values(), *self._running)
                   if j.task is not None and not j.task.done() and j.when <= now]
            if not due:
                return
            await asyncio.wait(due)

    async def stop(self, grace_s: float = 5.0) -> None:
        """Drop every waiting job and give callbacks under way ``grace_s`` to finish."""
        for key in list(self._jobs):
            self.cancel(key)
        busy = [j.task for j in self._running if j.task is not None and not j.task.done()]
        if busy:
            _, late = await asyncio.wait(busy, timeout=grace_s)
            for task in late:
                task.cancel()

    async def _run(self, job: Job) -> None:
        while (left := job.when - self.clock.now()) > 0:
            await self.clock.sleep(min(left, self.max_sleep_s))
        if self._jobs.get(job.key) is job:
            del self._jobs[job.key]
        job.running = True
        self._running.add(job)
        try:
            result = job.fn()
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("scheduled job %r failed", job.key)
        finally:
            self._running.discard(job)
