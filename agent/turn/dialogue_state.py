"""What a session's last turns did, as the dialogue needs it: the recent calls about a thing or with a
way back (the write log), and what the dialogue waits for (a missing argument, a yes or no).

A call is kept when it named a thing (the argument that says what it was about: an item, a timer's name)
or when its tool reported how to undo it (``ToolResult.undo``). Failed calls change nothing, except one
that failed for want of one argument (error code ``<argument>_missing``) or asked which one was meant
(``<argument>_ambiguous``: "Which one: whole milk or oat milk?"): the next turn may be that argument alone; one the runner held back until confirmed (``confirm_first``) waits for a yes.
The state is rebuilt from the session's stored messages after a restart.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hearth.turn.router import IntentMatch

# how many calls the write log keeps
LOG = 10
# the runner's error code for a destructive call that was not confirmed: its message is the question
CONFIRM_FIRST = "confirm_first"

ThingOf = Callable[[dict[str, Any]], tuple[str | None, str | None]]


@dataclass(frozen=True)
class Call:
    """One call kept in the log: what ran, what it returned, how to undo it, and the thing it was
    about (``slot``: the argument naming it, ``thing``: its value); ``turn`` is the number of the turn
    that made it (:attr:`State.turns` then)."""

    tool: str
    arguments: dict[str, Any]
    result: Any = None
    undo: dict[str, Any] | None = None  # {"name": tool, "arguments": {...}}
    slot: str | None = None
    thing: str | None = None
    turn: int = 0
    read: bool = False  # one of the things a read of many named ("what's on my list"): no call of its own


@dataclass
class State:
    """One session's dialogue state (kept in memory; see :func:`rebuild`)."""

    calls: deque[Call] = field(default_factory=lambda: deque(maxlen=LOG))
    # what the next turn may answer: {"kind": "argument", "tool", "arguments", "slot", "question"} or
    # {"kind": "confirm", "tool", "match", "question"}
    pending: dict[str, Any] | None = None
    # undo calls the dialogue asked for, as (name, arguments as JSON): when one runs, its write leaves the log
    undoing: list[tuple[str, str]] = field(default_factory=list)
    turns: int = 0  # turns read so far (each turn's calls carry its number)

    def last(self) -> Call | None:
        """The latest call kept."""
        return self.calls[-1] if self.calls else None

    def last_done(self) -> Call | None:
        """The latest call that ran (not a thing a read named)."""
        return next((c for c in reversed(self.calls) if not c.read), None)

    def last_turn(self) -> list[Call]:
        """The calls the latest turn made that name a thing with the latest call's tool ("them")."""
        last = self.last()
        if last is None:
            return []
        out = [c for c in self.calls if c.turn == last.turn and c.tool == last.tool and c.thing]
        return out or [last]

    def record(self, tool: str, arguments: Any, result: Any, undo: Any, thing_of: ThingOf) -> None:
        """Keep a call that ran (see the module's docstring)."""
        if self.pending is not None and self.pending.get("kind") == "argument":
            self.pending = None
        error = result.get("error") if _failed(result) else None
        if isinstance(error, str):
            if error == CONFIRM_FIRST and isinstance(arguments, dict):  # a destructive call asks first
                match = IntentMatch(tool, dict(arguments), f"{tool}, confirmed")
                self.pending = {"kind": "confirm", "tool": tool, "match": match,
                                "question": str(result.get("message") or "")}
            elif error.endswith(("_missing", "_ambiguous")) and isinstance(arguments, dict):
                wanted = error.rsplit("_", 1)[0]
                self.pending = {"kind": "argument", "tool": tool, "arguments": dict(arguments),
                                "slot": wanted, "question": str(result.get("message") or "")}
            return
        if not isinstance(arguments, dict):
            return
        key = (tool, _key(arguments))
        if key in self.undoing:  # an undo the dialogue ran: its write is gone, not a new one
            self.undoing.remove(key)
            for i in range(len(self.calls) - 1, -1, -1):
                done = self.calls[i].undo or {}
                if (done.get("name"), _key(done.get("arguments") or {})) == key:
                    del self.calls[i]
                    break
            return
        slot, thing = thing_of(arguments)
        if thing is None and not undo:
            # a read of many things ("what's on my list"): each is what "the last one" and "them" mean
            for name in _named_items(result):
                self.calls.append(Call(tool, {"item": name}, None, None, "item", name, self.turns, read=True))
            return  # small talk, the clock: the thing talked about stays
        named = result.get("name") if isinstance(result, dict) else None
        if slot is not None and thing is not None and isinstance(named, str) and named.strip():
            # the tool's own name for what was said ("tins of beans" is "baked beans" on the list)
            thing, arguments = named, {**arguments, slot: named}
        self.calls.append(Call(tool, dict(arguments), result, _undo(undo), slot, thing, self.turns))

    def expect_undo(self, undo: dict[str, Any]) -> None:
        """An undo call is about to run: when it does, its write leaves the log."""
        self.undoing.append((str(undo.get("name")), _key(undo.get("arguments") or {})))


def rebuild(history: list[dict[str, Any]], thing_of: ThingOf) -> State:
    """A session's state from its stored messages (oldest first): every tool call with its result and
    its ``undo`` when tier 1 stored one. A user message after a call that waits for an argument is the
    turn that answered it (or not): it waits no more."""
    state = State()
    results: dict[str, Any] = {}
    for msg in history:
        if msg.get("role") == "tool" and msg.get("tool_call_id"):
            try:
                results[str(msg["tool_call_id"])] = json.loads(msg.get("content") or "null")
            except ValueError:
                results[str(msg["tool_call_id"])] = None
    for msg in history:
        if msg.get("role") == "user":
            state.pending = None
            state.turns += 1
        elif msg.get("role") == "assistant":
            for call in msg.get("tool_calls") or []:
                if isinstance(call, dict):
                    state.record(str(call.get("name", "")), call.get("arguments"), results.get(str(call.get("id"))),
                                 call.get("undo"), thing_of)
    return state


def _named_items(result: Any) -> list[str]:
    """The names of the things a read's result lists still to do (``{"items": [{"name", "checked"}]}``)."""
    items = result.get("items") if isinstance(result, dict) else None
    if not isinstance(items, list):
        return []
    return [str(i["name"]) for i in items if isinstance(i, dict) and isinstance(i.get("name"), str)
            and not i.get("checked")]


def _failed(result: Any) -> bool:
    """A failed call's result as the agent records it: ``{"error": code, "message": text}``."""
    return isinstance(result, dict) and set(result) == {"error", "message"}


def _undo(undo: Any) -> dict[str, Any] | None:
    """An undo as ``{"name", "arguments"}`` (given so, or as ``(name, arguments)``), or None."""
    if isinstance(undo, dict) and isinstance(undo.get("name"), str) and isinstance(undo.get("arguments"), dict):
        return {"name": undo["name"], "arguments": dict(undo["arguments"])}
    if isinstance(undo, (tuple, list)) and len(undo) == 2 and isinstance(undo[0], str) and isinstance(undo[1], dict):
        return {"name": undo[0], "arguments": dict(undo[1])}
    return None


def _key(arguments: dict[str, Any]) -> str:
    """Arguments as one comparable string."""
    return json.dumps(arguments, sort_keys=True, default=str)
