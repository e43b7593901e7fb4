"""Which tier answers a turn, and why.

Tier 1 is the intent fast path, no LLM at all: the utterance is matched with Home Assistant's own
sentence matcher (``hassil``) against the tools' ``examples=`` templates and against the English
sentences of the ``home-assistant-intents`` package for the intents that tools claim with
``intents=``. Tier 2 is the small ``router`` model (CPU) for short requests that one tool answers;
tier 3 is the ``main`` model for everything else, and for tier-2 turns whose model produced no valid
call. Every decision carries a reason in plain words.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from hearth.config import ModelsFile
from hearth.errors import ToolError
from hearth.tooling.runner import Tool
from hearth.turn.templates import slot_list, template_blocks

log = logging.getLogger(__name__)

# A wildcard slot (an item, a timer name) longer than this is not a slot but a sentence that a
# loose template ("we need {item}") happened to fit: tier 1 lets a model have it.
MAX_WILDCARD_WORDS = 6
MAX_WILDCARD_LIST_WORDS = 24  # several items said in one breath: each at most MAX_WILDCARD_WORDS
_NOT_A_SLOT_START = {"to", "that", "if", "when", "what", "how", "why", "whether"}


@dataclass(frozen=True)
class IntentMatch:
    """A tier-1 match: the tool to call, its arguments, and the sentence template that matched."""

    name: str
    arguments: dict[str, Any]
    source: str
    # the Home Assistant intent and its slots as hassil matched them, when HA's sentences matched
    # (``hearth wyoming`` answers ``recognize`` with them)
    intent: str | None = field(default=None, compare=False)
    slots: dict[str, Any] = field(default_factory=dict, compare=False)


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


# Words around a request that change nothing: "actually", "please", "can you", "also"; tier 1
# matches the request without them ("can you please add milk thanks" is "add milk").
_LEAD_FILLER = re.compile(
    r"^(?:(?:actually|oh|ok|okay|um|uh|er|erm|so|well|hey|please|also|and also|just|hmm|oops|right|alright|"
    r"(?:would you )?be so kind as to|would you mind|do me a favou?r and|"
    r"yeah|no wait|wait|i think|quick|quickly|yo|oi|"
    r"can you|could you|would you|will you|i'd like you to|i want you to|go ahead and)(?:\s*,\s*|\s+))+", re.I)
_TAIL_FILLER = re.compile(r"(?:[\s,]+(?:please|thanks|thank you|cheers|ta|for me|if you can|if you could|then|mate|"
                          r"love|again|(?<!for )now))+$", re.I)
# the assistant called by its name, anywhere: "yo hearth add milk", "Hearth dear, ...", "goodnight hearth, ..."
_NAME_CALL = re.compile(r"^(?:(?:yo|hey|hi|hello|ok|okay|oi|right|so)[\s,]+)?hearth(?:[\s,]+(?:dear|darling|love|mate))?\b[\s,]*"
                        r"|[\s,]*\bhearth\b[\s,]*", re.I)
# hesitations anywhere: "add um bread and uh cheese"
_HESITATION = re.compile(r"(?<![\w'])(?:um+|uh+|erm+|er|hmm+)(?![\w'])[\s,]*", re.I)


# where a second request may start in one sentence: "add milk and set a timer for 5 minutes"
_REQUEST_SEAM = re.compile(r"\s+(?:and then|and also|and|then|also|plus)\s+", re.I)
_COMMAND_START = re.compile(
    r"^(?:please\s+)?(?:add|put|set|start|cancel|stop|remove|delete|take|check|tick|cross|scratch|what|what's|how|"
    r"tell|read|clear|empty|is|are|do|did|show|remind|timer|(?:can|could|would|will) you)\b", re.I)


def clean_utterance(text: str) -> str:
    """``"Actually, can you please add milk, thanks!"`` -> ``"add milk"``; never empties a request."""
    t = re.sub(r"\s+", " ", text.strip().strip(".!?,;:")).strip()
    t = _HESITATION.sub("", _NAME_CALL.sub(" ", t)).strip(" ,")
    t = re.sub(r"\btime's\b", "time is", t, flags=re.I)  # "what time's it"
    t = re.sub(r"^(\w+),\s+", r"\1 ", t)  # "Oh, add milk" -> "Oh add milk"
    cleaned = _TAIL_FILLER.sub("", _LEAD_FILLER.sub("", t)).strip(" ,")
    # hassil drops commas, so a list said with commas keeps its seams as "and"
    cleaned = re.sub(r"\s*,\s*(?:and\s+)?", " and ", cleaned)
    return cleaned or text.strip()


def _display(sentence: str) -> str:
    """``add {shopping_list_item:item} to ...`` -> ``add {item} to ...``; rules stay as ``<rule>``."""
    return re.sub(r"\{[\w.]+:(\w+)\}", r"{\1}", sentence)


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


class IntentMatcher:
    """Tier 1: hassil over the tools' example templates and the HA intents tools claim."""

    def __init__(self, tools: Iterable[Tool], language: str = "en") -> None:
        self.language = language
        self._source = tools  # the registry: tools may arrive later (MCP servers), and the templates follow
        self._version = getattr(tools, "version", None)
        self._tools = list(tools)
        self._intents: list[Any] = []
        self._slot_lists: dict[str, Any] = {}
        self._targets: dict[str, tuple[Tool, Callable[[dict[str, Any]], dict[str, Any]] | None]] = {}
        self.error: str | None = None
        self._built = False

    def build(self) -> None:
        """Compile the templates once (about 10 ms) and warm hassil's number parser; again when the
        registry's tools have changed since (a plugin added or removed tools at run time)."""
        version = getattr(self._source, "version", None)
        if self._built and version == self._version:
            return
        if self._built:
            self._tools, self._version = list(self._source), version
            self._intents, self._slot_lists, self._targets, self.error = [], {}, {}, None
        self._built = True
        try:
            from hassil import Intents, TextSlotList
        except ImportError as err:  # pragma: no cover - hassil is a dependency
            self.error = f"hassil is not installed ({err}); tier 1 is off"
            log.warning(self.error)
            return
        data, own = self._ha_templates(), self._own_templates()
        try:
            # the tools' own templates are tried first: their authors know their tools best
            self._intents = [Intents.from_dict(d) for d in (own, data) if d["intents"]]
        except Exception as err:
            self.error = f"the tier-1 templates do not compile: {type(err).__name__}: {err}"
            log.warning(self.error)
            return
        # Home Assistant's templates refer to areas and floors; Hearth has none
        self._slot_lists = {"area": TextSlotList.from_strings([]), "floor": TextSlotList.from_strings([])}
        # the first recognition builds hassil's caches: any tool's first example sentence will do
        from hearth.tooling.calls import example_sentences
        self.match(next((s for t in self._tools for s in example_sentences(
            {"examples": t.examples[:1], "slot_values": t.slot_values}, per_template=1)), "hello"))

    def _ha_templates(self) -> dict[str, Any]:
        """Home Assistant's sentences (home-assistant-intents) for the intents tools claim."""
        data: dict[str, Any] = {"language": self.language, "intents": {}, "lists": {}, "expansion_rules": {},
                                "skip_words": []}
        claimed = {intent: (tool, conv) for tool in self._tools for intent, conv in tool.intents.items()}
        if not claimed:
            return data
        try:
            from home_assistant_intents import get_intents
            ha = get_intents(self.language) or {}
        except ImportError:  # pragma: no cover - a dependency
            ha = {}
        missing = [i for i in claimed if i not in ha.get("intents", {})]
        if missing:
            log.info("home-assistant-intents has no %s sentences for %s", self.language, ", ".join(missing))
        for key in ("lists", "expansion_rules"):
            data[key].update(ha.get(key) or {})
        data["skip_words"] = list(ha.get("skip_words") or [])
        for intent, target in claimed.items():
            if intent in ha.get("intents", {}):
                data["intents"][intent] = ha["intents"][intent]
                self._targets[intent] = target
        return data

    def _own_templates(self) -> dict[str, Any]:
        """The tools' example templates as hassil intents (``hearth:<tool>``), their slots as lists."""
        own: dict[str, Any] = {"language": self.language, "intents": {}, "lists": {}}
        for tool in self._tools:
            blocks = template_blocks(tool)
            if not blocks:
                continue
            for slot, schema in tool.parameters["properties"].items():
                own["lists"][f"{tool.name}__{slot}"] = slot_list(schema)
            intent_name = f"hearth:{tool.name}"
            own["intents"][intent_name] = {"data": blocks}
            self._targets[intent_name] = (tool, None)
        return own

    def match(self, text: str) -> IntentMatch | None:
        """The tool call a template gives for ``text``, or None."""
        self.build()
        from hassil import recognize_best
        for intents in self._intents:
            try:
                result = recognize_best(text, intents, slot_lists=self._slot_lists, language=self.language)
            except Exception:  # a hassil bug must not cost the turn; the models still answer
                log.exception("hassil failed on %r", text)
                continue
            if result is not None and result.intent.name in self._targets:
                found = self._call(text, result)
                if found is not None:
                    return found
        return None

    def _call(self, text: str, result: Any) -> IntentMatch | None:
        tool, convert = self._targets[result.intent.name]
        slots: dict[str, Any] = {}
        for name, entity in result.entities.items():
            value = _number(entity.value)
            if isinstance(value, str):
                value = value.strip()
                words = value.split()
                # a list ("two loaves of bread and a jar of peanut butter") is judged item by item
                seams = re.split(r"\s+(?:and then|and|then|plus)\s+", value)
                pieces = [p.split() for p in seams]
                if entity.is_wildcard and len(seams) > 1 and any(_COMMAND_START.match(p) for p in seams[1:]):
                    return None  # "add eggs and start a timer": two requests, not two items
                if entity.is_wildcard and (max(len(p) for p in pieces) > MAX_WILDCARD_WORDS
                                           or len(words) > MAX_WILDCARD_LIST_WORDS
                                           or (words and words[0].lower() in _NOT_A_SLOT_START)):
                    return None
            slots[name] = value
        try:
            if convert is not None:
                arguments = convert(dict(slots))
            else:
                props = tool.parameters["properties"]
                arguments = {k: v for k, v in slots.items() if k in props}
            tool.validate(arguments)
        except (ToolError, ValueError, TypeError, KeyError) as err:
            log.info("tier 1: %s matched %s but %s; a model answers instead", text, tool.name, err)
            return None
        if result.intent.name.startswith("hearth:"):
            source = f"template: {(result.intent_metadata or {}).get('template', '')}"
        else:
            sentence = result.intent_sentence.text if result.intent_sentence is not None else ""
            source = f"Home Assistant intent {result.intent.name}: {_display(sentence)}"
            return IntentMatch(tool.name, arguments, source, intent=result.intent.name, slots=slots)
        return IntentMatch(tool.name, arguments, source)


