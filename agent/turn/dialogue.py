"""Dialogue context per session: what the last turns did, so a follow-up acts on the right thing.

After every tool call (on every tier) the session remembers the call's tool, arguments and the thing
it was about (a shopping-list item, a timer). A follow-up is then read against it before routing:

- a pronoun: "remove it", "actually remove them", "cancel it", "how long is left on it", "add it"
  become "remove eggs", "cancel the pasta timer"... and are routed like any request;
- a new amount: "make that a dozen", "make it 6" become "change eggs to 12";
- more of the same: "and sugar too", "also butter", "what about eggs?" call the last tool again
  with the new thing.

The state is kept in memory per session and rebuilt from the session's stored messages (every tool
call and its result is stored with the session) the first time a process meets the session, so it
survives a restart without a write of its own on the fast path.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hearth.errors import HearthError
from hearth.storage import Storage
from hearth.turn.router import IntentMatch, clean_utterance


@dataclass(frozen=True)
class FollowUp:
    """How a follow-up was read: a sentence to route instead, or a call to make at once."""

    text: str | None = None
    match: IntentMatch | None = None
    reason: str = ""


# the argument that names what a call is about, in order of preference
_SLOTS = ("item", "name")
_PRONOUN = r"(?:it|them|that|those|these|this|this one|that one)"
_FILLER = re.compile(r"^(?:(?:actually|oh|ok|okay|um|uh|wait|no|sorry|hmm|well|so|please|hearth|oops|"
                     r"on second thought|i mean)\s+)+")
_NUMBERS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
            "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "a dozen": 12,
            "dozen": 12, "half a dozen": 6, "a half dozen": 6, "two dozen": 24, "a couple": 2, "couple": 2,
            "a couple of": 2, "a pair": 2, "a few": 3}
_QTY = re.compile(
    rf"^(?:make|change|set) {_PRONOUN}(?: to| into)? (?P<n>\d+|[a-z]+(?: [a-z]+)?(?: dozen)?)(?: of (?:them|those))?"
    r"(?: instead)?$|^(?P<m>\d+|[a-z]+(?: dozen)?) (?:of them|instead)$")
# units an amount may be counted in ("make it two cans"): words of the language, not of one tool
_UNITS = {"can", "cans", "tin", "tins", "bottle", "bottles", "pack", "packs", "packet", "packets", "jar", "jars",
          "box", "boxes", "bag", "bags", "carton", "cartons", "loaf", "loaves", "bunch", "bunches", "pound", "pounds",
          "kilo", "kilos", "litre", "litres", "liter", "liters", "pint", "pints", "tub", "tubs", "dozen", "pieces"}
_CONTINUE = re.compile(r"^(?:and|also|plus|and also|oh and|what about|how about|and what about)\s+(?P<x>.+?)"
                       r"(?:\s+(?:too|as well|also))?$|^(?P<y>.+?)\s+(?:too|as well)$")
_TIMER_END = re.compile(rf"^(?:cancel|stop|kill|end|remove|delete|scratch|drop|forget|turn off|switch off|undo) {_PRONOUN}"
                        rf"(?: off)?$|^turn {_PRONOUN} off$|^scratch that$")
_TIMER_LEFT = re.compile(rf"^how (?:much time|much longer|long)(?: is)? (?:left|remaining)?(?: on| for)? {_PRONOUN}$"
                         rf"|^how long (?:is left on|until|till|for) {_PRONOUN}$")


def _number(words: str) -> int | None:
    words = words.strip()
    if words.isdigit():
        return int(words)
    return _NUMBERS.get(words)


def _normalise(text: str) -> str:
    text = re.sub(r"[^\w\s']", " ", text.lower())
    text = re.sub(r"\s+", " ", text).strip()
    return _FILLER.sub("", text).strip()


def _timer_phrase(arguments: dict[str, Any], result: Any) -> str:
    name = arguments.get("name")
    if isinstance(name, str) and name.strip():
        return f"the {name.strip()} timer"
    seconds = result.get("duration_s") if isinstance(result, dict) else None
    if isinstance(seconds, (int, float)) and seconds > 0:
        for unit, size in (("hour", 3600), ("minute", 60), ("second", 1)):
            if seconds % size == 0:
                return f"the {int(seconds // size)} {unit} timer"
    return "the timer"


class Dialogue:
    """Reads follow-ups against a session's context and records what each call was about."""

    # how many stored messages to read back when a process first meets a session
    HISTORY = 24
    # sessions kept in memory; an older one is rebuilt from storage when it speaks again
    KEEP = 1024

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._states: OrderedDict[str, dict[str, Any]] = OrderedDict()

    # ---- state ------------------------------------------------------------------------------------

    def known(self, session: str) -> bool:
        return session in self._states

    def load(self, session: str) -> dict[str, Any]:
        """The session's context, rebuilt from its stored tool calls once per process (blocking I/O)."""
        if session not in self._states:
            state: dict[str, Any] = {}
            results: dict[str, Any] = {}
            calls: list[dict[str, Any]] = []
            for msg in self.storage.history(session, limit=self.HISTORY):
                if msg.get("role") == "assistant":
                    calls += msg.get("tool_calls") or []
                elif msg.get("role") == "tool" and msg.get("tool_call_id"):
                    try:
                        results[msg["tool_call_id"]] = json.loads(msg.get("content") or "null")
                    except ValueError:
                        results[msg["tool_call_id"]] = None
            for call in calls:
                result = results.get(str(call.get("id")))
                state = _remembered(state, str(call.get("name", "")), call.get("arguments"), result)
            self._states[session] = state
            while len(self._states) > self.KEEP:
                self._states.popitem(last=False)
        self._states.move_to_end(session)
        return self._states[session]

    def remember(self, session: str, tool: str, arguments: Any, result: Any = None) -> None:
        """Record a call: what it was about becomes what "it", "them" and "too" mean next."""
        if session in self._states:
            self._states[session] = _remembered(self._states[session], tool, arguments, result)

    # ---- reading a follow-up ----------------------------------------------------------------------

    def resolve(self, session: str, text: str, tools: Any,
                matches: Callable[[str], bool] | None = None) -> FollowUp | None:
        """The follow-up reading of ``text`` in this session, or None when it stands on its own."""
        state = self.load(session)
        if not state:
            return None
        return read_follow_up(text, state, tools, matches)


