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
from dataclasses import dataclass, field, replace
from typing import Any

from hearth.config import ModelsFile
from hearth.tooling.runner import Tool
from hearth.understanding.clauses import clauses, remark_cut, request_cut
from hearth.understanding.language import matching_words
from hearth.understanding.matcher import IntentMatch, Matcher
from hearth.understanding.normalise import normalise

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


def _pronoun_slot(call: IntentMatch) -> str | None:
    """The argument of ``call`` naming its thing ("item", "name") that holds only a pronoun ("it"), or None."""
    pronouns = matching_words()["pronouns"]
    for slot in ("item", "name"):
        value = call.arguments.get(slot)
        if isinstance(value, str) and value.strip().lower() in pronouns:
            return slot
    return None


def _same_thing(found: list[IntentMatch]) -> list[IntentMatch]:
    """In one sentence, "it" means what the request before it named: "we're out of toilet paper, add it
    to the list" is one add of toilet paper, "add milk and then check it off" checks off milk."""
    out: list[IntentMatch] = []
    for m in found:
        if out:
            before = out[-1].arguments
            slot = _pronoun_slot(m)
            if slot is not None and isinstance(before.get(slot), str):
                m = replace(m, arguments={**m.arguments, slot: before[slot]})
            if any(m.name == o.name and m.arguments == o.arguments for o in out):
                continue  # said twice ("i got the peppers ... so check those off")
        out.append(m)
    return out


# ---------------------------------------------------------------------------------------------------
# tiers 2 and 3
# ---------------------------------------------------------------------------------------------------

MAX_SIMPLE_WORDS = 12
# a clause that names a thing "it" may mean is short ("the bread")
MAX_THING_WORDS = 4
# Words that ask for thought, not an action: such a request goes to the main model however short.
OPEN_ENDED = {"plan", "suggest", "recommend", "explain", "why", "how", "compare", "write", "think", "idea",
              "ideas", "help", "recipe", "recipes", "summarize", "summarise", "story", "joke"}
_STOP = {"a", "an", "the", "my", "me", "to", "on", "of", "for", "from", "in", "is", "it", "i", "and", "or",
         "be", "do", "what", "please", "some", "any", "with", "at", "by", "as", "this", "that", "there",
         "you", "your", "can", "could", "would", "will"}


