"""Tiers 2 and 3: model rounds with tool calls until the model answers in words.

On tier 2 (the router model) the first round is held back until it proves to contain a valid call;
if it does not, the main model answers instead (escalation, tier 3) and nothing of the router
model's round has been said or stored.

Whatever the backend, call syntax never reaches the user: the model's text is held back where a
call may start (``HoldBack(anywhere=True)``), and text that holds a call is a call, never said. A
call identical (name and arguments) to one already made in this turn is not made again: the model
is looping, so the rounds end and the reply is built from the results so far. Calls written where
none can run (the last round offers no tools) end the rounds the same way. A question is never
turned into a write: when the request reads as a question, a call to a tool that writes is refused
while a tool that reads is offered (``hearth.tooling.calls.questions``), and the model is told why.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from hearth.backends import Backend, CallRequest, Delta, Done
from hearth.config import ModelConfig, ModelsFile
from hearth.errors import HearthError
from hearth.events import Event, Routed, TextDelta, ToolCalled, TurnFinished
from hearth.pool import ModelPool
from hearth.storage import Storage
from hearth.tooling.calls import HoldBack, bind_positional, call_error, fn_schema
from hearth.tooling.calls.questions import is_read_tool, writes_for_a_question
from hearth.tooling.registry import ToolRegistry
from hearth.tooling.runner import ToolOutcome, ToolRunner
from hearth.tooling.tool import ToolContext
from hearth.turn.clock import TurnClock, ms
from hearth.turn.logged import returned, run_logged
from hearth.turn.router import Route

Emit = Callable[[Event], Awaitable[Event]]

DEFAULT_SYSTEM_PROMPT = (
    "You are Hearth, a helpful assistant in the user's home. You act through tools when a request "
    "needs one, and answer briefly in plain words."
)
# said when the rounds end on calls and no call's result can be told
CANT = "Sorry, I can't do that yet."
# the error code of a call refused because it would turn a question into a write
QUESTION_NOT_A_WRITE = "question_not_a_write"
# outcomes only the model is told of: what was wrong with its call, never a reply to the user
FOR_THE_MODEL = frozenset({"invalid_arguments", "unknown_tool", QUESTION_NOT_A_WRITE})


class Escalate(Exception):
    """The router model gave no valid call where one was needed: the main model answers instead."""


@dataclass
class Round:
    """What one model round said: its text, its calls (and the calls it wrote as text where none can
    run), the backend's stats and, while the round is held back, the text events not yet sent."""

    text: list[str] = field(default_factory=list)
    calls: list[CallRequest] = field(default_factory=list)
    written: list[CallRequest] = field(default_factory=list)
    stats: dict[str, float] = field(default_factory=dict)
    held: list[Event] = field(default_factory=list)

    @property
    def said(self) -> str:
        return "".join(self.text).strip()


def call_key(call: CallRequest) -> str:
    """A call's identity within a turn: its name and arguments (and what could not be read of it)."""
    return json.dumps([call.name, call.arguments, call.raw, list(call.positional)], sort_keys=True, default=str)


@dataclass
class TurnCalls:
    """This turn's calls so far: the keys of those made, and their outcomes."""

    made: set[str] = field(default_factory=set)
    outcomes: list[ToolOutcome] = field(default_factory=list)

    def fresh(self, calls: list[CallRequest]) -> list[CallRequest]:
        """The calls not made before in this turn (nor earlier in the same list); they count as made."""
        out = []
        for c in calls:
            key = call_key(c)
            if key not in self.made:
                self.made.add(key)
                out.append(c)
        return out

    @staticmethod
    def told(outcomes: list[ToolOutcome]) -> list[ToolOutcome]:
        """The outcomes the user may hear of (not what was wrong with a call: only the model is told that)."""
        return [o for o in outcomes if o.error_code not in FOR_THE_MODEL]

    def reply(self) -> str:
        """The reply built from the results so far, for rounds that end without the model's words."""
        return _spoken(self.told(self.outcomes)) or CANT


