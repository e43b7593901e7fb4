"""Tier 1: a normalised request matched against the grammar, strictly and then fuzzily, and read
into calls whose arguments have the types their tools declare.

- **strict**: hassil over the merged grammar (:mod:`.sentences`): the plugins' sentence files, the
  tools' ``examples=`` templates and the Home Assistant sentences tools claim;
- **fuzzy**: words the grammar does not know, close to one it does ("shopping lift"), are read as
  that word and the strict stage runs again; such a match is not *strict*, so a destructive tool
  asks before it runs.

Each slot becomes its argument's type (an integer argument reads "a dozen" as 12). A data block
with ``metadata: {each: item, count: quantity}`` reads a wildcard that names several things
("milk, eggs and two loaves of bread") as one call per thing, each thing's amount in ``count``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hearth.cache import shared
from hearth.errors import ToolError
from hearth.tooling.tool import Tool
from hearth.understanding import call_checks, sentences, slot_text
from hearth.understanding.grammar import compile_grammar, give_examples, grammar_key
from hearth.understanding.language import matching_words, number_homophones
from hearth.understanding.numbers import read_number, read_quantity
from hearth.understanding.templates import slot_list, template_blocks
from hearth.understanding.things import amount_split, each_thing, split_and, typed_arguments

log = logging.getLogger("hearth.understanding")

# A wildcard slot (an item, a timer name) longer than this is not a slot but a sentence that a
# loose template ("we need {item}") happened to fit: tier 1 lets a model have it.
MAX_WILDCARD_WORDS = 6
MAX_WILDCARD_LIST_WORDS = 24  # several things said in one breath: each at most MAX_WILDCARD_WORDS


# the context every recognition passes: sentence blocks that need the ``unless_*`` checks above say
# ``requires_context: {unless_applied: true}``, so a matcher without them never reads those blocks
CONTEXT = {"unless_applied": True}


@dataclass(frozen=True)
class IntentMatch:
    """A tier-1 match: the tool to call, its arguments, and the sentence template that matched.

    ``strict`` is false for a match the fuzzy stage made (a destructive tool then asks first)."""

    name: str
    arguments: dict[str, Any]
    source: str
    # the Home Assistant intent and its slots as hassil matched them, when HA's sentences matched
    # (``hearth wyoming`` answers ``recognize`` with them)
    intent: str | None = field(default=None, compare=False)
    slots: dict[str, Any] = field(default_factory=dict, compare=False)
    strict: bool = field(default=True, compare=False)


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


class Matcher:
    """The grammar of the registry's tools and the registered sentence folders, and the two stages."""

    def __init__(self, tools: Iterable[Tool], folders: Callable[[], Iterable[Path]] | None = None,
                 language: str = "en") -> None:
        self.language = language
        self._source = tools  # the registry: tools may arrive later (MCP servers), and the grammar follows
        self._folders = folders or (lambda: ())
        self._version: Any = object()
        self.grammar = sentences.Grammar()
        self._slot_lists: dict[str, Any] = {}
        self._covered: dict[str | None, set[str]] = {}
        self._each: dict[str, dict[str, Any]] = {}
        self._said_verbs: dict[str, frozenset[str]] | None = None
        self._carrier_words: dict[str, frozenset[str]] = {}
        self._write_names: frozenset[str] | None = None

    @property
    def error(self) -> str | None:
        return self.grammar.error

    def build(self) -> None:
        """Compile the grammar once (tens of ms), and again when the registry's tools have changed."""
        version = getattr(self._source, "version", None)
        if version == self._version:
            return
        self._version = version
        tools = list(self._source)
        self.grammar = grammar = sentences.Grammar()
        self._covered = {}
        self._each = {}
        self._said_verbs = None
        self._carrier_words = {}
        self._write_names = None
        try:
            from hassil import TextSlotList
        except ImportError as err:  # pragma: no cover - hassil is a dependency
            grammar.error = f"hassil is not installed ({err}); tier 1 is off"
            log.warning(grammar.error)
            return
        by_name = {t.name: t for t in tools}
        files = sentences.sentence_files(self._folders(), self.language)
        give_examples(by_name, sentences.merge(files, self.language))
        own = sentences.merge([*files, ("examples=", self._examples(tools))], self.language)
        own["intents"] = {name: intent for name, intent in own["intents"].items() if name in by_name}
        claimed = {intent: (tool, conv) for tool in tools for intent, conv in tool.intents.items()}
        try:
            # compiled once per process for the same sentences (agents in one process share them)
            compiled, _ = shared(("hearth-grammar", self.language, grammar_key(own), tuple(sorted(claimed))),
                                 lambda: compile_grammar(own, tuple(sorted(claimed)), self.language))
        except Exception as err:
            grammar.error = f"the tier-1 sentences do not compile: {type(err).__name__}: {err}"
            log.warning(grammar.error)
            return
        (grammar.intents, grammar.vocabulary, grammar.starters, grammar.pairs, grammar.verbs, ha_names,
         grammar.words_of) = compiled
        grammar.home_assistant = bool(ha_names)
        grammar.lists = own["lists"]
        grammar.targets = {name: (by_name[name], None) for name in own["intents"]}
        # how a tool's own sentences read several things in a slot, for a Home Assistant intent it claims
        # with no converter ("add two pints of milk to the list" by HassShoppingListAddItem)
        self._each = {name: next((b["metadata"] for b in intent.get("data") or () if "each" in (b.get("metadata") or {})), {})
                      for name, intent in own["intents"].items()}
        grammar.targets.update({intent: claimed[intent] for intent in ha_names})
        # Home Assistant's templates refer to areas and floors; Hearth has none
        # (and names of devices, which no plugin here exposes): empty lists, so those templates match nothing
        self._slot_lists = {key: TextSlotList.from_strings([]) for key in ("area", "floor", "name")}
        self.strict("hello")  # the first recognition builds hassil's caches (its number parser)

    def _examples(self, tools: list[Tool]) -> dict[str, Any]:
        """The tools' ``examples=`` templates as one more sentence file."""
        data: dict[str, Any] = {"intents": {}, "lists": {}}
        for tool in tools:
            if tool.examples_from_sentences or tool.hints.get("tier1") is False:
                continue  # written out from its sentence file, or for models only: not compiled from here
            blocks = template_blocks(tool)
            if blocks:
                for slot, schema in tool.parameters["properties"].items():
                    data["lists"][f"{tool.name}__{slot}"] = slot_list(schema)
                data["intents"][tool.name] = {"data": blocks}
        return data

    # ---- the two stages ---------------------------------------------------------------------------

    def home_assistant(self, text: str) -> IntentMatch | None:
        """The call Home Assistant's own sentences give for ``text`` (normalised), with HA's intent name
        and slots, or None: what ``hearth wyoming`` answers ``recognize`` with, so HA can handle it."""
        self.build()
        found = self.strict(text, only_home_assistant=True)
        return found[0] if found else None

    def strict(self, text: str, only_home_assistant: bool = False) -> tuple[IntentMatch, ...]:
        """The calls the grammar reads in ``text`` (normalised), or ``()``.

        The best reading that is not void: a data block's ``metadata`` may void its reading when the
        request holds one of its ``unless_words`` ("... the list": a list's, not the weather's), or when
        a tool of another plugin has one of its ``unless_tool`` words in its name or claimed intents
        (a plugin for the lights takes "turn on the lights" from the one that says it cannot)."""
        self.build()
        from hassil import recognize_ranked
        said = set(text.split())
        grammars = self.grammar.intents or []
        if only_home_assistant:
            grammars = grammars[-1:] if self.grammar.home_assistant else []
        for intents in grammars:
            try:
                results = recognize_ranked(text, intents, slot_lists=self._slot_lists, language=self.language,
                                           intent_context=CONTEXT)
            except Exception:  # a hassil bug must not cost the turn; the models still answer
                log.exception("hassil failed on %r", text)
                continue
            result = next((r for r in results if not self._void(r, said)), None)
            if result is not None and result.intent.name in self.grammar.targets:
                found = self._calls(text, result)
                if found:
                    return found
        return ()

    def disagrees(self, text: str, tool: Tool, arguments: dict[str, Any] | None = None) -> str | None:
        """Why a model's call of ``tool`` (with ``arguments``) does not fit ``text``, or None
        (:func:`call_checks.disagrees`, :func:`call_checks.unsaid` for a tool that writes)."""
        self.build()
        problem = call_checks.disagrees(text, tool.name, self.grammar.verbs, self._writes(), self.language)
        if problem is None and arguments and tool.name in self._writes():
            key = call_checks.unsaid(text, arguments, tool.parameters.get("properties") or {}, self.language)
            if key is not None:
                log.info("a model called %s with %s=%r, which %r never says", tool.name, key, arguments[key], text)
                return call_checks.NOT_SURE
        return problem

    def unsupported(self, text: str, tool: Tool) -> bool:
        """Whether a model's write of ``tool`` says none of its words (:func:`call_checks.unsupported`)."""
        self.build()
        if self._said_verbs is None:  # a tool's verbs, and the words its sentences say after a subject ("we need")
            subjects = matching_words(self.language)["remark_starts"]
            after = {b for a, b in self.grammar.pairs if a in subjects}
            self._said_verbs = {name: frozenset(vs | (after & self.grammar.words_of.get(name, frozenset())))
                                for name, vs in self.grammar.verbs.items()}
        return call_checks.unsupported(text, tool.name, self._said_verbs, self._writes(), self.language)

    def vacant(self, arguments: dict[str, Any]) -> str | None:
        """The first thing argument of a call that names nothing, or None (:func:`call_checks.vacant`)."""
        return call_checks.vacant(arguments, self.language)

    def _writes(self) -> frozenset[str]:
        """The names of the registry's tools that change something (not read-only by name or description),
        read once per grammar build."""
        if self._write_names is None:
            from hearth.tooling.calls.questions import is_read_tool
            self._write_names = frozenset(t.name for t in self._source if not is_read_tool(t.schema()))
        return self._write_names

    def _void(self, result: Any, said: set[str]) -> bool:
        metadata = result.intent_metadata or {}
        if said & set(metadata.get("unless_words") or ()):
            return True
        unless_tool = set(metadata.get("unless_tool") or ())
        if not unless_tool or result.intent.name not in self.grammar.targets:
            return False
        plugin = self.grammar.targets[result.intent.name][0].plugin
        return bool(unless_tool & self._tool_words(plugin))

    def _tool_words(self, plugin: str | None) -> set[str]:
        """The words of the names of other plugins' tools and the Home Assistant intents they claim."""
        if plugin not in self._covered:
            self._covered[plugin] = {w for t in self._source if t.plugin != plugin
                                     for name in (t.name, *t.intents) for w in sentences.name_words(name)}
        return self._covered[plugin]

    def fuzzy(self, text: str) -> tuple[IntentMatch, ...]:
        """The strict stage again with near-miss words read as the grammar's own ("lift" -> "list")."""
        self.build()
        from hearth.understanding.fuzzy import heard_as
        words, fixed = heard_as(text.split(), self.grammar.vocabulary, self.grammar.pairs, self.language)
        if fixed == text.split():
            return ()
        # the words the correction put in (two may have become one)
        changed = ({f for w, f in zip(words, fixed, strict=True) if w != f} if len(fixed) == len(words)
                   else set(fixed) - set(words))
        found = self.strict(" ".join(fixed))
        if any(changed & set(v.split()) for m in found for v in m.arguments.values() if isinstance(v, str)):
            return ()  # a corrected word inside a slot: the correction was to what was said, not the grammar
        return tuple(replace(m, strict=False, source=f"fuzzy: {m.source}") for m in found)

    def match(self, text: str) -> tuple[IntentMatch, ...]:
        """Strict, then fuzzy."""
        return self.strict(text) or self.fuzzy(text)

    # ---- a hassil result as calls -----------------------------------------------------------------

    def _calls(self, text: str, result: Any) -> tuple[IntentMatch, ...]:
        tool, convert = self.grammar.targets[result.intent.name]
        metadata = result.intent_metadata or {}
        if convert is None and "each" not in metadata:
            metadata = {**self._each.get(tool.name, {}), **metadata}
        slots = self._slots(result, tool)
        if slots is None:
            return ()
        try:
            if convert is not None:
                calls = [convert(dict(slots))]
            else:
                calls = [typed_arguments(tool, slots)]
                if metadata.get("each") in calls[0]:
                    verbs = self.grammar.starters - matching_words(self.language)["not_verbs"]
                    calls = each_thing(calls[0], str(metadata["each"]), metadata.get("count"), verbs,
                                       self.language, self._whole(metadata.get("whole")))
            for arguments in calls:
                tool.validate(arguments)
        except (ToolError, ValueError, TypeError, KeyError) as err:
            log.info("tier 1: %s matched %s but %s; a model answers instead", text, tool.name, err)
            return ()
        if convert is None:
            source = f"template: {metadata['template']}" if metadata.get("template") else f"sentence: {sentences.said_template(result)}"
            return tuple(IntentMatch(tool.name, a, source) for a in calls)
        source = f"Home Assistant intent {result.intent.name}: {sentences.said_template(result)}"
        return (IntentMatch(tool.name, calls[0], source, intent=result.intent.name, slots=slots),)

    def _slots(self, result: Any, tool: Tool) -> dict[str, Any] | None:
        """A hassil result's slots as said, or None when a wildcard reads as no slot (see
        :meth:`_plausible_slot`, :func:`_aside`)."""
        slots: dict[str, Any] = {}
        for name, entity in result.entities.items():
            value = _number(entity.value)
            if isinstance(value, str):
                value = value.strip()
                if entity.is_wildcard:
                    mine = matching_words(self.language)
                    value = slot_text.without_description(value, mine)
                    value = slot_text.without_place(slot_text.without_tail(value, mine["slot_tails"]), mine["slot_places"])
                argument = name in tool.parameters["properties"]
                if entity.is_wildcard and argument and not self._plausible_slot(value, result.intent.name):
                    return None
                if entity.is_wildcard and not argument and tool.name in self._writes() and not slot_text.aside(
                        value, matching_words(self.language)["seams"]):
                    return None  # "for the cake and set a timer ...": more than who a write is for
            slots[name] = value
        for name, entity in result.entities.items():  # hassil gives a list value after a wildcard with the
            wild = [str(e.value).strip() for e in result.entities.values() if e.is_wildcard and e is not entity]
            value = slots.get(name)  # wildcard's words in front ("soup 25 minutes" for the duration)
            if not entity.is_wildcard and isinstance(value, str):
                for w in wild:
                    if w and value.startswith(f"{w} "):
                        slots[name] = value[len(w):].strip()
        return slots

    def _whole(self, list_name: Any) -> frozenset[str]:
        """The names a data block's ``metadata: {whole: <list>}`` keeps whole ("salt and pepper")."""
        values = (self.grammar.lists.get(str(list_name)) or {}).get("values") if list_name else None
        return frozenset(str(v.get("in") if isinstance(v, dict) else v).lower() for v in values or ())

    def _plausible_slot(self, value: str, intent: str | None = None) -> bool:
        """A wildcard that reads as a slot, not a sentence a loose template happened to fit."""
        words = value.split()
        mine = matching_words(self.language)
        misheard = len(words) > 1 and words[0] in number_homophones(self.language) and words[1] not in mine["function_words"]
        if not words or (words[0] in mine["not_a_slot_start"] and not misheard) or any(
                w in mine["clause_verbs"] for w in words[1:]):
            return False  # ... "for lemons" is four lemons misheard, no slot that starts with "for"
        if len(words) > 2 and words[0] in mine["clause_verbs"]:
            return False  # "mark the doritos as bought we got them": a request inside the slot, not a thing
        if len(words) == 1 and read_number(words[0]) is not None:
            return False  # "another one": a count of something said before, not a thing called "one"
        if slot_text.pointed_at(words, mine):
            return False  # "the thing jess mentioned": pointed at, not named
        if any(w in mine["remark_starts"] for w in words):  # "add milk, i think": no item "i think"
            return False  # "coffee we're basically out": a thing and a remark (read clause by clause)
        pieces = split_and(value, self.language)
        seams = matching_words(self.language)["seams"]
        opening = [next((w for w in p.split() if w not in seams), "") for p in pieces[1:]]
        if any(w in self.grammar.starters and w not in mine["not_verbs"] for w in opening):
            return False  # "add eggs and (then) start a timer": two requests, not two things
        if any(self._ends_in_carrier(p, intent) for p in pieces[:-1]) or any(
                self._holds_carrier(p.split(), intent) for p in pieces):
            return False  # "jam in the pantry and honey", "milk to the list please she's out": the request
            # ended inside the slot
        if self._ends_in_misheard_carrier(words, intent):
            return False  # "butter to my shopping lift": the fuzzy stage reads the carrier
        # "two tins of x a bag of y": each thing, its amount aside ("a couple of cans of tomato sauce")
        things = [read_quantity(thing)[1] for p in pieces for thing in amount_split(p, self.language)]
        return max(len(p.split()) for p in things) <= MAX_WILDCARD_WORDS and len(words) <= MAX_WILDCARD_LIST_WORDS


    def _holds_carrier(self, words: list[str], intent: str | None = None) -> bool:
        """Whether a carrier ends inside a slot's words, after a thing and before more words ("milk to
        the list please margaret's nearly out"): a joining word ("to", "on") and the carrier's noun."""
        mine = matching_words(self.language)
        return any(self._ends_in_carrier(" ".join(words[:i]), intent) and words[i - 1] not in mine["pronouns"]
                   and any(w in mine["continuations"] for w in words[max(1, i - 3):i - 1]) for i in range(3, len(words) + 1))

    def _ends_in_misheard_carrier(self, words: list[str], intent: str | None = None) -> bool:
        """Whether a slot ends with the grammar's own words once a near-miss is read ("shopping lift")."""
        from hearth.understanding.fuzzy import correct_in_context
        tail = words[-2:]
        fixed = correct_in_context(tail, self.grammar.vocabulary, self.grammar.pairs)
        function = matching_words(self.language)["function_words"]
        kept = [a for a, b in zip(tail, fixed, strict=True) if a == b and a in self.grammar.vocabulary and a not in function]
        # a word of the grammar's own said as such ("shopping") next to the misheard one ("lift"), not
        # "the" next to a thing ("the rice" is no "the nice")
        return fixed != tail and bool(kept) and self._ends_in_carrier(" ".join(fixed), intent)

    def _carriers(self, intent: str | None) -> frozenset[str]:
        """The words that may carry a request when a slot of ``intent`` is read: its own sentences' words
        and those of the tools that change something ("in the pantry" of a pantry tool), not words of
        questions and small talk ("salt" in a question about nutrition is a thing here)."""
        words_of = self.grammar.words_of
        if intent is None or intent not in words_of:
            return frozenset(self.grammar.vocabulary)
        if intent not in self._carrier_words:
            writes = self._writes()
            self._carrier_words[intent] = words_of[intent].union(
                *(w for name, w in words_of.items() if name in writes and name != intent))
        return self._carrier_words[intent]

    def _ends_in_carrier(self, piece: str, intent: str | None = None) -> bool:
        """Whether a piece of a slot ends with words that carry a request (:meth:`_carriers`): "... to
        the list", "... in the pantry"."""
        tail = piece.split()[-2:]
        vocab = self._carriers(intent)
        function = matching_words(self.language)["function_words"]
        return len(tail) == 2 and all(w in vocab for w in tail) and any(w not in function for w in tail)
