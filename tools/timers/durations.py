"""Durations as people say them: "5 minutes", "an hour and a half", "1:30" -> seconds, and back."""

from __future__ import annotations

import math
import re

MAX_DURATION_S = 24 * 3600

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
        elif i == len(t) and last_unit is not None and last_unit in _SMALLER:
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


def join_words(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


