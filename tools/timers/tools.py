"""The timer tools: start, cancel, cancel all, and how much time is left.

Each tool reads and writes the timers table in a worker thread, then (on the event loop) sets or
drops the timer's job on ``ctx.scheduler`` and sends a :class:`hearth.CountdownStarted` or
:class:`hearth.CountdownCancelled` event (``kind="timer"``) through ``ctx.emit``.
"""

from __future__ import annotations

import asyncio

from sqlmodel import Session

from hearth import CountdownCancelled, CountdownStarted, ToolContext, ToolError, ToolResult

from . import ringing, store
from .durations import (
    DurationError,
    TimerDuration,
    join_words,
    parse_duration,
    plural,
    says_no_duration,
    spoken_duration,
    written_duration,
)
from .names import TimerName, cap, clean_name, label, name_key
from .store import CANCELLED, Timer


def _db(ctx: ToolContext, fn):
    """Run ``fn(session)`` in one transaction, in a worker thread."""
    def work():
        with ctx.storage.session() as s:
            return fn(s)
    return asyncio.to_thread(work)


def _how_long(name: str | None) -> str:
    """The question for a start request that said no duration."""
    return f"How long should the {name} timer run?" if name else "For how long?"


async def start_timer(duration: TimerDuration, ctx: ToolContext, name: TimerName | None = None) -> ToolResult:
    """Start a timer that rings when the time is up.

    Its undo cancels that timer (by its id).

    Args:
        duration: How long the timer runs, e.g. "5 minutes", "1 hour and 15 minutes", "90 seconds",
            "half an hour" or "1:30"; a bare number is minutes.
        name: A name for the timer, e.g. "pizza"; leave it out for an unnamed timer.
    """
    called = clean_name(name)
    if says_no_duration(duration):  # no duration was said: ask, start nothing
        raise ToolError(_how_long(called), "duration_missing")
    try:
        seconds = parse_duration(duration)
    except DurationError as err:
        raise ToolError(str(err), "invalid_duration") from None
    now = ctx.scheduler.now()

    def add(s: Session) -> dict:
        if called is not None:
            for other in store.running(s, now):
                if other.key == called.lower():
                    left = spoken_duration(store.remaining(other, now))
                    raise ToolError(f"You already have a timer named {other.name} with {left} left.", "timer_exists")
        row = Timer(name=called, key=name_key(called), duration_s=seconds, started_at=now, ends_at=now + seconds,
                    session=ctx.session)
        s.add(row)
        s.flush()
        return {"id": row.id, "name": row.name, "duration_s": row.duration_s, "ends_at": round(row.ends_at, 3)}

    data = await _db(ctx, add)
    ringing.ring_at(ctx.scheduler, ctx.storage, ctx.emit, data["id"], now + seconds)
    await ctx.emit(CountdownStarted(session=ctx.session, turn_id=ctx.turn_id, kind=ringing.KIND, id=data["id"],
                                    name=data["name"], duration_s=data["duration_s"], ends_at=data["ends_at"]))
    what = f"{cap(called)} timer" if called else "Timer"
    return ToolResult(data, say=f"{what} set for {spoken_duration(seconds)}.",
                      undo=("cancel_timer", {"timer_id": data["id"]}))


def _select(rows: list[Timer], name: str | None, duration: str | None) -> tuple[list[Timer], str]:
    """The timers matching a name and/or a start duration, and how to name what was asked for."""
    asked = ""
    if name is not None:
        key = name_key(name)
        named = [r for r in rows if r.key == key]
        asked = f"{clean_name(name)} timer"
        if not named and duration is None:
            # "cancel the 5 minute timer" may arrive as name="5 minute": no timer has that name,
            # but it is a duration
            try:
                seconds = parse_duration(name)
            except DurationError:
                pass
            else:
                return [r for r in rows if r.duration_s == seconds], asked
        rows = named
    if duration is not None:
        try:
            seconds = parse_duration(duration)
        except DurationError as err:
            raise ToolError(str(err), "invalid_duration") from None
        rows = [r for r in rows if r.duration_s == seconds]
        asked = f"{spoken_duration(seconds, adjective=True)} timer" if not asked else asked
    return rows, asked


