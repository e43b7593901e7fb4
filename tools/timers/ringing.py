"""Ring timers on the agent's scheduler: one job per running timer, and a sweep that picks up timers
set while Hearth was off or by another process (``hearth tools run start_timer``).

A timer that ended while Hearth was not running rings at the next start with ``late_s > 0``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from hearth import CountdownFinished, Event, Scheduler, Storage

from . import store

log = logging.getLogger(__name__)

Emit = Callable[[Event], Awaitable[Any]]

SWEEP_KEY = ("timers", "sweep")
KIND = "timer"  # the countdown events' kind
SWEEP_EVERY_S = 30.0


def job_key(timer_id: int) -> tuple[str, int]:
    return ("timer", timer_id)


def ring_at(scheduler: Scheduler, storage: Storage, emit: Emit, timer_id: int, ends_at: float) -> None:
    """Ring timer ``timer_id`` at ``ends_at`` (replacing a job already set for it)."""
    scheduler.at(ends_at, lambda: _ring(scheduler, storage, emit, timer_id), key=job_key(timer_id))


def forget(scheduler: Scheduler, timer_id: int) -> None:
    """A timer was cancelled: drop its job."""
    scheduler.cancel(job_key(timer_id))


async def _ring(scheduler: Scheduler, storage: Storage, emit: Emit, timer_id: int) -> None:
    now = scheduler.now()

    def mark() -> store.Timer | None:
        with storage.session() as s:
            return store.finish(s, timer_id, now)

    row = await asyncio.to_thread(mark)
    if row is None:  # cancelled, or another process announced it
        return
    what = f"Your {row.name} timer" if row.name else "Your timer"
    await emit(CountdownFinished(session=row.session, turn_id="", kind=KIND, id=timer_id, name=row.name,
                                 duration_s=row.duration_s, late_s=round(max(0.0, now - row.ends_at), 3),
                                 say=f"{what} is done."))


async def sweep(scheduler: Scheduler, storage: Storage, emit: Emit) -> None:
    """Give every running timer a job, then sweep again in ``SWEEP_EVERY_S``."""
    def read() -> list[tuple[int, float]]:
        with storage.session() as s:
            return [(r.id, r.ends_at) for r in store.all_running(s) if r.id is not None]

    try:
        rows = await asyncio.to_thread(read)
    except Exception:
        log.exception("timers: could not read the timers table; trying again")
        rows = []
    for timer_id, ends_at in rows:
        if not scheduler.scheduled(job_key(timer_id)):
            ring_at(scheduler, storage, emit, timer_id, ends_at)
    scheduler.after(SWEEP_EVERY_S, lambda: sweep(scheduler, storage, emit), key=SWEEP_KEY)