def _remembered(state: dict[str, Any], tool: str, arguments: Any, result: Any) -> dict[str, Any]:
    """The context after a call: the thing it was about, or the old context for a call about nothing.

    A call that failed for want of one argument (error code ``<argument>_missing``, e.g. a timer without
    a duration: "How long should the chicken timer run?") leaves that call pending: the next turn may be
    the missing argument alone ("40 minutes")."""
    state = {k: v for k, v in state.items() if k != "pending"}
    error = result.get("error") if isinstance(result, dict) else None
    if isinstance(error, str) and error.endswith("_missing") and isinstance(arguments, dict):
        return {**state, "pending": {"tool": tool, "arguments": arguments, "slot": error[:-len("_missing")]}}
    if not isinstance(arguments, dict) or (isinstance(result, dict) and "error" in result and len(result) == 2):
        return state
    slot = next((s for s in _SLOTS if isinstance(arguments.get(s), str) and arguments[s].strip()), None)
    timer = "timer" in tool
    if slot is None and not (timer and tool.startswith("start")):
        return state  # a read of everything, small talk, the clock: the thing talked about stays
    value = arguments.get(slot) if slot else None
    return {"tool": tool, "arguments": arguments, "slot": slot, "value": value, "kind": "timer" if timer else "item",
            "phrase": _timer_phrase(arguments, result) if timer else str(value)}


_LET_GO = re.compile(r"^(?:never ?mind|forget (?:it|that|about it)|cancel|stop|no|nothing|don't bother|leave it)\b")


def _fill_pending(text: str, t: str, pending: dict[str, Any], tools: Any,
                  matches: Callable[[str], bool] | None) -> FollowUp | None:
    """The answer to the question a call asked ("How long?" -> "40 minutes"): the call again with it."""
    if _LET_GO.match(t) or len(t.split()) > 6 or (matches is not None and matches(text)):
        return None
    tool_name, slot = str(pending.get("tool") or ""), str(pending.get("slot") or "")
    tool = tools.get(tool_name) if tools is not None else None
    if tool is None or slot not in (tool.parameters.get("properties") or {}):
        return None
    arguments = {**(pending.get("arguments") or {}), slot: clean_utterance(text)}
    try:
        tool.validate(arguments)
    except HearthError:
        return None
    return FollowUp(match=IntentMatch(tool_name, arguments, f"the {slot} {tool_name} asked for"),
                    reason=f"answer to {tool_name}'s question")


def read_follow_up(text: str, state: dict[str, Any], tools: Any,
                   matches: Callable[[str], bool] | None = None) -> FollowUp | None:
    """Pure: ``text`` read against a session ``state`` (see :meth:`Dialogue.remember`): the answer to a
    pending question, then each kind of follow-up in turn (timer, undo, more of it, a quantity, a
    correction, a pronoun, "and X too")."""
    t = _normalise(text)
    pending = state.get("pending")
    if t and pending:
        filled = _fill_pending(text, t, pending, tools, matches)
        if filled is not None:
            return filled
    if not t or not state.get("phrase"):
        return None
    ctx = _Said(state["phrase"], state.get("kind"), str(state.get("tool") or ""))
    if ctx.kind == "timer" and (found := _timer_follow_up(t, ctx)) is not None:
        return found
    if _UNDO.fullmatch(t):
        return _undo(ctx)
    if ctx.kind == "item":
        if _MORE.fullmatch(t):
            return FollowUp(text=f"add {ctx.phrase}", reason=ctx.why)
        found = _quantity(t, ctx) or _meant(t, ctx)
        if found is not None:
            return found
    return _pronoun(t, ctx, matches) or _continued(t, ctx, state.get("slot"), tools, matches)


