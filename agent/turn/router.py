"""Which tier answers a turn, and why.

Tier 1 is the intent fast path, no LLM at all: the utterance, normalised, is read by the plugins'
``match_intent`` hooks and then by the grammar of every sentence file (:mod:`hearth.understanding`),
one call per request said. Tier 2 is the small ``router`` model (CPU) for short requests that one tool answers;
tier 3 is the ``main`` model for everything else, and for tier-2 turns whose model produced no valid
call. Every decision carries a reason in plain words.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hearth.config import ModelsFile
from hearth.tooling.runner import Tool
from hearth.turn.clause_reading import ClauseReading
from hearth.understanding.clauses import clauses
from hearth.understanding.language import matching_words
from hearth.understanding.matcher import IntentMatch, Matcher
from hearth.understanding.normalise import normalise, self_repaired

log = logging.getLogger(__name__)

__all__ = ["IntentMatch", "Matcher", "Route", "Router", "assistant_names", "normalise"]


@dataclass(frozen=True)
class Route:
    """The routing decision for one turn."""

    tier: int  # 1 intent fast path, 2 router model, 3 main model
    reason: str
    role: str | None = None  # the role whose model answers (tiers 2 and 3)
    model: str | None = None
    match: IntentMatch | None = None
    ms: float = 0.0
    # tier 1 only: further calls of one sentence holding several requests ("add milk and set a timer")
    more: tuple[IntentMatch, ...] = ()
    escalate_to: str | None = None  # tier 2 only: the role to try when the router produces no valid call
    say: str | None = None  # tier 1 with no call: what to say (a question back, "I can't undo that.")
    quiet: int = 0  # tier 1: how many of the first calls are steps not worth saying (an undo before a correction)


def assistant_names(models: ModelsFile) -> tuple[str, ...]:
    """The names people call the assistant by: "hearth", and the configured wake word's name
    (``hey_jarvis`` -> "jarvis", ``okay_nabu`` -> "nabu")."""
    names = ["hearth"]
    wake = ((models.speech or {}).get("voice") or {}).get("wake_word")
    if isinstance(wake, str) and wake and "/" not in wake and not wake.endswith(".json"):
        words = wake.lower().replace("-", "_").split("_")
        names.append(" ".join(words[1:] if len(words) > 1 else words))
    return tuple(names)


# ---------------------------------------------------------------------------------------------------
# tiers 2 and 3
# ---------------------------------------------------------------------------------------------------

MAX_SIMPLE_WORDS = 12
# Words that ask for thought, not an action: such a request goes to the main model however short.
OPEN_ENDED = {"plan", "suggest", "recommend", "explain", "why", "how", "compare", "write", "think", "idea",
              "ideas", "help", "recipe", "recipes", "summarize", "summarise", "story", "joke"}
_STOP = {"a", "an", "the", "my", "me", "to", "on", "of", "for", "from", "in", "is", "it", "i", "and", "or",
         "be", "do", "what", "please", "some", "any", "with", "at", "by", "as", "this", "that", "there",
         "you", "your", "can", "could", "would", "will"}


def _repairs(sentences: list[str]) -> bool:
    """A sentence opens with a word of self-repair ("I mean the parsley."): it repairs the one before."""
    from hearth.understanding import words
    from hearth.understanding.language import phrase_at
    lang = words()
    found = (phrase_at([w.strip(",.!?;:") for w in s.lower().split()], 0, lang.markers) for s in sentences)
    return any(m is not None and m in lang.strong_markers for m in found)


def _words(text: str) -> list[str]:
    return [_fold(w) for w in re.findall(r"[a-z0-9']+", text.lower())]


def _fold(word: str) -> str:
    word = word.strip("'")
    if word.endswith("'s"):
        word = word[:-2]
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _vocabulary(tool: Tool) -> set[str]:
    """The words a request for this tool tends to use: its name, its templates' literal words."""
    literal = " ".join(re.sub(r"\{\w+\}", " ", t) for t in tool.examples)
    return {w for w in _words(tool.name.replace("_", " ") + " " + literal) if w not in _STOP}


