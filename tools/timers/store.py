"""The timers table (its own SQLModel table) and the queries on it.

Timers store their end time as seconds since the epoch on the scheduler's clock, so they survive a
restart. A timer is marked finished (or cancelled) only while it still runs, so each is announced
once, across restarts and processes too.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import update
from sqlmodel import Field, Session, SQLModel, col, select

RUNNING, FINISHED, CANCELLED = "running", "finished", "cancelled"


class Timer(SQLModel, table=True):
    __tablename__ = "timers"
    id: int | None = Field(default=None, primary_key=True)
    name: str | None = None  # as said, trimmed; None for an unnamed timer
    key: str | None = Field(default=None, index=True)  # the name folded for matching
    duration_s: int
    started_at: float
    ends_at: float = Field(index=True)
    session: str = ""  # the session that set it: the finished event goes back there
    state: str = Field(default=RUNNING, index=True)  # running | finished | cancelled
    finished_at: float | None = None


def remaining(row: Timer, now: float) -> int:
    return max(0, int(math.ceil(row.ends_at - now - 1e-6)))


def info(row: Timer, now: float) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "duration_s": row.duration_s, "remaining_s": remaining(row, now),
            "ends_at": round(row.ends_at, 3)}


def running(s: Session, now: float) -> list[Timer]:
    """Running timers that have not yet reached their end, soonest first. Timers past their end
    are the scheduler's to announce, not the user's to cancel."""
    rows = s.exec(select(Timer).where(Timer.state == RUNNING, col(Timer.ends_at) > now)
                  .order_by(col(Timer.ends_at), col(Timer.id))).all()
    return list(rows)


def all_running(s: Session) -> list[Timer]:
    """Every running timer, also those past their end that nobody announced yet."""
    return list(s.exec(select(Timer).where(Timer.state == RUNNING)).all())


def finish(s: Session, timer_id: int, now: float) -> Timer | None:
    """Mark a timer finished if it still runs; the row when this call finished it, else None."""
    res = s.exec(update(Timer).where(col(Timer.id) == timer_id, col(Timer.state) == RUNNING)
                 .values(state=FINISHED, finished_at=now))
    if res.rowcount != 1:
        return None
    return s.get(Timer, timer_id)
