"""Timers: start, cancel and ask about named or unnamed timers (its own SQLModel table).

Timers store their end time on the wall clock (``time.time()``), so they survive a restart. A
scheduler task per agent (started by the ``startup`` hook) sleeps until the earliest end, marks the
timer finished in the table (so it is announced once, across restarts and processes too) and emits
a :class:`TimerFinished` event on the agent's bus, addressed to the session that set the timer.
A timer that ended while Hearth was not running fires at the next start with ``late_s > 0``.

Durations are text; see :func:`parse_duration` for what is understood. A bare number is minutes.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import update
from sqlmodel import Field, SQLModel, select

from hearth import Event, ToolContext, ToolError, ToolResult, hookimpl

__version__ = "0.1.0"

log = logging.getLogger(__name__)

MAX_DURATION_S = 24 * 3600
# the scheduler re-reads the wall clock at least this often (a suspended machine, a clock change)
_MAX_SLEEP_S = 30.0

RUNNING, FINISHED, CANCELLED = "running", "finished", "cancelled"


class Timer(SQLModel, table=True):
    __tablename__ = "timers"
    id: int | None = Field(default=None, primary_key=True)
    name: str | None = None  # as said, trimmed; None for an unnamed timer
    key: str | None = Field(default=None, index=True)  # the name folded for matching
    duration_s: int
    started_at: float = Field(default_factory=time.time)
    ends_at: float = Field(index=True)
    session: str = ""  # the session that set it: the finished event goes back there
    state: str = Field(default=RUNNING, index=True)  # running | finished | cancelled
    finished_at: float | None = None


@dataclass(frozen=True, kw_only=True)
class TimerFinished(Event):
    """A timer reached its end. ``session`` is the session that set it; ``late_s`` is how long after
    its end it fired (more than a moment when it ended while Hearth was not running); ``say`` is the
    sentence to speak."""

    type: ClassVar[str] = "timer_finished"
    timer_id: int = 0
    name: str | None = None
    duration_s: int = 0
    late_s: float = 0.0
    say: str = ""


@dataclass(frozen=True, kw_only=True)
class TimerStarted(Event):
    """A timer was set (in ``session``); it ends ``duration_s`` seconds after ``ts``."""

    type: ClassVar[str] = "timer_started"
    timer_id: int = 0
    name: str | None = None
    duration_s: int = 0


@dataclass(frozen=True, kw_only=True)
class TimerCancelled(Event):
    """A running timer was cancelled (``session`` is the session that set it)."""

    type: ClassVar[str] = "timer_cancelled"
    timer_id: int = 0
    name: str | None = None


# -------------------------------------------------------------------------------------------------
# durations
# -------------------------------------------------------------------------------------------------

_UNITS = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
}
_SMALLER = {3600: 60, 60: 1}
_ONES = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), start=2)}
_ARTICLES = ("a", "an")
_CLOCK = re.compile(r"^(\d+):([0-5]\d)(?::([0-5]\d))?$")
_HELP = 'Say a duration like "5 minutes", "1 hour and 15 minutes", "90 seconds", "half an hour" or "1:30".'


class DurationError(ValueError):
    """A duration that cannot be understood or is out of range; the message says what works."""


def _number_words(t: list[str], i: int) -> tuple[float, int] | None:
    """"twenty five", "one hundred twenty", "a hundred" at ``t[i]`` -> (value, next index)."""
    value, j, last = 0, i, None  # last: the kind of the previous word
    if j + 1 < len(t) and t[j] in _ARTICLES and t[j + 1] == "hundred":
        value, j, last = 1, j + 1, "ones"
    while j < len(t):
        w = t[j]
        if w in _ONES and last in (None, "tens", "hundred") and not (last == "tens" and _ONES[w] >= 10):
            value, last = value + _ONES[w], "ones"
        elif w in _TENS and last in (None, "hundred"):
            value, last = value + _TENS[w], "tens"
        elif w == "hundred" and last == "ones" and value < 10:
            value, last = value * 100, "hundred"
        else:
            break
        j += 1
    return (value, j) if j > i else None


def _quantity(t: list[str], i: int) -> tuple[float, int] | None:
    """A quantity at ``t[i]``: 5, 2.5, five, twenty five, a/an, half [a|an|of], a quarter [of], a
    couple [of], and "N and a half" before a unit."""
    n = len(t)
    j = i + 1 if t[i] in _ARTICLES and i + 1 < n and t[i + 1] in ("half", "quarter", "couple") else i
    word = t[j]
    if word in ("half", "quarter", "couple"):
        j += 1
        while j < n and t[j] in ("of", "a", "an"):
            j += 1
        return {"half": 0.5, "quarter": 0.25, "couple": 2}[word], j
    if re.fullmatch(r"\d+(?:\.\d+)?|\.\d+", word):
        value, j = float(word), j + 1
    elif (words := _number_words(t, j)) is not None:
        value, j = words
    elif word in _ARTICLES:
        value, j = 1, j + 1
    else:
        return None
    # "one and a half hours", "2 and half minutes"
    for tail in (["and", "a", "half"], ["and", "half"]):
        k = j + len(tail)
        if t[j:k] == tail and k < n and t[k] in _UNITS:
            return value + 0.5, k
    return value, j


def parse_duration(text: str) -> int:
    """Seconds in a spoken or written duration, rounded to whole seconds.

    Understood: numbers as digits ("90", "2.5") or words ("five", "twenty five", "a hundred"),
    "a"/"an" for one, "half"/"a quarter"/"a couple of"; units s/sec/second(s), m/min/minute(s),
    h/hr/hrs/hour(s), written apart or together ("45s", "1h30m", "10min"); parts joined by spaces,
    "and", "plus" or commas ("1 hour 15 minute and 30 second"); "and a half" after a unit ("a
    minute and a half") or before it ("one and a half hours"); a bare number after a unit counts in
    the next smaller unit ("an hour thirty" is 90 minutes); clock forms "m:ss" and "h:mm:ss"; and a
    bare number alone is minutes ("5", "five"). Hyphens count as spaces ("five-minute"), a leading
    "for" and a trailing "timer"/"long" are ignored. Raises :class:`DurationError` for anything
    else, for zero, and for more than 24 hours.
    """
    raw = text if isinstance(text, str) else str(text)
    s = raw.lower().strip()
    s = re.sub(r"\.(?!\d)", " ", s)  # "min." and sentence dots, not "2.5" or ".5"
    s = re.sub(r"[-,&]", " ", s)
    s = re.sub(r"\s+", " ", s).strip()
    s = re.sub(r"^(?:for|in) ", "", s)
    s = re.sub(r" (?:timer|long)$", "", s)
    m = _CLOCK.match(s)
    if m:
        a, b, c = m.groups()
        seconds = int(a) * 3600 + int(b) * 60 + int(c) if c is not None else int(a) * 60 + int(b)
        return _checked(seconds, raw)
    t = re.findall(r"\d+(?:\.\d+)?|\.\d+|[a-z]+|\S", s)
    if not t:
        raise DurationError(f"I need a duration for the timer. {_HELP}")
    alone = _quantity(t, 0)
    if alone is not None and alone[1] == len(t) and t[0] not in _ARTICLES:
        return _checked(alone[0] * 60, raw)  # a bare number is minutes
    total, last_unit, seen, i = 0.0, None, set(), 0
    while i < len(t):
        if t[i] in ("and", "plus"):
            i += 1
            continue
        # "a minute and a half": half of the unit just said
        if last_unit is not None:
            for tail in (["a", "half"], ["half"]):
                k = i + len(tail)
                if t[i:k] == tail and (k == len(t) or t[k] in ("and", "plus")):
                    total += last_unit / 2
                    i = k
                    break
            else:
                tail = None
            if tail is not None:
                continue
        q = _quantity(t, i)
        if q is None:
            raise DurationError(f'I did not understand "{raw.strip()}" as a duration. {_HELP}')
        value, i = q
        if i < len(t) and t[i] in _UNITS:
            unit = _UNITS[t[i]]
            i += 1
        elif i == len(t) and last_unit in _SMALLER:
            unit = _SMALLER[last_unit]  # "an hour thirty", "5 minutes 30"
        else:
            raise DurationError(f'I did not understand "{raw.strip()}" as a duration. {_HELP}')
        if unit in seen:
            raise DurationError(f'"{raw.strip()}" names the same unit twice. {_HELP}')
        seen.add(unit)
        total += value * unit
        last_unit = unit
    return _checked(total, raw)


def _checked(seconds: float, raw: str) -> int:
    whole = int(math.floor(seconds + 0.5))
    if whole <= 0:
        raise DurationError(f'A timer needs a duration longer than zero, not "{raw.strip()}". {_HELP}')
    if whole > MAX_DURATION_S:
        raise DurationError(f"A timer can run for at most 24 hours; {spoken_duration(whole)} is too long.")
    return whole


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def spoken_duration(seconds: float, adjective: bool = False) -> str:
    """``4512`` -> "1 hour, 15 minutes and 12 seconds"; ``adjective`` gives "1 hour 15 minute"
    (as in "a 5 minute timer")."""
    s = max(0, int(math.ceil(seconds)))
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    units = [(h, "hour"), (m, "minute"), (sec, "second")]
    if adjective:
        return " ".join(f"{n} {w}" for n, w in units if n) or "0 second"
    parts = [_plural(n, w) for n, w in units if n] or ["0 seconds"]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


# -------------------------------------------------------------------------------------------------
# names and rows
# -------------------------------------------------------------------------------------------------


def clean_name(name: str | None) -> str | None:
    """Trim a timer name: "  Pizza " -> "Pizza", "the pizza timer" -> "pizza"; empty -> None."""
    if name is None:
        return None
    n = re.sub(r"\s+", " ", str(name)).strip().strip(".!?,").strip()
    n = re.sub(r"^(?:the|my|a|an) ", "", n, flags=re.I)
    n = re.sub(r" timer$", "", n, flags=re.I).strip()
    return n or None


def _key(name: str | None) -> str | None:
    n = clean_name(name)
    return n.lower() if n else None


def _label(row: Timer) -> str:
    """How a timer is called in a sentence: "pizza timer" or "5 minute timer"."""
    return f"{row.name} timer" if row.name else f"{spoken_duration(row.duration_s, adjective=True)} timer"


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _remaining(row: Timer, now: float) -> int:
    return max(0, int(math.ceil(row.ends_at - now - 1e-6)))


def _info(row: Timer, now: float | None = None) -> dict[str, Any]:
    now = time.time() if now is None else now
    return {"id": row.id, "name": row.name, "duration_s": row.duration_s, "remaining_s": _remaining(row, now),
            "ends_at": round(row.ends_at, 3)}


def _running(s, now: float) -> list[Timer]:
    """Running timers that have not yet reached their end, soonest first. Timers past their end
    are the scheduler's to announce, not the user's to cancel."""
    rows = s.exec(select(Timer).where(Timer.state == RUNNING, Timer.ends_at > now)
                  .order_by(Timer.ends_at, Timer.id)).all()
    return list(rows)


# -------------------------------------------------------------------------------------------------
# tools
# -------------------------------------------------------------------------------------------------


def start_timer(duration: str, ctx: ToolContext, name: str | None = None) -> ToolResult:
    """Start a timer that rings when the time is up.

    Args:
        duration: How long the timer runs, e.g. "5 minutes", "1 hour and 15 minutes", "90 seconds",
            "half an hour" or "1:30"; a bare number is minutes.
        name: A name for the timer, e.g. "pizza"; leave it out for an unnamed timer.
    """
    try:
        seconds = parse_duration(duration)
    except DurationError as err:
        raise ToolError(str(err), "invalid_duration") from None
    name = clean_name(name)
    now = time.time()
    with ctx.storage.session() as s:
        if name is not None:
            for other in _running(s, now):
                if other.key == name.lower():
                    left = spoken_duration(_remaining(other, now))
                    raise ToolError(f"You already have a timer named {other.name} with {left} left.", "timer_exists")
        row = Timer(name=name, key=_key(name), duration_s=seconds, started_at=now, ends_at=now + seconds,
                    session=ctx.session)
        s.add(row)
        s.flush()
        data = {"id": row.id, "name": row.name, "duration_s": row.duration_s, "ends_at": round(row.ends_at, 3)}
    _wake(ctx)
    _announce(ctx, TimerStarted(session=ctx.session, turn_id=ctx.turn_id, timer_id=data["id"], name=data["name"],
                                duration_s=data["duration_s"]))
    what = f"{_cap(name)} timer" if name else "Timer"
    return ToolResult(data, say=f"{what} set for {spoken_duration(seconds)}.")


def _select(rows: list[Timer], name: str | None, duration: str | None) -> tuple[list[Timer], str]:
    """The timers matching a name and/or a start duration, and how to name what was asked for."""
    asked = ""
    if name is not None:
        key = _key(name)
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


def cancel_timer(ctx: ToolContext, name: str | None = None, duration: str | None = None) -> ToolResult:
    """Cancel a running timer: the one with that name, the one started with that duration, or the only one.

    Args:
        name: The timer's name, e.g. "pizza".
        duration: The duration the timer was started with, e.g. "5 minutes".
    """
    name = clean_name(name)
    duration = duration if duration is None or duration.strip() else None
    now = time.time()
    with ctx.storage.session() as s:
        running = _running(s, now)
        rows, asked = _select(running, name, duration)
        if not rows:
            if not running:
                raise ToolError("No timers are running.", "timer_not_found")
            raise ToolError(f"There is no {asked}.", "timer_not_found")
        if len(rows) > 1:
            labels = _join([r.name if r.name else f"a {_label(r)}" for r in rows])
            raise ToolError(f"You have {len(rows)} timers: {labels}. Which one?", "timer_ambiguous")
        row = rows[0]
        data = _info(row, now)
        row.state, row.finished_at = CANCELLED, now
        s.add(row)
        cancelled = TimerCancelled(session=row.session, turn_id=ctx.turn_id, timer_id=row.id, name=row.name)
    _wake(ctx)
    _announce(ctx, cancelled)
    what = f"{_cap(row.name)} timer" if row.name else "Timer"
    return ToolResult(data, say=f"{what} cancelled.")


def cancel_all_timers(ctx: ToolContext) -> ToolResult:
    """Cancel every running timer."""
    now = time.time()
    with ctx.storage.session() as s:
        rows = _running(s, now)
        data = {"cancelled": len(rows), "timers": [_info(r, now) for r in rows]}
        cancelled = []
        for r in rows:
            r.state, r.finished_at = CANCELLED, now
            s.add(r)
            cancelled.append(TimerCancelled(session=r.session, turn_id=ctx.turn_id, timer_id=r.id, name=r.name))
    if rows:
        _wake(ctx)
    for event in cancelled:
        _announce(ctx, event)
    say = "No timers are running." if not rows else f"Cancelled {_plural(len(rows), 'timer')}."
    return ToolResult(data, say=say)


def timer_status(ctx: ToolContext, name: str | None = None) -> ToolResult:
    """Say how much time is left on the running timers, or on the one with that name.

    Args:
        name: The timer's name, e.g. "pizza"; leave it out for every timer.
    """
    name = clean_name(name)
    now = time.time()
    with ctx.storage.session() as s:
        running = _running(s, now)
    rows, asked = _select(running, name, None)
    if not rows:
        if name is not None and running:
            raise ToolError(f"There is no {asked}.", "timer_not_found")
        if name is not None:
            raise ToolError(f"There is no {asked}. No timers are running.", "timer_not_found")
        return ToolResult({"timers": []}, say="No timers are running.")
    timers = [_info(r, now) for r in rows]
    clauses = []
    for r, info in zip(rows, timers):
        what = f"{r.name} timer" if r.name else ("timer" if len(rows) == 1 else _label(r))
        clauses.append(f"your {what} has {spoken_duration(info['remaining_s'])} left")
    if len(clauses) == 1:
        say = _cap(clauses[0]) + "."
    else:
        say = _cap(", ".join(clauses[:-1]) + ", and " + clauses[-1]) + "."
    return ToolResult({"timers": timers}, say=say)


# -------------------------------------------------------------------------------------------------
# Home Assistant intents: slots -> tool arguments
# -------------------------------------------------------------------------------------------------


def _slot_number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    n = float(value)
    if n < 0:
        raise ValueError(f"a negative duration part: {value!r}")
    return n


def _duration_from_slots(slots: dict[str, Any], prefix: str = "") -> str | None:
    """``{"hours": 1, "minutes": 15}`` -> "1 hour 15 minutes" (None when no part is given)."""
    total = 0.0
    found = False
    for unit, factor in (("hours", 3600), ("minutes", 60), ("seconds", 1)):
        value = slots.get(prefix + unit)
        if value is None or value == "":
            continue
        total += _slot_number(value) * factor
        found = True
    if not found:
        return None
    whole = int(math.floor(total + 0.5))
    h, rest = divmod(whole, 3600)
    m, sec = divmod(rest, 60)
    text = " ".join(_plural(n, w) for n, w in ((h, "hour"), (m, "minute"), (sec, "second")) if n)
    return text or "0 seconds"


def _name_from_slots(slots: dict[str, Any], area_is_name: bool) -> str | None:
    name = clean_name(slots.get("name")) if isinstance(slots.get("name"), str) else None
    if name is None and area_is_name and isinstance(slots.get("area"), str):
        # Hearth has no areas: "cancel the kitchen timer" means the timer named kitchen
        name = clean_name(slots["area"])
        name = name.lower() if name else None
    return name


def _drop_none(args: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in args.items() if v is not None}


def start_args(slots: dict[str, Any]) -> dict[str, Any]:
    """HassStartTimer slots -> ``start_timer`` arguments.

    ``hours``/``minutes``/``seconds`` add up to the duration ("half an hour" arrives as minutes=30),
    ``name`` is trimmed, ``area`` is ignored. A ``conversation_command`` ("turn off the oven in 5
    minutes") is refused with ValueError: Hearth does not run a command when a timer ends, so the
    request goes to a model rather than silently becoming a plain timer.
    """
    if str(slots.get("conversation_command") or "").strip():
        raise ValueError("a timer that runs a command when it ends is not supported")
    duration = _duration_from_slots(slots)
    if duration is None:
        raise ValueError("HassStartTimer gave no hours, minutes or seconds")
    return _drop_none({"duration": duration, "name": _name_from_slots(slots, area_is_name=False)})


def cancel_args(slots: dict[str, Any]) -> dict[str, Any]:
    """HassCancelTimer slots -> ``cancel_timer`` arguments: ``start_hours``/``start_minutes``/
    ``start_seconds`` become the duration, ``name`` is trimmed, and an ``area`` (without a name)
    becomes the name in lower case, as Hearth has no areas."""
    return _drop_none({"name": _name_from_slots(slots, area_is_name=True),
                       "duration": _duration_from_slots(slots, prefix="start_")})


def status_args(slots: dict[str, Any]) -> dict[str, Any]:
    """HassTimerStatus slots -> ``timer_status`` arguments: ``name`` (or an ``area``, as for
    cancelling). ``timer_status`` takes no duration, so ``start_*`` slots are ignored."""
    return _drop_none({"name": _name_from_slots(slots, area_is_name=True)})


# -------------------------------------------------------------------------------------------------
# the scheduler
# -------------------------------------------------------------------------------------------------


class _Scheduler:
    """One per agent: sleeps until the earliest end, then fires every due timer once."""

    def __init__(self, agent: Any) -> None:
        self.agent = agent
        self.loop = asyncio.get_running_loop()
        self.wake = asyncio.Event()
        self.stopping = False
        self.task: asyncio.Task | None = None

    def poke(self) -> None:
        """Re-plan now; safe from any thread."""
        try:
            self.loop.call_soon_threadsafe(self.wake.set)
        except RuntimeError:  # the loop is closed: nothing left to wake
            pass

    def _take_due(self) -> tuple[list[tuple[Timer, float]], float | None]:
        """Mark due timers finished (each only if still running, so one process announces it) and
        return them with the time they fired, and the next end time."""
        now = time.time()
        fired: list[tuple[Timer, float]] = []
        with self.agent.storage.session() as s:
            due = s.exec(select(Timer).where(Timer.state == RUNNING, Timer.ends_at <= now)
                         .order_by(Timer.ends_at, Timer.id)).all()
            for row in due:
                res = s.exec(update(Timer).where(Timer.id == row.id, Timer.state == RUNNING)
                             .values(state=FINISHED, finished_at=now))
                if res.rowcount == 1:
                    fired.append((row, now))
            nxt = s.exec(select(Timer.ends_at).where(Timer.state == RUNNING, Timer.ends_at > now)
                         .order_by(Timer.ends_at).limit(1)).first()
        return fired, nxt

    async def run(self) -> None:
        while not self.stopping:
            self.wake.clear()  # before reading, so a timer started meanwhile is not missed
            try:
                fired, nxt = await asyncio.to_thread(self._take_due)
            except Exception:
                log.exception("timers: could not read the timers table; trying again")
                fired, nxt = [], time.time() + 1.0
            for row, at in fired:
                what = f"Your {row.name} timer" if row.name else "Your timer"
                event = TimerFinished(session=row.session, turn_id="", timer_id=row.id, name=row.name,
                                      duration_s=row.duration_s, late_s=round(max(0.0, at - row.ends_at), 3),
                                      say=f"{what} is done.")
                try:
                    await self.agent.emit(event)
                except Exception:
                    log.exception("timers: announcing timer %s failed", row.id)
            if self.stopping:
                break
            delay = _MAX_SLEEP_S if nxt is None else min(_MAX_SLEEP_S, max(0.0, nxt - time.time()))
            try:
                await asyncio.wait_for(self.wake.wait(), delay)
            except asyncio.TimeoutError:
                pass


# id(agent.bus) -> the scheduler of that agent; tools reach it through ctx.bus
_SCHEDULERS: dict[int, _Scheduler] = {}


def _wake(ctx: ToolContext) -> None:
    sched = _SCHEDULERS.get(id(ctx.bus))
    if sched is not None and sched.agent.bus is ctx.bus:
        sched.poke()


def _announce(ctx: ToolContext, event: Event) -> None:
    """Send an event through the agent (bus and on_event hooks) from the tool's thread."""
    sched = _SCHEDULERS.get(id(ctx.bus))
    if sched is not None and sched.agent.bus is ctx.bus:
        try:
            asyncio.run_coroutine_threadsafe(sched.agent.emit(event), sched.loop)
        except RuntimeError:  # the loop is closed
            pass


@hookimpl
async def startup(agent):
    old = _SCHEDULERS.get(id(agent.bus))
    if old is not None and old.agent is agent:
        await _stop(old)
    sched = _Scheduler(agent)
    _SCHEDULERS[id(agent.bus)] = sched
    sched.task = asyncio.create_task(sched.run(), name="hearth-timers")


async def _stop(sched: _Scheduler) -> None:
    if _SCHEDULERS.get(id(sched.agent.bus)) is sched:
        del _SCHEDULERS[id(sched.agent.bus)]
    sched.stopping = True
    sched.wake.set()
    task = sched.task
    if task is None or task.done():
        return
    try:
        # let a step under way finish (a timer marked finished is then also announced)
        await asyncio.wait_for(asyncio.shield(task), 5.0)
    except asyncio.TimeoutError:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
    except Exception:
        log.exception("timers: the scheduler failed")


@hookimpl
async def shutdown(agent):
    sched = _SCHEDULERS.get(id(agent.bus))
    if sched is not None and sched.agent is agent:
        await _stop(sched)


# -------------------------------------------------------------------------------------------------
# registration
# -------------------------------------------------------------------------------------------------

_SLOTS = {"duration": ["5 minutes", "1 hour", "30 seconds"], "name": ["pizza", "eggs", "tea"]}


@hookimpl
def register_tools(register):
    register(start_timer, slot_values=_SLOTS, intents={"HassStartTimer": start_args}, examples=[
        "(set|start) a timer for {duration}", "(set|start) a {duration} timer",
        "(set|start) a {name} timer for {duration}", "(set|start) a timer (named|called) {name} for {duration}",
        "(set|start) a {duration} timer (named|called|for) {name}", "timer for {duration}"])
    register(cancel_timer, slot_values=_SLOTS, intents={"HassCancelTimer": cancel_args}, examples=[
        # "cancel the pizza timer" / "cancel the 5 minute timer" are left to Home Assistant's own
        # sentences, which tell a name from a duration; "{name} timer" here would take both as names
        "(cancel|stop) [the|my] timer", "(cancel|stop) [the|my] timer (named|called) {name}"])
    register(cancel_all_timers, intents={"HassCancelAllTimers": None}, examples=[
        "(cancel|stop) all [[of] (the|my)] timers", "(cancel|stop) every timer"])
    register(timer_status, slot_values=_SLOTS, intents={"HassTimerStatus": status_args}, examples=[
        "how much time is left [on [the|my] timer[s]]", "how long is left on [the|my] timer[s]",
        "how much time is left on [the|my] {name} timer", "how long is left on [the|my] {name} timer",
        "[what is the] timer[s] status", "status of [the|my] timer[s]"])
