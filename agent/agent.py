"""The agent and one turn: message in, routing, model rounds and tool calls, reply out, all as events."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
import weakref
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from hearth.backends import Backend, CallRequest, Delta, Done, Progress
from hearth.config import ModelConfig, ModelsFile, load_models, validate_plugin_settings
from hearth.errors import HearthError
from hearth.events import (
    Event,
    EventBus,
    Routed,
    TextDelta,
    ToolCalled,
    ToolReturned,
    TurnFailed,
    TurnFinished,
    TurnStarted,
)
from hearth.pluginmanager import PluginManager
from hearth.pool import ModelPool
from hearth.scheduler import Scheduler
from hearth.storage import Storage
from hearth.tooling.calls import bind_positional, call_error, fn_schema
from hearth.tooling.runner import ToolOutcome, ToolRunner
from hearth.tooling.tool import ToolContext
from hearth.turn.dialogue import Dialogue
from hearth.turn.router import IntentMatch, IntentMatcher, Route, Router
from hearth.turn.text import clean_text

T = TypeVar("T")
log = logging.getLogger(__name__)

DEFAULT_SYSTEM_PROMPT = (
    "You are Hearth, a helpful assistant in the user's home. You act through tools when a request "
    "needs one, and answer briefly in plain words."
)


class _Escalate(Exception):
    """The router model gave no valid call where one was needed: the main model answers instead."""


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 3)


class Agent:
    """Plugins, tools, storage, the event bus, the router and the configured models, in one object.

    >>> agent = Agent()
    >>> await agent.start()
    >>> async for event in agent.turn("add bread to my shopping list", session="kitchen"):
    ...     print(event.to_dict())
    """

    def __init__(
        self,
        *,
        models: str | Path | ModelsFile | None = None,
        storage: Storage | None = None,
        plugins: PluginManager | None = None,
        plugins_dir: Path | None = None,
        entry_points: bool = True,
        scheduler: Scheduler | None = None,
    ) -> None:
        if isinstance(models, ModelsFile):
            self.models_path, self.models = Path("<memory>"), models
        else:
            self.models_path, self.models = load_models(models)
        if plugins is None:
            plugins = PluginManager()
            plugins.load(entry_points=entry_points, directory=plugins_dir)
        self.plugins = plugins
        # each plugin's own models.toml table, validated by the model it declared (register_settings)
        self._settings = validate_plugin_settings(
            self.models, plugins.settings_models, self.models_path,
            strict=plugins.complete and not plugins.errors)
        self._states: dict[type, Any] = {}  # plugin state per agent (Agent.state)
        self.storage = storage or Storage()
        self.bus = EventBus()
        # timers and other jobs of plugins; tests pass Scheduler(ManualClock())
        self.scheduler = scheduler or Scheduler()
        # ToolBlocked refuses a call; any other exception in before_tool_call blocks the plugin and fails the call
        self.runner = ToolRunner(self.plugins.tools, before_call=self.plugins.check_call)
        self._dialogue = Dialogue(self.storage)  # what each session's last turns did (follow-ups)
        self.pool = ModelPool(self.models, self.plugins.backends, self.models_path, on_loaded=self._prepare_model)
        self.intents = IntentMatcher(self.plugins.tools)
        self.router = Router(self.models, self.plugins.tools, matchers=[self.plugins.match_intent, self.intents.match])
        # one lock per session with a turn under way or waiting; a session's entry goes when its last
        # turn ends (HTTP without X-Session-ID makes a session per request)
        self._session_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._started = False

    @property
    def tools(self):
        return self.plugins.tools

    def settings(self, table: str) -> Any:
        """A plugin's ``models.toml`` table (``[table]``) validated by the model it declared with
        ``register_settings``; the model's defaults when the file has no such table, ``None`` when
        those defaults are not enough (a required key) or no plugin declared the table."""
        if table in self._settings:
            return self._settings[table]
        model = self.plugins.settings_models.get(table)
        if model is None:
            return None
        try:
            return model()
        except ValidationError:
            return None

    def state(self, cls: type[T]) -> T:
        """This agent's one instance of ``cls``, made with ``cls()`` on first use: the way a module
        plugin keeps state per agent (a connection, a counter) instead of in a module global. Two
        agents in one process each get their own. A plugin class (``hearth.Plugin``-style object) keeps
        its state on itself instead."""
        found = self._states.get(cls)
        if found is None:
            found = self._states[cls] = cls()
        return found

    # ---- lifecycle -------------------------------------------------------------------------------

    async def start(self, *, load_model: bool = True, role: str = "main", progress: Progress | None = None,
                    prewarm: bool = False) -> None:
        """Create tables, run plugins' ``startup``, compile the tier-1 templates, and load models.

        ``load_model`` loads the role's model before returning (with ``progress``); ``prewarm``
        starts loading every role's model in the background instead, so the caller can already
        answer (tier-1 turns need no model; a turn waits only for the model it needs).
        """
        if not self._started:
            await self.storage.call(self.storage.create_tables)
            await self.plugins.call_each("startup", agent=self)  # a raising plugin is blocked, the rest start
            await asyncio.to_thread(self.intents.build)
            self._started = True
        if prewarm:
            self.pool.progress = progress
            self.pool.prewarm(self.role_models())
        elif load_model:
            await self.pool.load(self.model_for(role)[0], progress)

    async def _prepare_model(self, name: str, backend: Backend) -> None:
        """After a load: let the backend fill its caches with the system prompt and the tools, so the
        first turn that needs the model is as fast as the next ones."""
        cfg = self.models.models[name]
        await backend.prepare([{"role": "system", "content": cfg.system_prompt or DEFAULT_SYSTEM_PROMPT}],
                              self.tool_schemas())

    async def stop(self) -> None:
        await self.plugins.call_each("shutdown", agent=self)
        await self.scheduler.stop()
        await self.pool.close()
        self._started = False

    def role_models(self) -> list[str]:
        """The models the roles name, main first, each once."""
        return list(dict.fromkeys(n for n in (self.models.roles.main, self.models.roles.router) if n))

    def model_for(self, role: str = "main") -> tuple[str, ModelConfig]:
        return self.models.for_role(role)

    def backend(self, role: str = "main") -> Backend:
        """The backend object of the role's model (created once, loaded lazily)."""
        return self.pool.backend(self.model_for(role)[0])

    def status(self) -> dict[str, Any]:
        """What is ready: each model's state (``/healthz``, ``hearth doctor``) and the tier-1 matcher."""
        return {"models": self.pool.status(), "intents": "off: " + self.intents.error if self.intents.error else "ready"}

    def tool_schemas(self) -> list[dict[str, Any]]:
        """The schemas offered to models: every available tool (one whose server is down is left out)."""
        out = []
        for t in self.tools:
            if not t.available:
                continue
            s = t.schema()
            if t.examples:
                s["examples"] = list(t.examples)
            if t.slot_values:
                s["slot_values"] = t.slot_values
            out.append(s)
        return out

    async def emit(self, event: Event) -> Event:
        """Send an event to the bus and to every ``on_event`` hook (tools use ``ctx.emit``, plugins
        this, for events outside a turn, e.g. a timer that finished). What a person reads (reply text)
        is cleaned of control and invisible formatting characters first."""
        if isinstance(event, (TextDelta, TurnFinished)) and event.text and not event.text.isprintable():
            event = replace(event, text=clean_text(event.text))
        await self.bus.emit(event)
        await self.plugins.notify("on_event", event=event)
        return event

    def tool_context(self, session: str, turn_id: str) -> ToolContext:
        """The context a tool gets: the session, storage, bus, this agent's scheduler and ``emit``."""
        return ToolContext(session=session, storage=self.storage, bus=self.bus, turn_id=turn_id,
                           _scheduler=self.scheduler, _emit=self.emit, _agent=self)

    async def _run_logged(self, name: str, arguments: Any, ctx: ToolContext, call_id: str) -> ToolOutcome:
        """Run one call and write it to the tool-call log before anyone hears of it."""
        if ctx._scheduler is None or ctx._emit is None:  # a bare ToolContext: give it this agent's services
            ctx = self.tool_context(ctx.session, ctx.turn_id)
        outcome = await self.runner.run(name, arguments, ctx, call_id=call_id)
        await self.storage.call(self.storage.log_tool_call, ctx.session, ctx.turn_id, outcome)
        return outcome

    @staticmethod
    def _returned(outcome: ToolOutcome, ctx: ToolContext) -> ToolReturned:
        return ToolReturned(ctx.session, ctx.turn_id, call_id=outcome.call_id, name=outcome.name, ok=outcome.ok,
                            result=outcome.result, error_code=outcome.error_code,
                            duration_ms=round(outcome.duration_ms, 1))

    async def _fast_path(self, match: IntentMatch, text: str, session: str, turn_id: str, t0: float,
                         timings: dict[str, float], more: tuple[IntentMatch, ...] = ()) -> AsyncIterator[Event]:
        """Tier 1: templates mapped the message to calls (one per request said): run each, say their
        sentences, no model."""
        ctx = self.tool_context(session, turn_id)
        outcomes: list[ToolOutcome] = []
        for m in (match, *more):
            call_id = self.runner.new_call_id()
            yield await self.emit(ToolCalled(session, turn_id, call_id=call_id, name=m.name, arguments=m.arguments))
            outcomes.append(await self.runner.run(m.name, m.arguments, ctx, call_id=call_id))
        spoken = " ".join((o.say or "Done.") if o.ok else str(o.result) for o in outcomes)
        calls = [{"id": o.call_id, "name": o.name, "arguments": o.arguments} for o in outcomes]
        # the calls' log rows and the turn's messages in one transaction, before anyone hears of it
        await self.storage.call(self.storage.add_messages, session, turn_id, [
            {"role": "user", "content": text}, {"role": "assistant", "content": "", "tool_calls": calls},
            *({"role": "tool", "tool_call_id": o.call_id, "name": o.name, "content": o.for_model()} for o in outcomes),
            {"role": "assistant", "content": spoken}], outcomes[0])
        for o in outcomes[1:]:
            await self.storage.call(self.storage.log_tool_call, session, turn_id, o)
        for o in outcomes:
            yield await self.emit(self._returned(o, ctx))
            timings[f"tool_{o.name}_ms"] = round(o.duration_ms, 3)
        yield await self.emit(TextDelta(session, turn_id, text=spoken))
        timings["first_token_ms"] = timings["total_ms"] = _ms(t0)
        yield await self.emit(TurnFinished(session, turn_id, text=spoken, tool_calls=len(outcomes), tier=1,
                                            timings=timings))

    async def run_tool(self, name: str, arguments: dict[str, Any], session: str = "cli") -> ToolOutcome:
        """Call one tool directly (``hearth tools run``); logged like a model's call."""
        if not self._started:
            await self.start(load_model=False)
        ctx = self.tool_context(session, "direct")
        await self.storage.call(self.storage.ensure_conversation, session)
        return await self._run_logged(name, arguments, ctx, self.runner.new_call_id())

    # ---- one turn --------------------------------------------------------------------------------

    async def ask(self, text: str, session: str | None = None, role: str | None = None,
                  tier: int | None = None) -> TurnFinished | TurnFailed:
        """Run a turn and return its last event."""
        last: Event | None = None
        async for ev in self.turn(text, session=session, role=role, tier=tier):
            last = ev
        assert isinstance(last, (TurnFinished, TurnFailed))
        return last

    async def turn(self, text: str, session: str | None = None, role: str | None = None,
                   tier: int | None = None) -> AsyncIterator[Event]:
        """Answer one message, yielding every event (also sent to the bus and ``on_event``).

        The router picks the tier; ``role`` names the model to use after tier 1, ``tier`` forces a
        tier (benchmarks, tests). The turn's route and stage timings are stored with it.
        """
        session = session or Storage.new_session_id()
        turn_id = uuid.uuid4().hex[:12]
        lock = self._session_locks.get(session)
        if lock is None:
            lock = self._session_locks[session] = asyncio.Lock()
        async with lock:  # a session's turns run in order
            routes: list[Routed] = []
            last: Event | None = None
            try:
                async for ev in self._turn(text, session, turn_id, role, tier):
                    if isinstance(ev, Routed):
                        routes.append(ev)
                    last = ev
                    yield ev
            finally:
                if isinstance(last, (TurnFinished, TurnFailed)) and (text or "").strip():
                    try:
                        await self.storage.call(self.storage.log_turn, session, turn_id, text.strip(),
                                                [r.to_dict() for r in routes], last.to_dict())
                    except Exception:  # the trace must never cost the turn
                        log.exception("could not store the trace of turn %s", turn_id)

    async def _turn(self, text: str, session: str, turn_id: str, role: str | None, tier: int | None) -> AsyncIterator[Event]:
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        text = (text or "").strip()
        if not text:
            yield await self.emit(TurnFailed(session, turn_id, message="The message is empty; say or type something.", code="empty_message"))
            return
        if not self._started:
            await self.start(load_model=False)
        # -- dialogue context (issue 14): a follow-up ("make that a dozen", "cancel it", "and sugar too")
        # is read against what this session's last calls were about, then routed like any request
        dialogue = self._dialogue
        if dialogue.storage is not self.storage:  # storage swapped after construction (benches, tests)
            dialogue = self._dialogue = Dialogue(self.storage)
        routed_text = text
        try:
            follow = None
            if tier in (None, 1) and not role:
                if not dialogue.known(session):
                    await asyncio.to_thread(dialogue.load, session)
                follow = dialogue.resolve(session, text, self.tools, lambda t: self.router.match(t) is not None)
            if follow is not None and follow.match is not None:
                route = Route(tier=1, reason=follow.match.source, match=follow.match)
            else:
                routed_text = follow.text if follow is not None and follow.text else text
                route = self.router.route(routed_text, role=role, tier=tier)
                if routed_text != text:
                    route = replace(route, reason=f"{follow.reason if follow else ''}, read as "
                                                f"{routed_text!r}: {route.reason}")
        except HearthError as err:
            yield await self.emit(TurnFailed(session, turn_id, message=str(err), code=err.code))
            return
        # -- end dialogue context
        timings["route_ms"] = route.ms
        yield await self.emit(TurnStarted(session, turn_id, text=text, model=route.model or ""))
        yield await self.emit(Routed(session, turn_id, tier=route.tier, reason=route.reason, model=route.model))
        if route.match is not None:
            fast_calls: dict[str, dict[str, Any]] = {}  # dialogue context: call id -> arguments
            async for ev in self._fast_path(route.match, text, session, turn_id, t0, timings, route.more):
                self._remember_call(dialogue, session, ev, fast_calls)  # dialogue context
                yield ev
            return
        try:
            history = await self.storage.call(self.storage.history, session)
            user_msg = {"role": "user", "content": text}
            await self.storage.call(self.storage.add_messages, session, turn_id, [user_msg])
            user_msg = {"role": "user", "content": routed_text}  # dialogue: the model sees what "it" meant
        except Exception as err:
            log.exception("turn failed before the model ran")
            yield await self.emit(TurnFailed(session, turn_id, message=f"{type(err).__name__}: {err}", code="internal_error"))
            return
        state = {"tier": route.tier}
        calls: dict[str, dict[str, Any]] = {}  # dialogue context: call id -> arguments
        try:
            try:
                async for ev in self._model_turn(route, [*history, user_msg], session, turn_id, t0, timings, state):
                    self._remember_call(dialogue, session, ev, calls)  # dialogue context
                    yield ev
            except _Escalate as why:
                main = self.models.roles.main
                state["tier"] = 3
                timings["escalated_ms"] = _ms(t0)
                yield await self.emit(Routed(session, turn_id, tier=3, reason=f"escalated: {why}", model=main))
                escalated = Route(tier=3, reason=str(why), role=route.escalate_to, model=main)
                async for ev in self._model_turn(escalated, [*history, user_msg], session, turn_id, t0, timings, state):
                    self._remember_call(dialogue, session, ev, calls)  # dialogue context
                    yield ev
        except HearthError as err:
            yield await self.emit(TurnFailed(session, turn_id, message=str(err), code=err.code))
        except Exception as err:
            log.exception("turn failed")
            yield await self.emit(TurnFailed(session, turn_id, message=f"{type(err).__name__}: {err}", code="internal_error"))

    @staticmethod
    def _remember_call(dialogue: Any, session: str, ev: Event, calls: dict[str, dict[str, Any]]) -> None:
        """Dialogue context (part of ``_turn``): remember what a tool call was about (in memory)."""
        if isinstance(ev, ToolCalled):
            calls[ev.call_id] = ev.arguments
        elif isinstance(ev, ToolReturned) and ev.call_id in calls:
            # a failed call changes nothing, except that one missing an argument waits for it
            result = ev.result if ev.ok else {"error": ev.error_code, "message": str(ev.result)}
            dialogue.remember(session, ev.name, calls[ev.call_id], result)

    def _valid_call(self, call: CallRequest) -> bool:
        tool = self.tools.get(call.name)
        if tool is None or call.raw is not None or call.positional:
            return False
        try:
            tool.validate(call.arguments)
        except HearthError:
            return False
        return True

    async def _model_turn(self, route: Route, convo: list[dict[str, Any]], session: str, turn_id: str, t0: float,
                          timings: dict[str, float], state: dict[str, Any]) -> AsyncIterator[Event]:
        """Tiers 2 and 3: model rounds with tool calls until the model answers in words.

        On tier 2 the first round is held back until it proves to contain a valid call; if it does
        not, ``_Escalate`` is raised before any event or message of the router model escapes.
        """
        name = route.model or self.models.roles.main
        cfg = self.models.models[name]
        check_first = route.escalate_to is not None
        backend = self.pool.backend(name)
        if not backend.loaded:
            tl = time.perf_counter()
            await self.pool.load(name)
            timings["load_ms"] = timings.get("load_ms", 0) + _ms(tl)
        async with self.pool.use(name) as backend:
            system = cfg.system_prompt or DEFAULT_SYSTEM_PROMPT
            messages: list[dict[str, Any]] = [{"role": "system", "content": system}, *convo]
            tools = self.tool_schemas()
            by_name = {fn_schema(t)["name"]: t for t in tools}
            ctx = self.tool_context(session, turn_id)
            reply_parts: list[str] = []
            n_calls = 0
            for round_no in range(cfg.max_tool_rounds + 1):
                last_round = round_no == cfg.max_tool_rounds
                hold = check_first and round_no == 0
                held: list[Event] = []
                text_buf: list[str] = []
                calls: list[CallRequest] = []
                stats: dict[str, float] = {}
                async for bev in backend.chat(messages, [] if last_round else tools):
                    if isinstance(bev, (Delta, CallRequest)) and "first_token_ms" not in timings:
                        timings["first_token_ms"] = _ms(t0)
                    if isinstance(bev, Delta):
                        text_buf.append(bev.text)
                        delta = TextDelta(session, turn_id, text=bev.text)
                        if hold:
                            held.append(delta)
                        else:
                            yield await self.emit(delta)
                    elif isinstance(bev, CallRequest):
                        calls.append(bind_positional(bev, by_name.get(bev.name)))
                    elif isinstance(bev, Done):
                        stats = {k: v for k, v in bev.stats.items() if isinstance(v, (int, float))}
                if hold:
                    if not calls or not all(self._valid_call(c) for c in calls):
                        what = "no call" if not calls else "no valid call"
                        timings.pop("first_token_ms", None)
                        timings["router_model_ms"] = stats.get("model_ms", 0)
                        raise _Escalate(f"router produced {what}")
                    for ev in held:
                        yield await self.emit(ev)
                for k, v in stats.items():  # summed over the rounds
                    timings[k] = round(timings.get(k, 0) + v, 3)
                said = "".join(text_buf).strip()
                if not calls:
                    reply_parts.append(said)
                    await self.storage.call(self.storage.add_messages, session, turn_id,
                                            [{"role": "assistant", "content": said}])
                    break
                outcomes: list[ToolOutcome] = []
                call_dicts = []
                for c in calls:
                    n_calls += 1
                    call_id = c.id or self.runner.new_call_id()
                    call_dicts.append({"id": call_id, "name": c.name, "arguments": c.arguments,
                                       **({"raw": c.raw} if c.raw is not None else {})})
                    yield await self.emit(ToolCalled(session, turn_id, call_id=call_id, name=c.name,
                                                      arguments=c.arguments))
                    if (problem := call_error(c, by_name.get(c.name))) is not None:
                        # a call that cannot run as written: the model is told what is wrong and may retry
                        outcome = ToolOutcome(call_id, c.name, c.arguments, False, problem, None, "invalid_arguments")
                        await self.storage.call(self.storage.log_tool_call, ctx.session, ctx.turn_id, outcome)
                    else:
                        outcome = await self._run_logged(c.name, c.arguments, ctx, call_id)
                    timings[f"tool_{c.name}_ms"] = round(outcome.duration_ms, 3)
                    outcomes.append(outcome)
                    yield await self.emit(self._returned(outcome, ctx))
                new_msgs = [{"role": "assistant", "content": said, "tool_calls": call_dicts}]
                new_msgs += [{"role": "tool", "tool_call_id": o.call_id, "name": o.name, "content": o.for_model()} for o in outcomes]
                messages += new_msgs
                await self.storage.call(self.storage.add_messages, session, turn_id, new_msgs)
                if cfg.reply == "tool":
                    spoken = " ".join((o.say if o.ok else str(o.result)) or "" for o in outcomes).strip()
                    if spoken or all(o.ok for o in outcomes):
                        spoken = spoken or "Done."
                        reply_parts.append(spoken)
                        yield await self.emit(TextDelta(session, turn_id, text=spoken))
                        await self.storage.call(self.storage.add_messages, session, turn_id,
                                                [{"role": "assistant", "content": spoken}])
                        break
        timings["total_ms"] = _ms(t0)
        final = " ".join(p for p in reply_parts if p).strip()
        yield await self.emit(TurnFinished(session, turn_id, text=final, tool_calls=n_calls, tier=state["tier"],
                                            timings=timings))
