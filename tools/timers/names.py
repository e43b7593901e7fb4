"""How timers are named: "the pizza timer" -> "pizza", which words name no timer, and how a
sentence calls one.

The words that never name a timer are English data: lists in ``sentences/en.yaml``.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import core_schema

from hearth.kit import read_number

from .durations import DurationError, parse_duration, spoken_duration
from .store import Timer
from .words import word_list

_ARTICLES = ("the", "my", "a", "an")
_TIMER_WORDS = ("timer", "timers", "countdown")
MAX_NAME_WORDS = 5


def clean_name(name: str | None) -> str | None:
    """Trim a timer name: "  Pizza " -> "Pizza", "the pizza timer" -> "pizza"; empty or "timer" -> None."""
    if name is None:
        return None
    words = " ".join(str(name).split()).strip(".!?,").split()
    while len(words) > 1 and words[0].lower() in _ARTICLES:
        words.pop(0)
    if len(words) > 1 and words[-1].lower() == "timer":
        words.pop()
    n = " ".join(words)
    if n.lower() in _TIMER_WORDS:
        return None  # "timer" copied from "set a timer" names nothing
    return n or None


def name_key(name: str | None) -> str | None:
    """The name folded for matching: "Pizza " -> "pizza"."""
    n = clean_name(name)
    return n.lower() if n else None


def name_problem(name: str) -> str | None:
    """Why ``name`` (cleaned) names no new timer, or None when it may: a request about a timer ("reset
    egg"), a second request ("5 minutes and another", "pasta timer for 10 minutes and a rice"), more
    words than a name has, a pronoun or a time of day ("later"), or a duration ("five")."""
    words = name.lower().split()
    verbs = word_list("timer_not_a_name_start")
    if words[0] in verbs or any(w in verbs for a, w in zip(words, words[1:], strict=False) if a == "and") or (
            len(words) > 1 and any(w in word_list("timer_verbs_inside") for w in words[1:])):
        return f'"{name}" is a request about a timer, not its name'
    if any(a == "and" and read_number(w) is not None for a, w in zip(words, words[1:], strict=False)):
        return f'"{name}" holds a second timer, not a name'
    if any(w in _TIMER_WORDS for w in words):
        return f'"{name}" is more than a name'  # "pasta timer for 10 minutes and a rice"
    if len(words) > MAX_NAME_WORDS:
        return f'"{name}" is too long for a name'
    if len(words) > 1 and words[-1] in word_list("timer_not_a_name_end"):
        return f'"{name}" ends in an article: a verb misheard before "a timer", not a name'
    if all(w in word_list("timer_not_a_name") for w in words):
        return f'"{name}" names no timer'
    try:
        parse_duration(name)
    except DurationError:
        from hearth.kit import find_duration
        if find_duration(name) is not None:  # "5 minutes and a" from "for 5 minutes and a 10 minute one"
            return f'"{name}" holds a duration, not a name'
        return None
    return f'"{name}" is a duration, not a name'


def _checked_name(value: str) -> str:
    name = clean_name(value)
    problem = name_problem(name) if name else None
    if problem:
        raise ValueError(problem)
    return value


class TimerName(str):
    """A new timer's name, as a tool argument: a string that :func:`name_problem` finds nothing
    wrong with (the argument check refuses "reset egg" or "later" before the tool runs, from any tier)."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(_checked_name, core_schema.str_schema())


def label(row: Timer) -> str:
    """How a timer is called in a sentence: "pizza timer" or "5 minute timer"."""
    return f"{row.name} timer" if row.name else f"{spoken_duration(row.duration_s, adjective=True)} timer"


def cap(s: str) -> str:
    """The sentence ``s`` with its first letter upper case."""
    return s[:1].upper() + s[1:]
