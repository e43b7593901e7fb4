"""How people ask for timers, as pure functions (no plugin, no state): the name before or after the
duration, after "for the" / "called", or none; durations in digits or words; questions about the
running timers; and start requests that name no duration.

    >>> parse_timer_request("set a 10 minute timer for the pasta")
    TimerRequest(duration='10 minute', seconds=600, name='pasta')
    >>> parse_timer_request("egg timer, 7 minutes please")
    TimerRequest(duration='7 minutes', seconds=420, name='egg')
    >>> match_timer("how long's left on the rice")
    {'name': 'timer_status', 'arguments': {'name': 'rice'}, 'reason': 'a timer question'}
    >>> parse_timer_without_duration("start the chicken timer")
    'chicken'

Meant for the timers plugin's tier-1 ``match_intent`` hook (see :func:`match_timer`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .durations import DurationError, parse_duration

# ---- durations ----------------------------------------------------------------------------------

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

# ---- words ----------------------------------------------------------------------------------------

# Words around a timer's name that are not part of it: verbs, articles, politeness, "timer" itself.
_STOP = {"set", "start", "make", "put", "create", "begin", "can", "could", "would", "you", "please", "a", "an", "the",
         "my", "timer", "for", "on", "up", "called", "named", "me", "i", "want", "need", "to", "with", "just", "go",
         "ahead", "and", "countdown", "new", "another", "quick", "hey", "hearth", "ok", "okay", "of", "will", "id",
         "i'd", "like", "add", "run", "give", "thanks", "thank"}
# Words that make a sentence about a timer that runs already ("extend the egg timer..."), never a name.
_NOT_A_NAME = {"extend", "snooze", "reset", "restart", "change", "remind", "pause", "resume", "cancel", "stop",
               "increase", "reduce", "shorten", "lengthen"}
# A "name" made of these is a time of day or a vague span ("a timer for later"), not what the timer is for.
_WHEN_WORDS = {"later", "soon", "now", "today", "tonight", "tomorrow", "morning", "afternoon", "evening", "night",
               "noon", "midnight", "while", "bit", "moment", "ages", "am", "pm", "o'clock", "oclock"}
# A "name" that is one of these points at something said before ("a timer for it").
_PRONOUNS = {"it", "that", "this", "them", "those", "these", "me", "us", "you", "him", "her"}
# Words that join a name to more words after it ("the chicken in the oven"): such a name is left to a model.
_LINKS = {"for", "in", "on", "at", "to", "by", "until", "till", "from", "with", "about", "when", "if"}

_TIMER_WORD = re.compile(r"\b(?:timer|countdown)s?\b")
_QUESTION = re.compile(r"^(?:how|what|when|which|is|are|do|does|did|any|cancel|stop|end|delete|remove|pause|resume)\b")

# "add milk and set a timer for 5 minutes": two requests, which the router splits; not a timer named milk
_TWO_REQUESTS = re.compile(r"\band (?:then )?(?:also )?(?:(?:please|can you|could you|would you|will you) )*"
                           r"(?:set|start|make|create|put|add|remove|take|check|cancel|stop|buy|get|tell|what|how)\b")


# ---- reading a sentence -------------------------------------------------------------------------

# "what's", "how long's", "there's" (also "whats", as speech-to-text writes it): "'s" is "is" after
# these words; the questions below read "is" and "has" alike, so "how long's the pasta got" works.
# After any other word it is a possessive ("mum's timer") and stays.
_IS_CONTRACTION = re.compile(r"\b(what|that|there|here|how|who|where)'?s\b|\b(long|longer|time|timer|timers)'s\b")
# "I've", "we're", "I'd", "you'll", "I'm" after a person
_PERSON_CONTRACTION = re.compile(r"\b(i|you|we|they)'(ve|re|d|ll|m)\b")
_PERSON_FULL = {"ve": "have", "re": "are", "d": "would", "ll": "will", "m": "am"}


def _expand_contractions(text: str) -> str:
    """``"how long's left"`` -> ``"how long is left"``; ``"I've got"`` -> ``"i have got"``."""
    text = _IS_CONTRACTION.sub(lambda m: f"{m.group(1) or m.group(2)} is", text)
    return _PERSON_CONTRACTION.sub(lambda m: f"{m.group(1)} {_PERSON_FULL[m.group(2)]}", text)


def _normalise(text: str) -> str:
    """Lower case, no punctuation but apostrophes inside words, hyphens and clock colons, one space
    between words, contractions written out."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"[^\w\s':-]", " ", text)
    text = re.sub(r"(?<!\w)'|'(?!\w)", " ", text)  # quotes around a word, not "mum's"
    text = re.sub(r"(?<!\d):|:(?!\d)", " ", text)  # "tea timer: 4 minutes", not "1:30"
    return _expand_contractions(re.sub(r"\s+", " ", text).strip())


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


# ---- start requests -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimerRequest:
    """A request to start a timer: the duration as said, in seconds, and the name (None: unnamed)."""

    duration: str
    seconds: int
    name: str | None


# "another one for the broccoli, 4 minutes", "and one more for the rice": "one" stands for a timer
_ANOTHER_ONE = re.compile(r"^(?:and )?(?:another(?P<one> one)?|one more)\b")


def _another_timer(t: str) -> str:
    """``"another one for the peas 4 minutes"`` -> ``"another timer for the peas 4 minutes"``.

    Only in a sentence without the word "timer" whose duration comes later: "another 5 minutes on
    the pasta" asks for more time on a timer, not for a new one.
    """
    m = _ANOTHER_ONE.match(t)
    if m is None or _TIMER_WORD.search(t):
        return t
    first = DURATION.search(t)
    if first is not None and (first.start() < m.end()  # "another one minute"
                              or (first.start() == m.end() + 1 and not m.group("one"))):  # "another 5 minutes"
        return t
    return "another timer" + t[m.end():]


# "egg timer 7 minutes", "the pasta timer, ten minutes": up to three words of name, "timer", then the
# duration (the router turns a comma into "and")
_NAME_THEN_TIMER = re.compile(r"(?:(?:and|a|an|the|my|another|new) )*(?P<name>[\w']+(?: [\w']+){0,2}) "
                              r"(?:timer|countdown)(?: (?:and|for|of|at))?")


def _name_leads(before: str, after: str) -> bool:
    """True when the words before the duration are a name and "timer", and nothing but fillers follow."""
    m = _NAME_THEN_TIMER.fullmatch(before.strip())
    if m is None or any(w not in _STOP for w in after.split()):
        return False
    return not any(w in _STOP or w in _NOT_A_NAME for w in m.group("name").split())


def parse_timer_request(text: str) -> TimerRequest | None:
    """A start-a-timer request in any common order, or None when ``text`` is not one.

    "set a timer for 10 minutes for the pasta", "set a 12 minute timer for cookies", "set the oven
    timer for 45 minutes", "10 minute timer for the rice", "start a timer called tea for 4 minutes",
    "egg timer 7 minutes", "another one for the broccoli, 4 minutes".
    """
    t = _another_timer(_normalise(text))
    if not _TIMER_WORD.search(t) or _QUESTION.match(t) or _TWO_REQUESTS.search(t):
        return None
    spans = list(DURATION.finditer(t))
    if len(spans) != 1:
        return None
    span = spans[0]
    seconds = duration_seconds(span.group(0))
    if seconds is None:
        return None
    before, after = t[:span.start()], t[span.end():]
    rest = (before + " " + after).split()
    if rest and rest[0] not in _STOP and span.start() != 0 and not _name_leads(before, after):
        return None  # "remind me..." or a sentence about something else
    name_words = [w for w in rest if w not in _STOP]
    name = " ".join(name_words).strip() or None
    if name is not None and len(name_words) > 4:
        return None
    return TimerRequest(duration=span.group(0), seconds=seconds, name=name)


_POLITE = r"(?:(?:(?:can|could|would|will) you|please|just) )*"
_START_VERB = rf"{_POLITE}(?:set(?: up)?|start(?: up)?|make|create|begin|put on|put|i need|i want|i would like|give me)"
_ARTICLE = r"(?:a new|a|an|the|my|another|new)"
# a start request that names the timer but says no duration, in either order:
_NO_DURATION = (
    # "set a timer for the chicken", "start a timer called tea", "put a timer on for the roast",
    # "I need a timer for the rice", "timer for the eggs"
    re.compile(rf"(?:{_START_VERB}(?: me)? )?(?:{_ARTICLE} )?(?:timer|countdown)(?: on| up)? (?:for|called|named) "
               r"(?P<name>.+)"),
    # "start the chicken timer", "set a pasta timer", "put the rice timer on"
    re.compile(rf"{_START_VERB}(?: me)? (?:{_ARTICLE} )?(?P<name>.+?) (?:timer|countdown)(?: on| up| going)?"),
)


def _plausible_name(words: str) -> str | None:
    """The name in ``words`` ("the chicken" -> "chicken"), or None when they are no timer's name: a
    duration ("5", "five"), a time of day ("later"), a pronoun, or a phrase that goes on ("the
    chicken in the oven")."""
    parts = words.split()
    while parts and parts[0] in _STOP:
        parts.pop(0)
    while parts and parts[-1] in _STOP:
        parts.pop()
    if not parts or len(parts) > 4:
        return None
    if any(w in _WHEN_WORDS or w in _PRONOUNS or w in _LINKS or w in _NOT_A_NAME or any(c.isdigit() for c in w)
           for w in parts):
        return None
    name = " ".join(parts)
    try:
        parse_duration(name)  # "set a timer for five": five minutes, read by the templates
    except DurationError:
        return name
    return None


# "set a timer", "I need a timer", "start another timer": no name, no duration; the tool asks how long
# (in "add eggs and start a timer" the router matches each request on its own, so both happen)
_BARE_START = re.compile(r"(?:(?:set|start|make|put on|get|give me|i need|i want|i'd like)(?: me)? "
                         r"(?:a|an|another|one more|new)(?: new)? timer(?: (?:going|on|up))?)")


def parse_timer_without_duration(text: str) -> str | None:
    """The timer's name in a start request that says no duration ("set a timer for the chicken",
    "start the chicken timer"), or None.

    A request without a name ("set a timer") is not read here: tier 1 cannot tell it from the same
    words inside "add eggs and start a timer", which the main model answers as a whole.
    """
    t = _normalise(text)
    if _QUESTION.match(t) or _TWO_REQUESTS.search(t) or DURATION.search(t):
        return None
    for pattern in _NO_DURATION:
        m = pattern.fullmatch(t)
        if m is not None:
            return _plausible_name(m.group("name"))
    return None


# ---- questions about timers ---------------------------------------------------------------------

_WHO = r"(?:i|we|you)"
_THE = r"(?:(?:the|my|our) )?"
_RUNNING = r"(?:still )?(?:running|going|on|set|ticking)"
# The questions, tried in order (the first full match wins): about every timer (no ``name`` group),
# then about one timer by name, then the open "how long ..." form last, as it matches the most.
_STATUS_QUESTIONS = tuple(re.compile(p) for p in (
    # "what timers do I have", "which timers have we got going", "what timers did I set"
    rf"(?:what|which) timers? (?:do|did|have) {_WHO} (?:got|have|set|start|started)(?: {_RUNNING})?",
    # "what timers are running", "which timer is on", "what timers are there"
    rf"(?:what|which) timers? (?:are|is) (?:there(?: {_RUNNING})?|{_RUNNING})",
    # "have I got any timers going", "do we have a timer on", "are there any timers", "is there a timer running"
    rf"(?:(?:have|do) {_WHO} (?:got|have)|(?:are|is) there|there (?:are|is)) (?:any |a )?timers?(?: {_RUNNING})?",
    # "any timers running?", "are any timers on", "is a timer going"
    rf"(?:(?:are|is) )?any timers?(?: {_RUNNING})?|(?:are|is) (?:any|a) timers? {_RUNNING}",
    # "how many timers are running", "how many timers have I got"
    rf"how many timers? (?:are (?:there|{_RUNNING})|(?:do|have) {_WHO} (?:got|have))(?: {_RUNNING})?",
    # "what's running", "is anything still running", "anything running right now"
    r"(?:what is|is anything|is there anything|anything)(?: still)? running(?: right now| now| at the moment)?",
    # "how are my timers doing", "how's the timer going"
    rf"how (?:are|is) {_THE}timers? (?:doing|going|looking)",
    # "list my timers", "show me the timers", "check on my timers", "tell me about my timers"
    rf"(?:list|show(?: me)?|check(?: on)?|read(?: out)?|tell me about) (?:all )?(?:of )?{_THE}timers",
    # "is the pasta timer still running", "are my egg timers going"
    rf"(?:is|are) {_THE}(?P<name>.+?) timers? {_RUNNING}",
    # "how's the pasta timer doing", "how is my rice timer going"
    rf"how (?:is|are) {_THE}(?P<name>.+?) timers? (?:doing|going|looking)",
    # "what's left on the pasta timer" ("what's left on the list" is the shopping list's)
    rf"(?:what is|how much is) left on {_THE}(?:(?P<name>.+?) )?timers?",
    # "how long until the rice is done", "how long till my eggs are ready"
    rf"how long (?:until|till|before) {_THE}(?P<name>.+?)(?: timers?)? (?:is|are) (?:done|ready|finished)",
    # "how long has the pasta got (left)", "how long's the pasta got", "how much time does the rice have left"
    rf"how (?:long|much (?:time|longer)) (?:is|has|have|does|do) {_THE}(?P<name>.+?)(?: timers?)? (?:got|have)"
    r"(?: left| remaining| to go)?",
    # "how long will the rice be", "how much longer is the pasta going to take"
    rf"how (?:long|much longer) (?:will|is|are) {_THE}(?P<name>.+?)(?: timers?)? (?:going to |gonna )?(?:be|take)",
    # "how much time is left", "how long is left on the pizza timer", "how much longer on the rice",
    # "how long's left on the pasta", "how much time have I got left on the eggs"
    rf"how (?:much (?:time|longer)|long)(?: is| is there| (?:have|do) {_WHO} (?:got|have))?(?: (?:left|remaining))?"
    rf"(?: (?:on|for|till|until|with))?(?: {_THE}(?P<name>.+?))?(?: timers?)?",
))


def _status_name(said: str | None) -> str:
    """The timer a question names: ``"the pasta"`` -> ``"pasta"``; ``""`` for every timer."""
    name = re.sub(r"^(?:(?:the|my|our|on|for)\s+)+", "", (said or "").strip()).strip()
    return "" if name in ("timer", "timers", "it", "them", "the", "my", "our", "all", "all the", "all my") else name


def parse_timer_status(text: str) -> str | None:
    """A question about running timers: ``""`` for all of them, the timer's name, or None."""
    t = _normalise(text)
    for pattern in _STATUS_QUESTIONS:
        m = pattern.fullmatch(t)
        if m is not None:
            return _status_name(m.groupdict().get("name"))
    return None


# ---- cancel requests ------------------------------------------------------------------------------

_CANCEL_ONE = re.compile(r"(?:cancel|stop|end|kill) the (?P<name>(?!\d)[\w' ]+?) one"
                         r"|(?:turn|switch|shut) off (?:the|my) (?:(?P<name2>(?!\d)[\w' ]+?) )?timer")
_CANCEL_ALL = re.compile(r"(?:cancel|stop|clear|delete|end|kill) (?:all )?(?:of )?(?:my|the) timers")


# ---- the hook -------------------------------------------------------------------------------------


def canonical_duration(seconds: int) -> str:
    """600 -> ``"10 minutes"``; 5400 -> ``"1 hour 30 minutes"``: a duration every parser reads."""
    parts = []
    for unit, size in (("hour", 3600), ("minute", 60), ("second", 1)):
        n, seconds = divmod(seconds, size)
        if n:
            parts.append(f"{n} {unit}{'s' if n != 1 else ''}")
    return " ".join(parts) or "0 seconds"


def match_timer(text: str) -> dict[str, Any] | None:
    """The tool call for a timer request, in the ``match_intent`` hook's shape, or None.

    A start request with a name and no duration becomes ``start_timer`` with an empty duration: the
    tool then asks how long (error code ``duration_missing``) and starts nothing.
    """
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
    asked = parse_timer_status(text)
    if asked is not None:
        return {"name": "timer_status", "arguments": {"name": asked} if asked else {}, "reason": "a timer question"}
    if _BARE_START.fullmatch(_normalise(text)):
        return {"name": "start_timer", "arguments": {"duration": ""}, "reason": "a timer request without a duration"}
    unsaid = parse_timer_without_duration(text)
    if unsaid is not None:
        return {"name": "start_timer", "arguments": {"duration": "", "name": unsaid},
                "reason": "a timer request without a duration"}
    return None
