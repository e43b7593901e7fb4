"""Checks of a model's call against the request it answers, before the call runs.

- :func:`disagrees`: the call's tool does not fit what was said: the request says none of the verbs the
  tool's own sentences begin with but another writing tool's ("remove the juice boxes" is no add), or a
  write is called for a request that opens with another tool's verb ("text jo the list");
- :func:`unsupported`: a write the request says none of the tool's own words for: asked first ("Should I
  add an item to the shopping list: nappies?"), run on a yes;
- :func:`unsaid`: a number, a duration or a thing the call passes that the request never says
  ("rice timer for 3 minutes" from "three timers rice eighteen minutes ...", "bananas" from "add the
  usual"): a model that made it up is asked to be said again, never run;
- :func:`vacant`: a thing argument names nothing: only hesitations, pronouns, function words or verbs
  ("um", "that", "put" from "put that on the list"), a hesitation copied from speech ("pears and erm tom"),
  or a thing pointed at, not named ("the thing jess mentioned"). Hearth asks for it instead.

The words are the language's (``matching.yaml``); the verbs are the grammar's.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from hearth.understanding.language import matching_words
from hearth.understanding.language import words as language_words
from hearth.understanding.slot_text import pointed_at
from hearth.understanding.things import amount_alone, amount_split

log = logging.getLogger("hearth.understanding")

NEAR = 80  # rapidfuzz ratio at which a word of a model's thing is the request's word
NOT_SURE = "Sorry, I'm not sure what you want me to do. Could you say it another way?"


def disagrees(text: str, tool: str, verbs: Mapping[str, frozenset[str]], writes: frozenset[str],
              language: str = "en") -> str | None:
    """Why a model's call of ``tool`` does not fit ``text`` (see the module's docstring), or None; a tool
    without sentences, or a request with no such verb, fits. ``verbs``: each tool's sentence-opening verbs;
    ``writes``: the tools that change something."""
    from hearth.understanding.normalise import normalise
    mine = verbs.get(tool)
    if not mine:
        return None
    spoken = normalise(text, lang=language).split()
    said = set(spoken)
    first = spoken[0] if spoken else ""
    theirs = {name for name, vs in verbs.items() if first in vs and name != tool}
    if tool in writes and first not in mine and theirs and first not in matching_words(language)["not_verbs"]:
        log.info("a model called %s for %r, which opens with %r of %s", tool, text, first, sorted(theirs))
        return NOT_SURE
    if said & mine:
        return None
    others = {v for name, vs in verbs.items() if name != tool and name in writes for v in vs} - mine
    if said & others:
        log.info("a model called %s for %r, which says %s", tool, text, sorted(said & others))
        return NOT_SURE
    return None


def unsupported(text: str, tool: str, verbs: Mapping[str, frozenset[str]], writes: frozenset[str],
                language: str = "en") -> bool:
    """A model's write that ``text`` says none of the tool's own sentence-opening words for ("scrap the
    nappies off" read as an add): run only after a yes. A tool without sentences is never held back."""
    from hearth.understanding.normalise import normalise
    mine = verbs.get(tool) or frozenset()
    return bool(mine) and tool in writes and not set(normalise(text, lang=language).split()) & mine


def unsaid(text: str, arguments: dict[str, Any], properties: Mapping[str, Any],
                  language: str = "en") -> str | None:
    """The first argument whose amount, duration or thing ``text`` never says (see the module's
    docstring), or None. A number argument at its default (a quantity of 1 left implicit) needs saying
    no more than one left out."""
    from hearth.understanding.normalise import normalise
    from hearth.understanding.numbers import amounts_in, durations_in, read_duration
    spoken = normalise(text, lang=language)
    numbers: set[float] | None = None
    seconds: set[int] | None = None
    for key, value in arguments.items():
        found = properties.get(key)
        schema: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value != schema.get("default", 1):
            numbers = amounts_in(spoken, language) if numbers is None else numbers
            seconds = durations_in(spoken, language) if seconds is None else seconds
            if value not in numbers and value not in seconds:
                return str(key)
        elif isinstance(value, str) and (length := read_duration(value, language)) is not None:
            seconds = durations_in(spoken, language) if seconds is None else seconds
            if length not in seconds:
                return str(key)
        elif isinstance(value, str) and key in matching_words(language)["thing_arguments"] and not _named_in(value, spoken, language):
            return str(key)  # a thing the request never names ("bananas" for "add the usual")
    return None


def _named_in(thing: str, spoken: str, language: str = "en") -> bool:
    """Whether a word of ``thing`` is said in ``spoken``, near enough (a plural, a near-miss: the tool
    finds "baked beans" for "beans", a model writes "chillies" for "chilly")."""
    from rapidfuzz import fuzz
    said = spoken.split()
    mine = matching_words(language)["function_words"]
    return any(fuzz.ratio(w, s) >= NEAR for w in thing.lower().split() if w not in mine for s in said)


def vacant(arguments: dict[str, Any], language: str = "en") -> str | None:
    """The first argument naming a thing (the language's ``thing_arguments``) that names nothing (see the
    module's docstring); None when every one says something."""
    from hearth.understanding.normalise import normalise
    mine = matching_words(language)
    empty = mine["pronouns"] | mine["function_words"] | mine["clause_verbs"] | mine["not_things"]
    for key, value in arguments.items():
        if key in mine["thing_arguments"] and isinstance(value, str) and value.strip():
            said = value.lower().split()
            if all(w in empty for w in normalise(value).split()):
                return str(key)
            if set(said) & language_words(language).hesitations:
                return str(key)  # "pears and erm tom": a model copied speech it did not read
            if pointed_at(said, mine):
                return str(key)  # "the thing jess mentioned"
            if amount_alone(value.lower()) is not None:
                return str(key)  # "three" from "add three more of those": an amount, no thing
            if len(amount_split(value.lower(), language)) > 1:
                return str(key)  # "celery root two of them": a thing and its amount in one name
    return None