_PRONOUNS = {"it", "them", "that", "those", "these", "this", "one", "some"}


def _same_thing(found: list[IntentMatch]) -> list[IntentMatch]:
    """In one sentence, "it" means what the request before it named: "we're out of toilet paper, add it
    to the list" is one add of toilet paper, "add milk and then check it off" checks off milk."""
    out: list[IntentMatch] = []
    for m in found:
        if out:
            before = out[-1].arguments
            for slot in ("item", "name"):
                value = m.arguments.get(slot)
                if isinstance(value, str) and value.strip().lower() in _PRONOUNS and isinstance(before.get(slot), str):
                    m = replace(m, arguments={**m.arguments, slot: before[slot]})
            if m.name == out[-1].name and m.arguments == before:
                continue  # said twice
        out.append(m)
    return out


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
    _vocab: dict[str, set[str]] | None = field(default=None, init=False)

    def _likely_plugins(self, words: set[str]) -> dict[str, set[str]]:
        if self._vocab is None:
            self._vocab = {t.name: _vocabulary(t) for t in self.tools}
        hits: dict[str, set[str]] = {}
        for tool in self.tools:
            common = words & self._vocab.get(tool.name, set())
            if common:
                hits.setdefault(tool.plugin or tool.name, set()).update(common)
        return hits

    def match(self, text: str) -> IntentMatch | None:
        """Tier 1 alone: the first matcher's call for ``text`` (fillers dropped), or None."""
        cleaned = clean_utterance(text)
        for matcher in self.matchers:
            found = matcher(cleaned)
            if found is not None:
                return found
        return None

    def match_all(self, text: str) -> list[IntentMatch]:
        """Tier 1 for a sentence that may hold several requests: one call per request, or []."""
        cleaned = clean_utterance(text)
        whole = self.match(cleaned)
        if whole is not None:
            return [whole]
        for seam in _REQUEST_SEAM.finditer(cleaned):
            left, right = cleaned[:seam.start()], cleaned[seam.end():]
            if not _COMMAND_START.match(right):
                continue
            first = self.match(left)
            rest = self.match_all(right) if first is not None else []
            if first is not None and rest:
                return _same_thing([first, *rest])
        return []

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