def _amount_alone(text: str) -> bool:
    """``text`` is an amount and nothing else: "a dozen", "3", "two packs"."""
    from hearth.understanding import read_number, read_quantity, words
    if not text or read_number(text) is not None:
        return bool(text)
    n, rest = read_quantity(text)
    return n is not None and rest in words().quantity_units


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
class Router:
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
        if len(clauses(text)) > 1:  # sentences of their own ("in aldi now. got eggs, butter, cheese")
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

    def _by_clause(self, text: str) -> list[IntentMatch] | None:
        """The requests of ``text`` read clause by clause (:mod:`hearth.understanding.clauses`), remarks
        left out: "all done, clear the whole list" clears it, "add coffee we're basically out" adds
        coffee. A clause that reads as a request only once near-misses are corrected makes the whole
        turn the models' (nothing is dropped that may have asked for something). A clause that names a
        thing and nothing else is what "it" means in the next ("the bread, remove it please")."""
        parts = clauses(text)
        if len(parts) == 1:
            parts = clauses(text, commas=True)
        if len(parts) == 1:  # "i got the peppers on the way home so check those off": two requests, one clause
            for cut in (remark_cut(parts[0]), request_cut(parts[0])):
                if cut is not None and self._calls(self.read(cut[1])) and self._calls(self.read(cut[0])):
                    parts = list(cut)
                    break
        found: list[IntentMatch] = []
        loose: str | None = None  # the last clause that was no request, for "it" in the next
        before: tuple[str, int] | None = None  # the last clause that was a request, and its calls
        for i, part in enumerate(parts):
            calls = self._split(self.read(part), depth=0)
            cut = remark_cut(part) if not calls else None
            if cut is not None and not self._calls(self.read(cut[1]), fuzzy=True):
                calls = self._split(self.read(cut[0]), depth=0)
            opening = request_cut(part) if not calls and cut is None else None
            if opening is not None and not self.asks_something(opening[0]):  # "oh we're out could you add milk"
                calls = self._split(self.read(opening[1]), depth=0)
            if not calls and before is not None and _amount_alone(self.read(part)):
                # "add eggs. dozen.": an amount alone is the amount of the thing the clause before named
                joined = self._split(self.read(f"{before[0]} {part}"), depth=0)
                if len(joined) == before[1]:
                    del found[-before[1]:]
                    calls = joined
            if not calls and len(parts) == 1:
                calls = self._spotted(part)  # "ben's just back from the shop tick off the milk"
            if calls:
                said = found[-before[1]:] if before is not None and loose is None else []
                found.extend(c for call in calls for c in self._them(self._it_is(call, loose), said))
                loose, before = None, (part, len(calls))
            elif len(parts) == 1:
                return []
            elif self.asks_something(part):
                return None  # a clause that may ask for something it could not read: the models' turn
            else:
                thing = remark_cut(part, min_words=1)
                loose = self.read(thing[0] if thing else part) if i < len(parts) - 1 else None
        return _same_thing(found) if found else []

    def _spotted(self, text: str) -> list[IntentMatch]:
        """A request said inside a clause with remarks around it and no mark between them ("ben's just
        back from the shop tick off the milk and the bread", "remove the biscuits from the list the doctor
        says i must cut down"): it begins at a tool's verb and ends at the clause's end or where a remark
        begins (the language's ``remark_starts``) or after a word a request may end with (``clause_ends``);
        taken when the words before and after it ask for nothing of their own."""
        said = self.read(text).split()
        verbs = self.grammar.grammar.verbs if self.grammar is not None and self.grammar.grammar else {}
        action = set().union(*verbs.values()) - matching_words()["not_verbs"] if verbs else set()
        mine = matching_words()
        starts, stops, negators = mine["remark_starts"], mine["clause_ends"], mine["negators"]
        if said and said[0] in mine["question_starts"]:
            return []  # "should we add eggs": a question about a request, not one
        for i in (k for k, word in enumerate(said) if word in action):
            if any(" ".join(said[max(0, i - n):i]) in negators for n in (1, 2, 3)):
                continue  # "don't add milk"
            ends = [len(said), *(k for k in range(len(said) - 1, i + 1, -1)
                                 if said[k] in starts or said[k - 1] in stops)]
            for end in ends:
                if i == 0 and end == len(said):
                    continue  # the whole clause: read already
                if said[end:end + 1] and said[end] in mine["seams"] or said[i - 1:i] and said[i - 1] in mine["seams"]:
                    continue  # "put bread on the list and then plan dinner": what a seam joins may be a request
                if said[end:end + 1] and said[end] in mine["continuations"]:
                    continue  # "set a timer for 7 pm": the request goes on past the word it might end at
                calls = self._split(" ".join(said[i:end]), depth=0)
                rest = [" ".join(said[:i]), " ".join(said[end:])]
                if calls and rest[0] and any(_pronoun_slot(c) for c in calls) and not (
                        rest[1] and self.asks_something(rest[1])):
                    before = self._split(rest[0], depth=0)  # "we're out of washing up liquid add it"
                    if before:
                        return _same_thing([*before, *(c for call in calls for c in self._them(call, before))])
                if calls and not any(part and self.asks_something(part) for part in rest):
                    return calls
        return []

    def asks_something(self, text: str) -> bool:
        """Whether ``text`` may ask for something: it begins with a verb a tool's sentences begin with, it
        reads as a request once near-misses are corrected, or a request is spotted inside it ("so you can
        tick that one off"). A clause that does is never dropped as a remark."""
        cleaned = self.read(text)
        if not cleaned:
            return False
        verbs = self.grammar.grammar.verbs if self.grammar is not None and self.grammar.grammar else {}
        first = cleaned.split()[0]
        if any(first in v for v in verbs.values()):  # "clear the whole list for next week"
            return True
        if self._calls(cleaned, fuzzy=True):
            return True
        return self._depth == 0 and bool(self._spotted_once(text))  # "so you can tick that one off"

    _depth = 0  # how deep asks_something and _spotted call each other (once: a remark's remark is no request)

    def _spotted_once(self, text: str) -> list[IntentMatch]:
        self._depth += 1
        try:
            return self._spotted(text)
        finally:
            self._depth -= 1

    def _them(self, call: IntentMatch, said: list[IntentMatch]) -> list[IntentMatch]:
        """``call`` once per thing the clause before it named, when it says "it" or "them" ("i got the
        peppers and the sour cream so check those off"): the calls the clause before made, read for
        their things."""
        slot = _pronoun_slot(call)
        things = [c.arguments.get(slot) for c in said] if slot is not None else []
        if not things or not all(isinstance(t, str) and t.strip() for t in things):
            return [call]
        return [replace(call, arguments={**call.arguments, str(slot): t}) for t in dict.fromkeys(things)]

    def _it_is(self, call: IntentMatch, thing: str | None) -> IntentMatch:
        """``call`` with "it" as ``thing``, a clause said before it that named a thing and asked nothing."""
        slot = _pronoun_slot(call)
        if slot is None or not thing or len(thing.split()) > MAX_THING_WORDS:
            return call
        return replace(call, arguments={**call.arguments, slot: thing})

    def _split(self, cleaned: str, depth: int) -> list[IntentMatch]:
        whole = self._calls(cleaned)
        if whole or depth > 3:
            return whole
        words = cleaned.split()
        starters = self.grammar.grammar.starters if self.grammar is not None else set()
        seams = matching_words()["seams"]
        for i, word in enumerate(words[1:-1], start=1):
            if word not in seams:
                continue
            j = i + 1
            while j < len(words) - 1 and words[j] in seams:  # "and then", "and also"
                j += 1
            # "... and can you set a timer", "put sugar on the list dear and also ...": each side read again
            left, right = self.read(" ".join(words[:i])), self.read(" ".join(words[j:]))
            if right.split()[:1] and right.split()[0] in starters:
                first = self._calls(left)
                rest = self._split(right, depth + 1) if first else []
                if first and rest:
                    return _same_thing([*first, *rest])
            if right.split()[:1] and right.split()[0] in starters and right.split()[0] not in matching_words()["not_verbs"]:
                continue  # "add milk and clear out the fridge": a verb of its own, never a thing
            if words[0] in starters and right:  # an ellipsis: the verb of the first request carries over
                first = self._calls(left)
                rest = self._calls(f"{words[0]} {right}") if first else []
                if first and rest and rest[0].name == first[-1].name:
                    return _same_thing([*first, *rest])
                joined = self._joined(left, right, first)  # "put ibuprofen on the list and some bananas"
                if joined:
                    return joined
        return []

    def _joined(self, left: str, right: str, first: list[IntentMatch]) -> list[IntentMatch]:
        """``right`` (a thing said after the first request ended) read as one more thing of its slot:
        "put ibuprofen on the list and a couple of bananas" is "put ibuprofen and a couple of bananas on
        the list". Kept only when every call is the first one's tool."""
        from hearth.understanding import read_number, words
        opening = right.split()[:1]
        lang = words()
        if len(first) != 1 or not opening or not (opening[0] in lang.articles or opening[0] in lang.vague
                                                  or read_number(opening[0]) is not None) or self._calls(right):
            return []  # only a thing said with its amount ("and a couple of bananas"), never "and then plan dinner"
        things = [v for k, v in first[0].arguments.items()
                  if isinstance(v, str) and k in matching_words()["thing_arguments"] and f" {v} " in f" {left} "]
        if len(things) != 1:
            return []
        said = f" {left} ".replace(f" {things[0]} ", f" {things[0]} and {right} ", 1).strip()
        calls = self._calls(said)
        return calls if len(calls) > 1 and all(c.name == first[0].name for c in calls) else []

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
