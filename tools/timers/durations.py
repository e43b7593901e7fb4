"""Durations: a timer's duration read with the core's reader (``hearth.kit.read_duration``) and checked
("5 minutes", "an hour and a half", "1:30" -> seconds; a bare number is minutes), the argument type that
refuses what is no duration, and durations said back ("1 hour, 15 minutes and 12 seconds")."""

from __future__ import annotations

import math
from typing import Any

from pydantic_core import core_schema

from hearth.kit import read_duration, read_number

from .words import word_list

MAX_DURATION_S = 24 * 3600
_HELP = 'Say a duration like "5 minutes", "1 hour and 15 minutes", "90 seconds", "half an hour" or "1:30".'


class DurationError(ValueError):
    """A duration that cannot be understood or is out of range; the message says what works."""


class DurationOutOfRange(DurationError):
    """A duration understood, but zero or longer than a timer runs."""


def _said(text: str) -> str:
    """The duration in ``text`` without the words around it: "for 5 minutes" -> "5 minutes",
    "five-minute timer" -> "five minute" (the lists ``timer_before_duration``, ``timer_after_duration``)."""
    words = text.lower().replace("-", " ").split()
    if words and words[0] in word_list("timer_before_duration"):
        words = words[1:]
    if words and words[-1] in word_list("timer_after_duration"):
        words = words[:-1]
    return " ".join(words)


def parse_duration(text: str) -> int:
    """Seconds in a spoken or written duration, rounded to whole seconds: what the core's
    ``read_duration`` reads ("90 seconds", "twenty five minutes", "an hour and a half", "1h30m",
    "an hour thirty", "1:30"), and a bare number alone as minutes ("5", "five", "1.5"); a leading
    "for" and a trailing "timer" are ignored. Raises :class:`DurationError` for anything else,
    :class:`DurationOutOfRange` for zero and for more than 24 hours.
    """
    raw = text if isinstance(text, str) else str(text)
    said = _said(raw)
    if not said:
        raise DurationError(f"I need a duration for the timer. {_HELP}")
    seconds: float | None = read_duration(said)
    if seconds is None and (minutes := read_number(said)) is not None:
        seconds = minutes * 60  # a bare number is minutes
    if seconds is None:
        raise DurationError(f'I did not understand "{raw.strip()}" as a duration. {_HELP}')
    return _checked(seconds, raw)


def _checked(seconds: float, raw: str) -> int:
    whole = int(math.floor(seconds + 0.5))
    if whole <= 0:
        raise DurationOutOfRange(f'A timer needs a duration longer than zero, not "{raw.strip()}". {_HELP}')
    if whole > MAX_DURATION_S:
        raise DurationOutOfRange(f"A timer can run for at most 24 hours; {spoken_duration(whole)} is too long.")
    return whole


def says_no_duration(text: str | None) -> bool:
    """True when ``text`` says no duration at all: "" (a start request without one), or words a
    model copies from "set a timer" (the list ``timer_no_duration``: "timer", "a timer")."""
    return all(w in word_list("timer_no_duration") for w in (text or "").lower().split())


def _checked_duration(value: str) -> str:
    if not says_no_duration(value):
        try:
            parse_duration(value)
        except DurationOutOfRange:
            pass  # understood: the tool says what is wrong with it
    return value


class TimerDuration(str):
    """A timer's duration, as a tool argument: a string that reads as a duration, or says none (the
    tool then asks how long). The argument check refuses anything else ("later", "7 pm", "five
    minutes and another for ten") before the tool runs, from any tier; a duration out of range
    reaches the tool, which says why."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(_checked_duration, core_schema.str_schema())


def plural(n: int, word: str) -> str:
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
    parts = [plural(n, w) for n, w in units if n] or ["0 seconds"]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def written_duration(seconds: int) -> str:
    """600 -> ``"10 minutes"``; 5400 -> ``"1 hour 30 minutes"``: a duration every reader reads."""
    parts = []
    for unit, size in (("hour", 3600), ("minute", 60), ("second", 1)):
        n, seconds = divmod(int(seconds), size)
        if n:
            parts.append(plural(n, unit))
    return " ".join(parts) or "0 seconds"


def join_words(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


