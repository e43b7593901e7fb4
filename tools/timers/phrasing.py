"""How people ask for timers, as pure functions (no plugin, no state): the name before or after the
duration, after "for the" / "called", or none; durations in digits or words.

    >>> parse_timer_request("set a 10 minute timer for the pasta")
    TimerRequest(duration='10 minute', seconds=600, name='pasta')
    >>> match_timer("how much longer on the rice")
    {'name': 'timer_status', 'arguments': {'name': 'rice'}}

Meant for the timers plugin's tier-1 ``match_intent`` hook (see :func:`match_timer`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_ONES = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
_TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
          "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_UNIT_S = {"h": 3600, "m": 60, "s": 1}

_WORD_NUM = (rf"(?:(?:{'|'.join(_TENS)})(?:[- ](?:{'|'.join(_ONES)}))?|{'|'.join(_TEENS)}|{'|'.join(_ONES)}"
             r"|a couple of|a few|an|a)")
_NUM = rf"(?:\d+(?:\.\d+)?|{_WORD_NUM})"
_UNIT = r"(?:hours?|hrs?|minutes?|mins?|seconds?|secs?)"
_PART = rf"{_NUM}(?:[- ]and a half)?[- ]{_UNIT}(?: and a half)?"
DURATION = re.compile(
    rf"\b(?:half an hour|half a minute|(?:a )?quarter of an hour|an hour and a half|\d+:\d{{2}}"
    rf"|{_PART}(?:,? (?:and )?{_PART})*)\b")

_STOP = {"set", "start", "make", "put", "create", "begin", "can", "could", "would", "you", "please", "a", "an", "the",
         "my", "timer", "for", "on", "up", "called", "named", "me", "i", "want", "need", "to", "with", "just", "go",
         "ahead", "and", "countdown", "new", "another", "quick", "hey", "hearth", "ok", "okay", "of", "will", "id",
         "i'd", "like", "add", "run", "give"}
_QUESTION = re.compile(r"^(?:how|what|when|which|is|are|do|does|did|any|cancel|stop|end|delete|remove|pause|resume)\b")
_STATUS = re.compile(
    r"^(?:how much time do (?:i|we) have left(?: on (?:the |my )?(?P<name3>.*?)(?: timer)?)?"
    r"|how long (?:until|till|before) (?:the |my )?(?P<name4>.*?) (?:is|are) (?:done|ready)"
    r"|how (?:much (?:time|longer)|long)(?: is)?(?: (?:left|remaining))?(?: (?:on|for|till|until))?"
    r"(?: (?:the|my))? ?(?P<name>.*?)(?: timer)?"
    r"|(?:what|which) timers? (?:do (?:i|we) have|are (?:running|on|set|going))"
    r"|(?:are there )?any timers?(?: running| going| on| set)?"
    r"|(?:is|are) (?:the|my) ?(?P<name2>.*?) timers? (?:still )?(?:running|going|on))$")


_CANCEL_ONE = re.compile(r"(?:cancel|stop|end|kill) the (?P<name>(?!\d)[\w' ]+?) one"
                         r"|(?:turn|switch|shut) off (?:the|my) (?:(?P<name2>(?!\d)[\w' ]+?) )?timer")
_CANCEL_ALL = re.compile(r"(?:cancel|stop|clear|delete|end|kill) (?:all )?(?:of )?(?:my|the) timers")


# "add milk and set a timer for 5 minutes": two requests, which the router splits; not a timer named milk
_TWO_REQUESTS = re.compile(r"\band (?:then )?(?:also )?(?:set|start|make|create|put|add|remove|take|check|cancel|stop|"
                           r"buy|get|tell|what|how)\b")


@dataclass(frozen=True)
class TimerRequest:
    """A request to start a timer: the duration as said, in seconds, and the name (None: unnamed)."""

    duration: str
    seconds: int
    name: str | None


def _normalise(text: str) -> str:
    text = re.sub(r"[^\w\s':-]", " ", text.lower())
    return re.sub(r"\s+", " ", text).strip()


def _number(word: str) -> float | None:
    word = word.strip().replace("-", " ")
    if re.fullmatch(r"\d+(?:\.\d+)?", word):
        return float(word)
    if word in ("a", "an"):
        return 1
    if word == "a couple of":
        return 2
    if word == "a few":
        return 3
    parts = word.split()
    if len(parts) == 2 and parts[0] in _TENS and parts[1] in _ONES:
        return _TENS[parts[0]] + _ONES[parts[1]]
    for table in (_ONES, _TEENS, _TENS):
        if word in table:
            return table[word]
    return None


def duration_seconds(text: str) -> int | None:
    """``"an hour and a half"`` -> 5400; ``"10 minutes"`` -> 600; ``"1:30"`` -> 90; None if no duration."""
    t = _normalise(text)
    fixed = {"half an hour": 1800, "half a minute": 30, "quarter of an hour": 900, "a quarter of an hour": 900,
             "an hour and a half": 5400}
    if t in fixed:
        return fixed[t]
    m = re.fullmatch(r"(\d+):(\d{2})", t)
    if m:
        return int(m.group(1)) * 60 + int(m.group(2))
    total = 0.0
    found = False
    for part in re.finditer(rf"(?P<n>{_NUM})(?P<half1>[- ]and a half)?[- ](?P<u>{_UNIT})(?P<half2> and a half)?", t):
        n = _number(part.group("n"))
        if n is None:
            return None
        if part.group("half1") or part.group("half2"):
            n += 0.5
        total += n * _UNIT_S[part.group("u")[0]]
        found = True
    return round(total) if found and total > 0 else None


def parse_timer_request(text: str) -> TimerRequest | None:
    """A start-a-timer request in any common order, or None when ``text`` is not one.

    "set a timer for 10 minutes for the pasta", "set a 12 minute timer for cookies", "set the oven
    timer for 45 minutes", "10 minute timer for the rice", "start a timer called tea for 4 minutes".
    """
    t = _normalise(text)
    if not re.search(r"\b(?:timer|countdown)\b", t) or _QUESTION.match(t) or _TWO_REQUESTS.search(t):
        return None
    spans = list(DURATION.finditer(t))
    if len(spans) != 1:
        return None
    span = spans[0]
    seconds = duration_seconds(span.group(0))
    if seconds is None:
        return None
    rest = (t[:span.start()] + " " + t[span.end():]).split()
    if rest and rest[0] not in _STOP and span.start() != 0:
        return None  # "remind me..." or a sentence about something else
    name_words = [w for w in rest if w not in _STOP]
    name = " ".join(name_words).strip() or None
    if name is not None and len(name_words) > 4:
        return None
    return TimerRequest(duration=span.group(0), seconds=seconds, name=name)


def parse_timer_status(text: str) -> str | None:
    """A question about running timers: ``""`` for all of them, the timer's name, or None."""
    t = _normalise(text)
    m = _STATUS.fullmatch(t)
    if m is None:
        return None
    name = (m.group("name") or m.group("name2") or m.group("name3") or m.group("name4") or "").strip()
    name = re.sub(r"^(?:the|my|on|for)\s+", "", name).strip()
    if name in ("timer", "timers", "it", "them"):
        name = ""
    return name