class ModelRounds:
    """One turn's model rounds, with what they need: the models and their pool, the tools (their
    registry and the schemas offered), the runner and storage for calls, ``emit`` for events."""

    def __init__(self, *, models: ModelsFile, pool: ModelPool, tools: ToolRegistry, runner: ToolRunner,
                 storage: Storage, ctx: ToolContext, emit: Emit, clock: TurnClock, context: tuple[str, ...] = ()) -> None:
        self.models, self.pool, self.tools = models, pool, tools
        self.context = context  # plugins' prompt_context texts (a home's devices), for the system prompt
        self.runner, self.storage, self.ctx, self.emit, self.clock = runner, storage, ctx, emit, clock
        self.schemas: list[dict[str, Any]] = []
        self.by_name: dict[str, dict[str, Any]] = {}
        self.request = ""  # the request the rounds answer (the last user message)

    def _system(self, cfg: Any) -> str:
        """The model's system prompt, then what plugins say of their world, then where the speaker is."""
        parts = [cfg.system_prompt or DEFAULT_SYSTEM_PROMPT, *self.context]
        if self.ctx.room:
            parts.append(f"The speaker is in the {self.ctx.room}.")
        return "\n\n".join(parts)

    async def answer(self, route: Route, convo: list[dict[str, Any]]) -> AsyncIterator[Event]:
        """The rounds on the route's model; the main model's when the router model gives no valid call."""
        self.clock.tier = route.tier
        try:
            async for ev in self.rounds(route, convo):
                yield ev
        except Escalate as why:
            main = self.models.roles.main
            self.clock.tier = 3
            self.clock.timings["escalated_ms"] = self.clock.ms()
            yield await self.emit(Routed(self.clock.session, self.clock.turn_id, tier=3,
                                         reason=f"escalated: {why}", model=main))
            escalated = Route(tier=3, reason=str(why), role=route.escalate_to, model=main)
            async for ev in self.rounds(escalated, convo):
                yield ev

    async def rounds(self, route: Route, convo: list[dict[str, Any]]) -> AsyncIterator[Event]:
        """Model rounds until the model answers in words (or the tools' sentences are the reply, or
        the model repeats a call)."""
        name = route.model or self.models.roles.main
        cfg = self.models.models[name]
        await self._load(name)
        session, turn_id = self.clock.session, self.clock.turn_id
        self.request = _request(convo)
        reply_parts: list[str] = []
        turn = TurnCalls()
        async with self.pool.use(name) as backend:
            self.schemas = offered_schemas(self.tools)  # read once the model is ready: a tool's server may be back
            self.by_name = {fn_schema(t)["name"]: t for t in self.schemas}
            messages: list[dict[str, Any]] = [{"role": "system", "content": self._system(cfg)}, *convo]
            for round_no in range(cfg.max_tool_rounds + 1):
                rnd = Round()
                hold = route.escalate_to is not None and round_no == 0
                async for ev in self._read(backend, messages, round_no == cfg.max_tool_rounds, hold, rnd):
                    yield ev
                for k, v in rnd.stats.items():  # summed over the rounds
                    self.clock.add(k, v)
                fresh = turn.fresh(rnd.calls)
                outcomes: list[ToolOutcome] = []
                if fresh:
                    async for ev in self._run_calls(rnd, fresh, messages, outcomes):
                        yield ev
                    turn.outcomes += outcomes
                spoken = _ending(cfg, rnd, fresh, outcomes, turn)
                if spoken is not None:
                    reply_parts.append(spoken)
                    yield await self.emit(TextDelta(session, turn_id, text=spoken))
                    await self._store([{"role": "assistant", "content": spoken}])
                    break
                if not rnd.calls:
                    reply_parts.append(rnd.said)
                    await self._store([{"role": "assistant", "content": rnd.said}])
                    break
        self.clock.timings["total_ms"] = self.clock.ms()
        final = " ".join(p for p in reply_parts if p).strip()
        yield await self.emit(TurnFinished(session, turn_id, text=final, tool_calls=len(turn.outcomes),
                                           tier=self.clock.tier, timings=self.clock.timings))

    async def _load(self, name: str) -> None:
        """Load the model if it is not loaded yet, timing it (``load_ms``, summed over escalation)."""
        if not self.pool.backend(name).loaded:
            t0 = time.perf_counter()
            await self.pool.load(name)
            self.clock.add("load_ms", ms(t0))

    async def _read(self, backend: Backend, messages: list[dict[str, Any]], last_round: bool, hold: bool,
                    rnd: Round) -> AsyncIterator[Event]:
        """Stream one round into ``rnd``, saying its text as it comes unless the round is held back
        or the text may be a call; a held round is said only once it proves to hold valid calls
        (else ``Escalate``). Calls written as text are the round's calls; on the last round, which
        offers no tools, every call is only ``written``."""
        timings = self.clock.timings
        text = HoldBack(set(self.by_name), anywhere=True)
        async for bev in backend.chat(messages, [] if last_round else self.schemas):
            if isinstance(bev, (Delta, CallRequest)) and "first_token_ms" not in timings:
                timings["first_token_ms"] = self.clock.ms()
            if isinstance(bev, Delta):
                if (shown := text.feed(bev.text)) and (ev := await self._say(shown, hold, rnd)):
                    yield ev
            elif isinstance(bev, CallRequest):
                rnd.calls.append(bind_positional(bev, self.by_name.get(bev.name)))
            elif isinstance(bev, Done):
                rnd.stats = {k: v for k, v in bev.stats.items() if isinstance(v, (int, float))}
        written, rest = text.finish()
        if rest and (ev := await self._say(rest, hold, rnd)):
            yield ev
        if not rnd.calls:  # calls the backend passed on as text (besides its own calls they are not said)
            rnd.calls = [bind_positional(c, self.by_name.get(c.name)) for c in written]
        if last_round:
            rnd.calls, rnd.written = [], rnd.calls
        if hold:
            if not rnd.calls or not all(self._valid(c) for c in rnd.calls):
                what = "no call" if not rnd.calls else "no valid call"
                timings.pop("first_token_ms", None)
                timings["router_model_ms"] = rnd.stats.get("model_ms", 0)
                raise Escalate(f"router produced {what}")
            for ev in rnd.held:
                yield await self.emit(ev)

    async def _say(self, text: str, hold: bool, rnd: Round) -> Event | None:
        """Text of the round: said now (the event), or kept with the held round's events (None)."""
        rnd.text.append(text)
        delta = TextDelta(self.clock.session, self.clock.turn_id, text=text)
        if hold:
            rnd.held.append(delta)
            return None
        return await self.emit(delta)

    def _valid(self, call: CallRequest) -> bool:
        """Whether a call names a tool, its arguments validate and it does not turn the request, a
        question, into a write (the router model's test)."""
        tool = self.tools.get(call.name)
        if tool is None or call.raw is not None or call.positional:
            return False
        if writes_for_a_question(self.request, self.by_name.get(call.name), self.schemas):
            return False
        try:
            tool.validate(call.arguments)
        except HearthError:
            return False
        return True

    def _refusal(self, call: CallRequest) -> tuple[str, str] | None:
        """The error code and what the model is told, for a call that cannot run as written or that
        would turn the question it was asked into a write (None: the call may run)."""
        schema = self.by_name.get(call.name)
        if (problem := call_error(call, schema)) is not None:
            return "invalid_arguments", problem
        if writes_for_a_question(self.request, schema, self.schemas):
            reads = ", ".join(n for n, t in self.by_name.items() if is_read_tool(t))
            return QUESTION_NOT_A_WRITE, (f"The request is a question, and {call.name} changes things: answer "
                                          f"it in words or with a tool that only reads ({reads}).")
        return None

    async def _run_calls(self, rnd: Round, calls: list[CallRequest], messages: list[dict[str, Any]],
                         outcomes: list[ToolOutcome]) -> AsyncIterator[Event]:
        """Run these calls of the round in order (one that cannot run as written, or that would turn a
        question into a write, is answered with what is wrong, so the model may retry), then add and
        store the round's messages."""
        session, turn_id, ctx = self.clock.session, self.clock.turn_id, self.ctx
        call_dicts = []
        for c in calls:
            call_id = c.id or self.runner.new_call_id()
            call_dicts.append({"id": call_id, "name": c.name, "arguments": c.arguments,
                               **({"raw": c.raw} if c.raw is not None else {})})
            yield await self.emit(ToolCalled(session, turn_id, call_id=call_id, name=c.name, arguments=c.arguments))
            if (refused := self._refusal(c)) is not None:
                code, problem = refused
                outcome = ToolOutcome(call_id, c.name, c.arguments, False, problem, None, code)
                await self.storage.call(self.storage.log_tool_call, session, turn_id, outcome)
            else:
                outcome = await run_logged(self.runner, self.storage, c.name, c.arguments, ctx, call_id)
            self.clock.timings[f"tool_{c.name}_ms"] = round(outcome.duration_ms, 3)
            outcomes.append(outcome)
            yield await self.emit(returned(outcome, ctx))
        new_msgs = [{"role": "assistant", "content": rnd.said, "tool_calls": call_dicts}]
        new_msgs += [{"role": "tool", "tool_call_id": o.call_id, "name": o.name, "content": o.for_model()}
                     for o in outcomes]
        messages += new_msgs
        await self._store(new_msgs)

    async def _store(self, messages: list[dict[str, Any]]) -> None:
        await self.storage.call(self.storage.add_messages, self.clock.session, self.clock.turn_id, messages)


