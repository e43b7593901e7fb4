"""The dialogue's language: its sentences (``lang/<language>/dialogue.yaml``, compiled by hassil) and the
word logic its mechanisms share: text to words, leading words dropped, references found, amounts and
durations read. No English word is written here; they all come from the YAML file.
"""

from __future__ import annotations

import functools
import logging
import string
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hearth.understanding.normalise import normalise
from hearth.understanding.numbers import read_duration, read_number, read_quantity

log = logging.getLogger("hearth.dialogue")

LANG_DIR = Path(__file__).resolve().parent.parent / "understanding" / "lang"
# punctuation becomes a space; an apostrophe inside a word stays ("don't", "it's")
_PUNCTUATION = str.maketrans({c: " " for c in string.punctuation if c != "'"})


@dataclass(frozen=True)
class Heard:
    """A dialogue intent heard in a turn: its name, its slots (as said) and its block's metadata;
    ``leads`` are the leading words dropped before it matched."""

    intent: str
    slots: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    leads: tuple[str, ...] = ()


class Language:
    """One language's dialogue data: the compiled sentences and the word lists of ``dialogue:``."""

    def __init__(self, data: dict[str, Any]) -> None:
        from hassil import Intents

        words = data.get("dialogue") or {}
        self.code = str(data.get("language") or "en")
        self.intents = Intents.from_dict({k: v for k, v in data.items() if k != "dialogue"})
        self.lead_words = _phrases(words.get("lead_words"))
        self.correction_leads = set(_phrases(words.get("correction_leads")))
        self.spot_words = frozenset(str(w) for w in words.get("spot_words") or ())
        self.correction_marks = frozenset(str(w) for w in words.get("correction_marks") or ())
        self.tail_words = _phrases(words.get("tail_words"))
        self.negations = set(_phrases(words.get("negations")))
        refs = words.get("references") or {}
        self.refs_one = _phrases(refs.get("one"))
        self.refs_all = _phrases(refs.get("all"))
        # every reference as words, longest first: (words, plural)
        self.references = sorted([(tuple(p.split()), False) for p in self.refs_one]
                                 + [(tuple(p.split()), True) for p in self.refs_all], key=lambda r: -len(r[0]))
        self.articles = set(words.get("articles") or ())
        self.not_things = set(_phrases(words.get("not_things")))
        self.thing_arguments: tuple[str, ...] = tuple(words.get("thing_arguments") or ())
        self.units = {" ".join(str(u).split()) for u in words.get("units") or ()}
        self.time_units = [(str(a), str(b), int(s)) for a, b, s in words.get("time_units") or ()]
        self.restate_amount = str(words.get("restate_amount") or "")
        self.same_amounts = set(_phrases(words.get("same_amounts")))
        self.more_verbs = frozenset(str(w) for w in words.get("more_verbs") or ())
        self.reference_phrasings = [str(p) for p in words.get("reference_phrasings") or ("{thing}",)]
        self.replies: dict[str, str] = {str(k): str(v) for k, v in (words.get("replies") or {}).items()}

    # ---- sentences ----------------------------------------------------------------------------

    def hear(self, text: str) -> Heard | None:
        """The dialogue intent of ``text`` (words as :func:`words` gives them), tried as said and then
        with its leading words dropped; None when no dialogue sentence fits."""
        from hassil import recognize_best

        bare, leads = self.strip_leads(text)
        tried: set[str] = set()

        def candidates() -> Iterator[tuple[str, tuple[str, ...]]]:
            # without the leading words first ("sorry oat milk instead" is "oat milk instead"), then as
            # said, then without the trailing words ("put it back please"), then normalised ("would you
            # undo it please" -> "undo it"), each read only when the one before it was no dialogue intent
            yield bare, leads
            yield text, ()
            yield from ((t, leads) for t in self.tail_steps(bare))
            yield words(normalised(text)), ()

        for candidate, dropped in candidates():
            if not candidate or candidate in tried:
                continue
            tried.add(candidate)
            try:
                result = recognize_best(candidate, self.intents)
            except Exception:  # a hassil bug must not cost the turn
                log.exception("hassil failed on %r", candidate)
                return None
            if result is not None:
                slots = {k: str(v.text or v.value).strip() for k, v in result.entities.items()}
                return Heard(result.intent.name, slots, dict(result.intent_metadata or {}), tuple(dropped))
        return None

    def spot(self, text: str, intents: tuple[str, ...] = ("undo",)) -> list[tuple[int, int, Heard]]:
        """The spans of ``text`` (word positions ``start, end``) that are a sentence of ``intents`` with
        no wildcard in it, longest first: "undo that" in "nvm undo that", "put it back" in "oh dear no
        put it back please". What the rest says is the caller's to judge."""
        from hassil import recognize_best

        said = text.split()
        found: list[tuple[int, int, Heard]] = []
        if not self.spot_words.intersection(said):
            return found  # no word an undo says: no span to try
        for size in range(min(len(said), self.SPOT_WORDS), 0, -1):
            for start in range(len(said) - size + 1):
                try:
                    result = recognize_best(" ".join(said[start:start + size]), self.intents)
                except Exception:  # a hassil bug must not cost the turn
                    log.exception("hassil failed on %r", text)
                    return found
                if result is not None and result.intent.name in intents and not result.entities:
                    found.append((start, start + size, Heard(result.intent.name, {},
                                                             dict(result.intent_metadata or {}))))
        return found

    # the longest span :meth:`spot` tries (a sentence with no wildcard is short)
    SPOT_WORDS = 6

    # ---- words --------------------------------------------------------------------------------

    def strip_leads(self, text: str) -> tuple[str, tuple[str, ...]]:
        """``text`` without its leading words ("oh wait i meant pears" -> "i meant pears"), and those words."""
        words, dropped = text.split(), []
        while words:
            lead = next((p for p in self.lead_words if words[:len(p.split())] == p.split()), None)
            if lead is None:
                break
            dropped.append(lead)
            words = words[len(lead.split()):]
        return " ".join(words), tuple(dropped)

    def strip_tail(self, text: str) -> str:
        """``text`` without its trailing words ("ten minutes please" -> "ten minutes"); never empty."""
        steps = self.tail_steps(text)
        return steps[-1] if steps else " ".join(text.split())

    def tail_steps(self, text: str) -> list[str]:
        """``text`` less one more trailing word at each step ("oat milk instead sorry" -> "oat milk
        instead" -> "oat milk"); never empty."""
        out, words = [], text.split()
        while len(words) > 1:
            tail = next((p for p in self.tail_words if len(p.split()) < len(words)
                         and words[-len(p.split()):] == p.split()), None)
            if tail is None:
                break
            words = words[:-len(tail.split())]
            out.append(" ".join(words))
        return out

    def find_reference(self, text: str) -> tuple[int, int, bool] | None:
        """Where ``text``'s first reference ("it", "them", "the last thing") is, as word positions
        ``(start, end, plural)``; the longest reference at a position wins."""
        words = text.split()
        for i in range(len(words)):
            for phrase, plural in self.references:
                n = len(phrase)
                if tuple(words[i:i + n]) == phrase:
                    return i, i + n, plural
        return None

    def is_reference(self, text: str) -> bool:
        """``text`` is a reference and nothing else ("it", "that one")."""
        t = " ".join(text.split())
        return t in self.refs_one or t in self.refs_all

    def bare_thing(self, text: str) -> str:
        """A thing's name without its articles, lower-case ("The Sugar" -> "sugar")."""
        words = text.lower().split()
        while len(words) > 1 and words[0] in self.articles:
            words = words[1:]
        return " ".join(words)

    def same_thing(self, a: str, b: str) -> bool:
        """``a`` and ``b`` name the same thing, articles and a plural "s" aside."""
        def key(t: str) -> str:  # the words, each without a plural "s"
            return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
                            for w in self.bare_thing(t).split())
        return bool(a.strip()) and key(a) == key(b)

    # ---- amounts and durations (the core's number reader) -----------------------------------------

    def amount(self, text: str) -> tuple[float | None, str]:
        """``"two bags"`` -> ``(2, "bags")``, ``"a dozen"`` -> ``(12, "")``, ``"oat milk"`` -> ``(None, "oat milk")``."""
        n, rest = read_quantity(text)
        if n is None:  # an amount alone: "a dozen", "3"
            alone = read_number(text)
            return (alone, "") if alone is not None else (None, " ".join(text.lower().split()))
        return n, " ".join(rest.lower().split())

    def seconds(self, text: str) -> int | None:
        """A duration's length in seconds ("5 minutes" -> 300), or None when ``text`` is not one."""
        return read_duration(text)

    def time_unit(self, seconds: int, n: float) -> str:
        """The unit a duration of ``seconds`` is said in, for an amount ``n`` ("minute" or "minutes")."""
        for one, many, size in self.time_units:
            if seconds >= size and seconds % size == 0:
                return one if n == 1 else many
        return self.time_units[-1][1] if self.time_units else ""

    def reply(self, key: str, **values: str) -> str:
        """A reply of the ``replies`` table with ``values`` put in."""
        return self.replies.get(key, key).format(**values)


def _phrases(items: Sequence[Any] | None) -> list[str]:
    """Phrases with single spaces, longest first (so "no wait" is tried before "no")."""
    return sorted({" ".join(str(p).lower().split()) for p in items or ()}, key=lambda p: -len(p.split()))


def words(text: str) -> str:
    """Text as the dialogue's sentences read it: lower case, punctuation gone (apostrophes inside words
    kept), single spaces."""
    out = []
    for word in text.lower().translate(_PUNCTUATION).split():
        word = word.strip("'")
        if word:
            out.append(word)
    return " ".join(out)


def normalised(text: str) -> str:
    """``text`` as the understanding layer reads it (fillers, the assistant's name and self-repairs
    dropped): what a slot value becomes before it is a tool's argument."""
    return normalise(text) or words(text)


@functools.lru_cache(maxsize=4)
def language(code: str = "en") -> Language:
    """The dialogue data of ``code``, loaded and compiled once per process."""
    data = yaml.safe_load((LANG_DIR / code / "dialogue.yaml").read_text(encoding="utf-8")) or {}
    return Language(data)