def canonical_duration(seconds: int) -> str:
    """600 -> ``"10 minutes"``; 5400 -> ``"1 hour 30 minutes"``: a duration every parser reads."""
    parts = []
    for unit, size in (("hour", 3600), ("minute", 60), ("second", 1)):
        n, seconds = divmod(seconds, size)
        if n:
            parts.append(f"{n} {unit}{'s' if n != 1 else ''}")
    return " ".join(parts) or "0 seconds"


def match_timer(text: str) -> dict[str, Any] | None:
    """The tool call for a timer request, in the ``match_intent`` hook's shape, or None."""
    request = parse_timer_request(text)
    if request is not None:
        arguments: dict[str, Any] = {"duration": canonical_duration(request.seconds)}
        if request.name:
            arguments["name"] = request.name
        return {"name": "start_timer", "arguments": arguments, "reason": "a timer request"}
    if _CANCEL_ALL.fullmatch(_normalise(text)):
        return {"name": "cancel_all_timers", "arguments": {}, "reason": "cancel every timer"}
    m = _CANCEL_ONE.fullmatch(_normalise(text))
    if m:
        name = m.group("name") or m.group("name2")
        return {"name": "cancel_timer", "arguments": {"name": name} if name else {}, "reason": "cancel a timer"}
    name = parse_timer_status(text)
    if name is not None:
        return {"name": "timer_status", "arguments": {"name": name} if name else {}, "reason": "a timer question"}
    return None
