"""What reading a follow-up gives (:class:`FollowUp`) and what each dialogue mechanism reads it with
(:class:`Context`): the session's state, the tools, the language and the router's reading of a text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hearth.errors import HearthError
from hearth.turn.dialogue_language import Language, normalised
from hearth.turn.dialogue_state import Call, State
from hearth.turn.router import IntentMatch


@dataclass(frozen=True)
class FollowUp:
    """How a follow-up was read. One of: ``text``, a sentence to route instead of the one said;
    ``match``, one call to make at once; ``matches``, calls to make in order on tier 1 (the undo of the
    last write, then the corrected call); ``say``, a reply with no call (a question, "I can't undo that.").
    ``quiet``: how many of the first ``matches`` are steps whose sentences need not be said (the undo
    before a corrected call: "Added 12 eggs", not "Removed eggs. Added 12 eggs")."""

    text: str | None = None
    match: IntentMatch | None = None
    reason: str = ""
    matches: tuple[IntentMatch, ...] = ()
    say: str | None = None
    quiet: int = 0

    def __post_init__(self) -> None:
        # one call is both ``match`` and ``matches`` (callers may read either)
        if self.match is not None and not self.matches:
            object.__setattr__(self, "matches", (self.match,))
        elif self.match is None and len(self.matches) == 1:
            object.__setattr__(self, "match", self.matches[0])


@dataclass
class Context:
    """One turn's reading: the text said, its words (:func:`hearth.turn.dialogue_language.words`), the
    session's state, the tool registry, the language, and ``router``: the tier-1 reading of a text
    (an :class:`IntentMatch`, or a bool when the caller only says whether one exists)."""

    text: str
    words: str
    state: State
    tools: Any
    lang: Language
    router: Callable[[str], Any] | None = None
    asks: Callable[[str], bool] | None = None  # the router's word on whether a clause may ask something
    reads: Callable[[str], Any] | None = None  # the router's reading with remarks and clauses (Router.first)
    _seen: dict[str, Any] = field(default_factory=dict)

    def request(self, text: str) -> Any:
        """The router's reading of ``text`` (None when it is no request of its own); asked once per text."""
        if self.router is None:
            return None
        if text not in self._seen:
            self._seen[text] = self.router(text) or None
        return self._seen[text]

    def tool(self, name: str) -> Any:
        """The registered tool ``name``, or None."""
        return self.tools.get(name) if self.tools is not None else None

    def properties(self, name: str) -> dict[str, Any]:
        """The JSON-schema properties of tool ``name``'s arguments ({} when the tool is unknown)."""
        tool = self.tool(name)
        return dict((tool.parameters or {}).get("properties") or {}) if tool is not None else {}

    def valid(self, name: str, arguments: dict[str, Any]) -> bool:
        """``arguments`` are a valid call of tool ``name``."""
        tool = self.tool(name)
        if tool is None:
            return False
        try:
            tool.validate(arguments)
        except HearthError:
            return False
        return True

    def value(self, text: str) -> str:
        """A slot's text as a tool gets it: normalised, trailing words dropped."""
        return self.lang.strip_tail(normalised(text) or text)

    def thing_of(self, arguments: dict[str, Any]) -> tuple[str | None, str | None]:
        """The argument that names what a call is about, and its value (see :func:`thing_of`)."""
        return thing_of(self.lang, arguments)


def thing_of(lang: Language, arguments: dict[str, Any]) -> tuple[str | None, str | None]:
    """The argument that names what a call is about, and its value: the first of the language's
    ``thing_arguments`` that holds text, else a text argument that reads as a duration (an unnamed
    timer is "the 5 minutes one"); ``(None, None)`` for a call about nothing in particular."""
    for slot in lang.thing_arguments:
        value = arguments.get(slot)
        if isinstance(value, str) and value.strip():
            return slot, value.strip()
    for slot, value in arguments.items():
        if isinstance(value, str) and value.strip() and lang.seconds(value):
            return slot, value.strip()
    return None, None


def call(name: str, arguments: dict[str, Any], source: str) -> IntentMatch:
    """A tier-1 call the dialogue makes (strict: the person said it, no guess of the fuzzy stage)."""
    return IntentMatch(name, dict(arguments), source)


def undo_call(write: Call) -> IntentMatch | None:
    """The call that reverses ``write``, as its tool reported it; None when it reported none."""
    if not write.undo:
        return None
    return call(str(write.undo["name"]), dict(write.undo.get("arguments") or {}), f"undo of {write.tool}")


def is_number(schema: Any) -> bool:
    """A JSON-schema property that holds a number (``integer``/``number``, also inside ``anyOf``)."""
    if not isinstance(schema, dict):
        return False
    if schema.get("type") in ("integer", "number"):
        return True
    return any(is_number(s) for s in schema.get("anyOf") or ())


def is_text(schema: Any) -> bool:
    """A JSON-schema property that holds a string (also inside ``anyOf``)."""
    if not isinstance(schema, dict):
        return False
    return schema.get("type") == "string" or any(is_text(s) for s in schema.get("anyOf") or ())
