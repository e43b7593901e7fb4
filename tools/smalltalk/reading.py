"""How an utterance is read as small talk or as a request no tool covers (tier 1, no model): :func:`classify`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal

from .phrases import (
    _ASKING,
    _BEFORE_OWN_WORDS,
    _LIST_VERBS,
    _MAX_PHRASE_WORDS,
    _MAX_SMALL_TALK_WORDS,
    _NOT_GROCERIES,
    _OUT_OF_SCOPE,
    _OWN_WORDS,
    _RANK,
    _SMALL_TALK,
    _SMALL_TALK_RX,
    Topic,
)

Kind = Literal["greeting", "thanks", "capabilities", "identity", "how_are_you", "goodbye", "joke", "nevermind",
               "compliment", "acknowledge", "out_of_scope"]


def _normalise(text: str) -> str:
    """Lower case, curly apostrophes made straight, punctuation and quotes dropped, apostrophes kept."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"[^\w\s']|(?<!\w)'|'(?!\w)", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _small_talk_kind(t: str) -> Kind | None:
    """The kind of an utterance made only of small-talk phrases (normalised text), or None.

    The words are split into the fewest phrases (so "no thanks" is one phrase, not "no" + "thanks"); the
    utterance takes the most telling kind among them. Fillers alone ("please", "um") are not small talk.
    """
    words = t.split()
    n = len(words)
    if not n or n > _MAX_SMALL_TALK_WORDS:
        return None
    # best[j]: the fewest phrases covering words[:j], and the best rank among them (ties: the more telling)
    best: list[tuple[int, int] | None] = [(0, len(_RANK))] + [None] * n
    for j in range(1, n + 1):
        for i in range(max(0, j - _MAX_PHRASE_WORDS), j):
            before = best[i]
            if before is None:
                continue
            m = _SMALL_TALK_RX.fullmatch(" ".join(words[i:j]))
            if m is None or m.lastgroup is None:
                continue
            candidate = (before[0] + 1, min(before[1], _RANK[m.lastgroup]))
            current = best[j]
            if current is None or candidate < current:
                best[j] = candidate
    end = best[n]
    if end is None or end[1] >= _RANK["filler"]:
        return None
    return _SMALL_TALK[end[1]][0]  # type: ignore[return-value]  # the kinds above are Kind's values


def _tool_words(tools: Iterable[Any] | None) -> set[str]:
    """The words of the other plugins' tool names and the Home Assistant intents they claim:
    ``HassTurnOn`` -> turn, on; ``web_search`` -> web, search."""
    words: set[str] = set()
    for tool in tools or ():
        if getattr(tool, "plugin", None) == "smalltalk":
            continue
        for name in (getattr(tool, "name", ""), *getattr(tool, "intents", {})):
            words.update(w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", name))
    return words


def _out_of_scope(t: str, tools: Iterable[Any] | None) -> str | None:
    """The topic of a request (normalised text) that no tool covers, or None: not one, or a tool may."""
    asked = _ASKING.sub("", t) or t
    found: list[Topic] = [row for row in _BEFORE_OWN_WORDS if row[1].search(asked)]
    if not found:
        if _OWN_WORDS.search(t) or (_LIST_VERBS.match(asked) and not _NOT_GROCERIES.match(asked)):
            return None
        found = [row for row in _OUT_OF_SCOPE if row[1].search(asked)]
    if not found:
        return None
    covered = _tool_words(tools)
    if any(covered.intersection(words) for _, _, words in found):
        return None  # a registered tool may do it: leave the request to that tool (or to the model)
    return found[0][0]


def classify(text: str, tools: Iterable[Any] | None = None) -> tuple[Kind, str | None] | None:
    """The small-talk kind of an utterance (and, out of scope, what it asked for), or None.

    ``tools``: the agent's registered tools; an out-of-scope topic that one of them may cover is not claimed
    (without them, every topic on the out-of-scope list is).
    """
    t = _normalise(text)
    if not t:
        return None
    kind = _small_talk_kind(t)
    if kind is not None:
        return kind, None
    topic = _out_of_scope(t, tools)
    return ("out_of_scope", topic) if topic is not None else None