async def cancel_timer(ctx: ToolContext, name: str | None = None, duration: str | None = None,
                       timer_id: int | None = None) -> ToolResult:
    """Cancel a running timer: the one with that name, the one started with that duration, or the only one.

    Its undo starts the timer again, with its name and the time it had left.

    Args:
        name: The timer's name, e.g. "pizza".
        duration: The duration the timer was started with, e.g. "5 minutes".
        timer_id: The timer's id, as starting it gave it.
    """
    name = clean_name(name)
    duration = duration if duration is None or duration.strip() else None
    now = ctx.scheduler.now()

    def cancel(s: Session) -> tuple[dict, Timer]:
        running = store.running(s, now)
        if timer_id is not None:
            rows, asked = [r for r in running if r.id == timer_id], "such timer running"
        else:
            rows, asked = _select(running, name, duration)
        if not rows:
            if not running:
                raise ToolError("No timers are running.", "timer_not_found")
            raise ToolError(f"There is no {asked}.", "timer_not_found")
        if len(rows) > 1:
            labels = join_words([r.name if r.name else f"a {label(r)}" for r in rows])
            raise ToolError(f"You have {len(rows)} timers: {labels}. Which one?", "timer_ambiguous")
        row = rows[0]
        data = store.info(row, now)
        row.state, row.finished_at = CANCELLED, now
        s.add(row)
        return data, row

    data, row = await _db(ctx, cancel)
    ringing.forget(ctx.scheduler, data["id"])
    await ctx.emit(CountdownCancelled(session=row.session, turn_id=ctx.turn_id, kind=ringing.KIND, id=data["id"],
                                      name=row.name))
    what = f"{cap(row.name)} timer" if row.name else "Timer"
    again = {"duration": written_duration(data["remaining_s"])} | ({"name": row.name} if row.name else {})
    return ToolResult(data, say=f"{what} cancelled.", undo=("start_timer", again))


async def cancel_all_timers(ctx: ToolContext) -> ToolResult:
    """Cancel every running timer."""
    now = ctx.scheduler.now()

    def cancel(s: Session) -> tuple[dict, list[tuple[int, str, str | None]]]:
        rows = store.running(s, now)
        data = {"cancelled": len(rows), "timers": [store.info(r, now) for r in rows]}
        for r in rows:
            r.state, r.finished_at = CANCELLED, now
            s.add(r)
        return data, [(r.id, r.session, r.name) for r in rows if r.id is not None]

    data, cancelled = await _db(ctx, cancel)
    for timer_id, session, timer_name in cancelled:
        ringing.forget(ctx.scheduler, timer_id)
        await ctx.emit(CountdownCancelled(session=session, turn_id=ctx.turn_id, kind=ringing.KIND, id=timer_id,
                                          name=timer_name))
    say = "No timers are running." if not cancelled else f"Cancelled {plural(len(cancelled), 'timer')}."
    return ToolResult(data, say=say)


async def timer_status(ctx: ToolContext, name: str | None = None) -> ToolResult:
    """Say how much time is left on the running timers, or on the one with that name.

    Args:
        name: The timer's name, e.g. "pizza"; leave it out for every timer.
    """
    name = clean_name(name)
    now = ctx.scheduler.now()
    running = await _db(ctx, lambda s: store.running(s, now))
    rows, asked = _select(running, name, None)
    if not rows:
        if name is not None and running:
            raise ToolError(f"There is no {asked}.", "timer_not_found")
        if name is not None:
            raise ToolError(f"There is no {asked}. No timers are running.", "timer_not_found")
        return ToolResult({"timers": []}, say="No timers are running.")
    timers = [store.info(r, now) for r in rows]
    clauses = []
    for r, info in zip(rows, timers, strict=True):
        what = f"{r.name} timer" if r.name else ("timer" if len(rows) == 1 else label(r))
        clauses.append(f"your {what} has {spoken_duration(info['remaining_s'])} left")
    if len(clauses) == 1:
        say = cap(clauses[0]) + "."
    else:
        say = cap(", ".join(clauses[:-1]) + ", and " + clauses[-1]) + "."
    return ToolResult({"timers": timers}, say=say)