def _request(convo: list[dict[str, Any]]) -> str:
    """The request the rounds answer: the last user message's text."""
    content = next((m.get("content") for m in reversed(convo) if m.get("role") == "user"), "")
    return content if isinstance(content, str) else ""


def _spoken(outcomes: list[ToolOutcome]) -> str | None:
    """The tools' sentences (a failed call's message), ``Done.`` when all succeeded silently, or None
    when there is nothing to tell."""
    spoken = " ".join((o.say if o.ok else str(o.result)) or "" for o in outcomes).strip()
    if spoken or (outcomes and all(o.ok for o in outcomes)):
        return spoken or "Done."
    return None


def _ending(cfg: ModelConfig, rnd: Round, fresh: list[CallRequest], outcomes: list[ToolOutcome],
            turn: TurnCalls) -> str | None:
    """The reply that ends the rounds after this round's calls; None when the rounds go on or the
    model's own words end them. A repeated call, or calls written where none can run with nothing
    said, end them with the results so far; with ``reply = "tool"`` the tools' sentences end them
    (``Done.`` when all succeeded silently; a call only the model is told of lets the model retry)."""
    if len(fresh) < len(rnd.calls) or (rnd.written and not rnd.said):
        return turn.reply()
    if fresh and cfg.reply == "tool":
        return _spoken(turn.told(outcomes))
    return None


def offered_schemas(tools: ToolRegistry) -> list[dict[str, Any]]:
    """The schemas offered to models: every available tool (one whose server is down is left out, and
    one its plugin keeps from models with the hint ``{"model": False}``: an undo step, a tool tier 1
    and the dialogue reach), with its example sentences and slot values."""
    out = []
    for t in tools:
        if not t.available or t.hints.get("model") is False:
            continue
        s = t.schema()
        if t.examples:
            s["examples"] = list(t.examples)
        if t.slot_values:
            s["slot_values"] = t.slot_values
        if t.hints:  # what the tool's plugin tells engines (a "fallback" tool...); not shown to models
            s["hints"] = dict(t.hints)
        out.append(s)
    return out