_UNDO = re.compile(r"undo(?: that| it)?|take that back")
_MORE = re.compile(r"(?:add|put|get|buy) (?:some|one|a few|more|some more)(?: of (?:it|them))?")
_MEANT = re.compile(r"(?:i meant|i mean|i said|no i meant|i wanted|not that) (?P<x>.+)")


@dataclass
class _Said:
    """What the session's last call was about: its phrase ("the chicken timer", "milk"), its kind
    (``timer`` or ``item``) and the tool that was called."""

    phrase: str
    kind: str | None
    tool: str

    @property
    def why(self) -> str:
        return f"follow-up on {self.phrase!r}"


def _timer_follow_up(t: str, said: _Said) -> FollowUp | None:
    """"Cancel it", "how long is left": about the timer just named."""
    if _TIMER_END.match(t):
        return FollowUp(text=f"cancel {said.phrase}", reason=said.why)
    if _TIMER_LEFT.match(t):
        return FollowUp(text=f"how much time is left on {said.phrase}", reason=said.why)
    return None


def _undo(said: _Said) -> FollowUp | None:
    """"Undo that": the opposite of the last call (cancel a timer started, remove an item added...)."""
    if said.kind == "timer" and said.tool.startswith("start"):
        return FollowUp(text=f"cancel {said.phrase}", reason=said.why)
    if said.kind == "item" and said.tool.startswith("add"):
        return FollowUp(text=f"remove {said.phrase}", reason=said.why)
    if said.kind == "item" and said.tool.startswith("remove"):
        return FollowUp(text=f"add {said.phrase}", reason=said.why)
    return None


def _quantity(t: str, said: _Said) -> FollowUp | None:
    """"Make that a dozen", "make it two cans"; "make that turkey" corrects what was just added."""
    m = _QTY.match(t)
    if not m:
        return None
    n = _number(m.group("n") or m.group("m") or "")
    if n is None and m.group("n") and len(m.group("n").split()) == 2:
        # "make it two cans", "make that 3 bottles": a number and a unit of what was just named
        count, unit = m.group("n").split()
        if unit in _UNITS or unit.rstrip("s") == said.phrase.lower().split()[-1].rstrip("s"):
            n = _number(count)
    if n is None and said.tool.startswith("add") and m.group("n"):
        # "make that turkey": a correction of what was just added
        return FollowUp(text=f"remove {said.phrase} and add {m.group('n')}", reason=said.why)
    if n is not None:
        # of several things just named, "make that a dozen" means the last one
        last = re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", said.phrase)[-1]
        return FollowUp(text=f"change {last} to {n}", reason=said.why)
    return None


def _meant(t: str, said: _Said) -> FollowUp | None:
    """"I meant oat milk": the item just added, swapped."""
    m = _MEANT.fullmatch(t)
    if m and said.tool.startswith("add") and len(m.group("x").split()) <= 4:
        return FollowUp(text=f"remove {said.phrase} and add {m.group('x')}", reason=said.why)
    return None


def _pronoun(t: str, said: _Said, matches: Callable[[str], bool] | None) -> FollowUp | None:
    """A short request with "it"/"that" in it: the pronoun replaced by what was just named, kept when
    the result is a request the templates know."""
    if len(t.split()) > 7 or not re.search(rf"\b{_PRONOUN}\b", t) or re.match(r"^(?:what|that's|thats|is that)\b", t):
        return None
    if said.kind == "item" and re.match(r"^scratch (?:that|it)$", t):
        return FollowUp(text=f"remove {said.phrase}", reason=said.why)
    rewritten = re.sub(rf"\b{_PRONOUN}\b", said.phrase, t, count=1)
    if rewritten != t and (matches is None or matches(rewritten)):
        return FollowUp(text=rewritten, reason=said.why)
    return None


def _continued(t: str, said: _Said, slot: Any, tools: Any, matches: Callable[[str], bool] | None) -> FollowUp | None:
    """"And sugar too": the last tool again with another thing in its slot."""
    m = _CONTINUE.match(t)
    if not (m and slot and said.tool and not said.tool.startswith("start")):
        return None
    thing = (m.group("x") or m.group("y") or "").strip()
    if not thing or (matches is not None and matches(thing)):
        return None  # "also add chocolate": a request of its own
    tool = tools.get(said.tool) if tools is not None else None
    if tool is None:
        return None
    arguments = {slot: thing}
    try:
        tool.validate(arguments)
    except HearthError:
        return None
    return FollowUp(match=IntentMatch(said.tool, arguments, f"{said.why}: {said.tool} again with {thing!r}"),
                    reason=said.why)