@dataclass
class Router(ClauseReading):
    """Chooses the tier for each turn; tier-1 matchers are tried in order."""

    models: ModelsFile
    tools: Any  # ToolRegistry
    matchers: list[Callable[[str], IntentMatch | None]] = field(default_factory=list)
    grammar: Matcher | None = None  # the sentence files' grammar (after the plugins' matchers)
    names: tuple[str, ...] = ("hearth",)  # what people call the assistant (dropped before matching)
    _vocab: dict[str, set[str]] | None = field(default=None, init=False)

    def _likely_plugins(self, words: set[str]) -> dict[str, set[str]]:
        """The plugins whose tools' words the request uses; a word that several plugins' tools use
        ("list", "time") tells none of them apart and counts for none."""
        if self._vocab is None:
            vocab = {t.name: _vocabulary(t) for t in self.tools}
            owners: dict[str, set[str]] = {}
            for tool in self.tools:
                for w in vocab[tool.name]:
                    owners.setdefault(w, set()).add(tool.plugin or tool.name)
            self._vocab = {name: {w for w in ws if len(owners[w]) == 1} for name, ws in vocab.items()}
        hits: dict[str, set[str]] = {}
        for tool in self.tools:
            common = words & self._vocab.get(tool.name, set())
            if common:
                hits.setdefault(tool.plugin or tool.name, set()).update(common)
        return hits

    def read(self, text: str) -> str:
        """``text`` as the grammar reads it: :func:`hearth.understanding.normalise` with this
        assistant's names."""
        return normalise(text, self.names) or text.strip().lower()

    def repaired(self, text: str) -> str | None:
        """``text`` as the grammar reads it when the speaker took words back ("put coriander no no
        pudina" -> "put pudina"), else None: a model reads that instead of what was taken back."""
        return self_repaired(text, self.names)

    def _calls(self, cleaned: str, fuzzy: bool = False) -> list[IntentMatch]:
        for matcher in self.matchers:  # plugins' own fast paths first
            found = matcher(cleaned)
            if found is not None:
                return [found]
        if self.grammar is None:
            return []
        return list(self.grammar.match(cleaned) if fuzzy else self.grammar.strict(cleaned))

    def match(self, text: str) -> IntentMatch | None:
        """Tier 1 alone: the first call for ``text`` (normalised here), or None."""
        found = self._calls(self.read(text), fuzzy=True)
        return found[0] if found else None

    def first(self, text: str) -> IntentMatch | None:
        """The first call of :meth:`match_all` (a request read with its remarks, clause by clause), or None:
        how the dialogue reads a follow-up said again with its thing ("cancel the oven timer not
        supposed to be on yet")."""
        found = self.match_all(text)
        return found[0] if found else None

    def match_all(self, text: str) -> list[IntentMatch]:
        """Tier 1 for a sentence that may hold several requests: one call per request, or [].

        The whole sentence first; then each seam ("and", "then", "also") where the rest begins a
        request of its own, or continues the first one's verb ("set a timer for 5 minutes and
        another for 10"); then clause by clause (:meth:`_by_clause`); then the fuzzy stage over the whole."""
        cleaned = self.read(text)
        sentences = clauses(text)
        if len(sentences) > 1 and _repairs(sentences[1:]):  # "remove the coriander. i mean the parsley."
            sentences = [text]  # the normaliser's repair reads them as one
        if len(sentences) > 1:  # sentences of their own ("in aldi now. got eggs, butter, cheese")
            by_clause = self._by_clause(text)
            if by_clause is None:  # a sentence that may ask for something unread: never swallowed into a slot
                return []
            found = by_clause or self._split(cleaned, depth=0) or self._calls(cleaned, fuzzy=True)
        else:
            found = self._split(cleaned, depth=0) or self._by_clause(text) or self._calls(cleaned, fuzzy=True)
        pronouns = matching_words()["pronouns"]
        if any(isinstance(v, str) and v in pronouns for m in found for v in m.arguments.values()):
            return []  # "remove it" with nothing before it in the sentence: the dialogue's to resolve
        return found

    def route(self, text: str, *, role: str | None = None, tier: int | None = None) -> Route:
        """Decide the tier; ``role`` forces a model (after tier 1), ``tier`` forces a tier (benchmarks)."""
        t0 = time.perf_counter()

        def done(**kw: Any) -> Route:
            return Route(ms=round((time.perf_counter() - t0) * 1000, 3), **kw)

        if tier in (None, 1):
            found = self.match_all(text)
            if found:
                reason = " + ".join(f.source for f in found)
                return done(tier=1, reason=reason, match=found[0], more=tuple(found[1:]))
            if tier == 1:
                return done(tier=3, role="main", model=self.models.roles.main,
                            reason="no template matched: main")
        main = self.models.roles.main
        router = self.models.roles.router or main
        if role is not None:
            name, _ = self.models.for_role(role)
            return done(tier=2 if role == "router" else 3, role=role, model=name, reason=f"role chosen: {role}")
        if tier == 2:
            return done(tier=2, role="router", model=router, reason="tier 2 chosen",
                        escalate_to="main" if router != main else None)
        if tier == 3:
            return done(tier=3, role="main", model=main, reason="tier 3 chosen")
        words = _words(text)
        content = {w for w in words if w not in _STOP}
        plugins = self._likely_plugins(content)
        same = " (the router is the main model)" if router == main else ""
        if len(words) > MAX_SIMPLE_WORDS:
            reason = f"long request ({len(words)} words): main"
        elif re.search(r"[.;!?]\s+\S", text.strip()) or re.search(r"\b(and then|then|also)\b", text.lower()):
            reason = "more than one request: main"
        elif content & OPEN_ENDED:
            reason = f"open-ended ({', '.join(sorted(content & OPEN_ENDED))}): main"
        elif not plugins:
            reason = "no tool in sight: main"
        elif len(plugins) > 1:
            reason = f"several tools ({', '.join(sorted(plugins))}): main"
        else:
            plugin = next(iter(plugins))
            return done(tier=2, role="router", model=router, reason=f"short, one tool ({plugin}): router{same}",
                        escalate_to="main" if router != main else None)
        return done(tier=3, role="main", model=main, reason=reason)


def clean_utterance(text: str) -> str:
    """TEMPORARY (issue 24): the dialogue's old name for :func:`normalise`."""
    return normalise(text) or text.strip()
