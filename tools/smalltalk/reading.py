"""How an utterance is read as small talk or as a request no tool covers (tier 1, no model): :func:`classify`,
hassil over the plugin's own sentence file (``sentences/en.yaml``) and the two checks its metadata asks for.

The out-of-scope blocks of the file carry ``unless_words`` (void when the request holds one of those words:
a list, a timer, the clock are other tools') and ``unless_tool`` (void when a registered tool of another
plugin has one of those words in its name or the Home Assistant intents it claims). They also require the
context ``{unless_applied: true}``, which this reader passes: a matcher that does not apply the two checks
never reads them.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import yaml

Kind = Literal["greeting", "thanks", "capabilities", "identity", "how_are_you", "goodbye", "joke", "nevermind",
               "compliment", "acknowledge", "out_of_scope"]

SENTENCES = Path(__file__).parent / "sentences"
CONTEXT = {"unless_applied": True}  # what a matcher that applies unless_words and unless_tool passes


@functools.cache
def grammar(language: str = "en") -> tuple[Any, dict[int, int]]:
    """The compiled sentence file (hassil ``Intents``) and, per template, the index of its data block
    (the earlier block wins a tie)."""
    from hassil import Intents

    intents = Intents.from_dict(yaml.safe_load((SENTENCES / f"{language}.yaml").read_text(encoding="utf-8")))
    order = {id(sentence): i for i, block in enumerate(intents.intents["small_talk"].data)
             for sentence in block.sentences}
    return intents, order


def normalise(text: str) -> str:
    """Lower case, curly apostrophes made straight, punctuation dropped (an apostrophe only inside a word)."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    kept = "".join(c if c.isalnum() or c.isspace() or c == "'" else " " for c in text)
    return " ".join(w.strip("'") for w in kept.split() if w.strip("'"))


def name_words(name: str) -> set[str]:
    """The words of a tool or intent name: ``HassTurnOn`` -> hass, turn, on; ``web_search`` -> web, search."""
    words: list[str] = []
    word = ""
    for i, c in enumerate(name):
        nxt = name[i + 1] if i + 1 < len(name) else ""
        starts = c.isupper() and word and (not word[-1].isupper() or nxt.islower())
        if not c.isalnum() or starts or (word and c.isdigit() != word[-1].isdigit()):
            words.append(word)
            word = ""
        if c.isalnum():
            word += c
    words.append(word)
    return {w.lower() for w in words if w}


def tool_words(tools: Iterable[Any] | None) -> set[str]:
    """The words of the other plugins' tool names and the Home Assistant intents they claim."""
    words: set[str] = set()
    for tool in tools or ():
        if getattr(tool, "plugin", None) == "smalltalk":
            continue
        for name in (getattr(tool, "name", ""), *getattr(tool, "intents", {})):
            words |= name_words(unicodedata.normalize("NFKC", name))
    return words


def void(metadata: dict[str, Any], words: set[str], covered: set[str]) -> bool:
    """Whether a block's match is void: the request holds one of its ``unless_words``, or a registered tool's
    name holds one of its ``unless_tool`` words (``covered``: :func:`tool_words`)."""
    return bool(words & set(metadata.get("unless_words") or ()) or covered & set(metadata.get("unless_tool") or ()))


def _rank(result: Any, order: dict[int, int]) -> tuple[int, int, int, int]:
    """hassil's own order (fewer wildcards, more literal text, less wildcard text), then the block's."""
    wild = [e for e in result.entities_list if e.is_wildcard]
    return (len(wild), -result.text_chunks_matched, sum(len(e.text or "") for e in wild),
            order.get(id(result.intent_sentence), len(order)))


def classify(text: str, tools: Iterable[Any] | None = None) -> tuple[Kind, str | None] | None:
    """The small-talk kind of an utterance (and, out of scope, what it asked for), or None.

    ``tools``: the agent's registered tools; an out-of-scope topic that one of them may cover is not claimed
    (without them, every topic of the file is).
    """
    from hassil import recognize_all

    t = normalise(text)
    if not t:
        return None
    intents, order = grammar()
    results = sorted(recognize_all(t, intents, intent_context=CONTEXT), key=lambda r: _rank(r, order))
    words, covered = set(t.split()), tool_words(tools)
    for result in results:
        if void(result.intent_metadata or {}, words, covered):
            continue
        kind, topic = result.entities["kind"].value, result.entities.get("topic")
        return kind, (topic.value if topic is not None else None)
    return None
