"""The agent and one turn: message in, routing, model rounds and tool calls, reply out, all as events."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
import weakref
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from hearth.backends import Backend, Progress
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
    Waiting,
)
from hearth.pluginmanager import PluginManager
from hearth.pool import ModelPool
from hearth.scheduler import Scheduler
from hearth.storage import Storage
from hearth.tooling.runner import ToolOutcome, ToolRunner
from hearth.tooling.tool import ToolContext
from hearth.turn.clock import TurnClock
from hearth.turn.dialogue import Dialogue
from hearth.turn.fast_path import fast_path
from hearth.turn.logged import run_logged
from hearth.turn.rounds import DEFAULT_SYSTEM_PROMPT, ModelRounds, offered_schemas
from hearth.turn.router import IntentMatch, Matcher, Route, Router, assistant_names
from hearth.turn.text import clean_text

__all__ = ["DEFAULT_SYSTEM_PROMPT", "Agent"]

T = TypeVar("T")
log = logging.getLogger(__name__)

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
        models_path: Path | None = None,
    ) -> None:
        if isinstance(models, ModelsFile):  # models_path: where it came from, for messages
            self.models_path, self.models = models_path or Path("<memory>"), models
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
        self.intents = Matcher(self.plugins.tools, folders=self.plugins.sentence_folders)  # tier 1's grammar
        self.router = Router(self.models, self.plugins.tools, matchers=[self.plugins.match_intent],
                             grammar=self.intents, names=assistant_names(self.models))
        self.runner.agreement = self.intents.disagrees  # a model's call must fit what was said
        self.runner.vacant = self.intents.vacant  # and each text it passes must say something
        self.runner.unsupported = self.intents.unsupported  # a write said with none of its words asks first
        # one lock per session with a turn under way or waiting; a session's entry goes when its last
        # turn ends (HTTP without X-Session-ID makes a session per request)
        self._session_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._rooms: dict[str, str] = {}  # session -> the room its speaker is in (set_room)
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

    # ---- rooms -----------------------------------------------------------------------------------

    def set_room(self, session: str, room: str | None) -> None:
        """Where the speaker of ``session`` is: a room's name as the home calls it ("Kitchen", "Living
        Room"); None when unknown. A face sets it (a satellite's room, ``hearth chat --room``, a websocket
        message's ``room``); tools read it as ``ctx.room`` ("turn off the lights" means this room's)."""
        said = " ".join("".join(ch for ch in room if ch.isprintable()).split()) if room else ""
        if said:  # control characters, lone surrogates and spacing are no part of a room's name
            self._rooms[session] = said[:64]
        else:
            self._rooms.pop(session, None)

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
        """The schemas offered to models: every available tool (one whose server is down is left out),
        with the example sentences its sentence file gives (the grammar compiles once, if not yet)."""
        self.intents.build()
        return offered_schemas(self.tools)

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
                           room=self._rooms.get(session), _scheduler=self.scheduler, _emit=self.emit, _agent=self)

    async def _run_logged(self, name: str, arguments: Any, ctx: ToolContext, call_id: str, *,
                          confirmed: bool = False) -> ToolOutcome:
        """Run one call and write it to the tool-call log before anyone hears of it."""
        if ctx._scheduler is None or ctx._emit is None:  # a bare ToolContext: give it this agent's services
            ctx = self.tool_context(ctx.session, ctx.turn_id)
        return await run_logged(self.runner, self.storage, name, arguments, ctx, call_id, confirmed=confirmed)

    async def run_tool(self, name: str, arguments: dict[str, Any], session: str = "cli") -> ToolOutcome:
        """Call one tool directly (``hearth tools run``, the MCP server); logged like a model's call.
        An explicit call is its own confirmation: a destructive tool runs."""
        if not self._started:
            await self.start(load_model=False)
        ctx = self.tool_context(session, "direct")
        await self.storage.call(self.storage.ensure_conversation, session)
        return await self._run_logged(name, arguments, ctx, self.runner.new_call_id(), confirmed=True)

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
        """The turn's steps: read it in its dialogue and route it, then answer on the route's tier."""
        clock = TurnClock(session, turn_id)
        text = (text or "").strip()
        if not text:
            yield await self._failed(clock, "The message is empty; say or type something.", "empty_message")
            return
        if not self._started:
            await self.start(load_model=False)
        dialogue = self._dialogue
        if dialogue.storage is not self.storage:  # storage swapped after construction (benches, tests)
            dialogue = self._dialogue = Dialogue(self.storage)
        try:
            route, routed_text = await self._route(dialogue, text, session, role, tier)
        except HearthError as err:
            yield await self._failed(clock, str(err), err.code)
            return
        clock.timings["route_ms"] = route.ms
        yield await self.emit(TurnStarted(session, turn_id, text=text, model=route.model or ""))
        yield await self.emit(Routed(session, turn_id, tier=route.tier, reason=route.reason, model=route.model))
        calls: dict[str, dict[str, Any]] = {}  # dialogue context: call id -> arguments
        async for ev in self._answer(route, text, routed_text, clock):
            self._remember_call(dialogue, session, ev, calls)
            if isinstance(ev, TurnFinished) and (waiting := dialogue.waiting(session)) is not None:
                yield await self.emit(Waiting(session, turn_id, kind=waiting["kind"], question=waiting["question"],
                                              tool=waiting.get("tool"), slot=waiting.get("slot")))
            yield ev

    async def _route(self, dialogue: Dialogue, text: str, session: str, role: str | None,
                     tier: int | None) -> tuple[Route, str]:
        """The route, and the text the model reads. Dialogue context (issue 14): a follow-up ("make
        that a dozen", "cancel it", "and sugar too") is read against what this session's last calls
        were about, then routed like any request."""
        follow = None
        if tier in (None, 1) and not role:
            if not dialogue.known(session):
                await asyncio.to_thread(dialogue.load, session)
            follow = dialogue.resolve(session, text, self.tools, self.router.match, self.router.asks_something,
                                      self.router.first)
        if follow is not None and (follow.matches or follow.say is not None):
            first = follow.matches[0] if follow.matches else None
            return Route(tier=1, reason=follow.reason or (first.source if first else "dialogue"), match=first,
                         more=tuple(follow.matches[1:]), say=follow.say, quiet=follow.quiet), text
        routed_text = follow.text if follow is not None and follow.text else text
        route = self.router.route(routed_text, role=role, tier=tier)
        if route.match is None and route.say is None:  # a model reads what the speaker kept, not the words
            routed_text = self.router.repaired(routed_text) or routed_text  # taken back ("no no pudina")
        if routed_text != text:
            route = replace(route, reason=f"{follow.reason if follow else ''}, read as "
                                          f"{routed_text!r}: {route.reason}")
        return route, routed_text

    async def _answer(self, route: Route, text: str, routed_text: str, clock: TurnClock) -> AsyncIterator[Event]:
        """Tier 1 runs the matched calls; tiers 2 and 3 store the message and run the model rounds
        (the model reads ``routed_text``: what "it" meant)."""
        ctx = dataclasses.replace(self.tool_context(clock.session, clock.turn_id), heard=routed_text)
        if route.match is not None or route.say is not None:
            matches = (route.match, *route.more) if route.match is not None else ()
            async for ev in fast_path(matches, text, clock, ctx, self.runner, self.storage, self.emit,
                                      say=route.say, quiet=route.quiet):
                yield ev
            return
        try:
            history = await self.storage.call(self.storage.history, clock.session)
            await self.storage.call(self.storage.add_messages, clock.session, clock.turn_id,
                                    [{"role": "user", "content": text}])
        except Exception as err:
            log.exception("turn failed before the model ran")
            yield await self._failed(clock, f"{type(err).__name__}: {err}", "internal_error")
            return
        rounds = ModelRounds(models=self.models, pool=self.pool, tools=self.tools, runner=self.runner,
                             storage=self.storage, ctx=dataclasses.replace(ctx, said=routed_text), emit=self.emit,
                             clock=clock, context=tuple(self.plugins.prompt_context(clock.session, ctx.room)))
        try:
            async for ev in rounds.answer(route, [*history, {"role": "user", "content": routed_text}]):
                yield ev
        except HearthError as err:
            yield await self._failed(clock, str(err), err.code)
        except Exception as err:
            log.exception("turn failed")
            yield await self._failed(clock, f"{type(err).__name__}: {err}", "internal_error")

    async def _failed(self, clock: TurnClock, message: str, code: str) -> Event:
        return await self.emit(TurnFailed(clock.session, clock.turn_id, message=message, code=code))

    @staticmethod
    def _remember_call(dialogue: Any, session: str, ev: Event, calls: dict[str, dict[str, Any]]) -> None:
        """Dialogue context (part of ``_turn``): remember what a tool call was about (in memory)."""
        if isinstance(ev, ToolCalled):
            calls[ev.call_id] = ev.arguments
        elif isinstance(ev, ToolReturned) and ev.call_id in calls:
            # a failed call changes nothing, except that one missing an argument waits for it, and a
            # destructive one waits for a yes
            if ev.error_code == "confirm_first":
                dialogue.ask(session, IntentMatch(ev.name, calls[ev.call_id], "confirmed", strict=True), str(ev.result))
                return
            result = ev.result if ev.ok else {"error": ev.error_code, "message": str(ev.result)}
            dialogue.remember(session, ev.name, calls[ev.call_id], result, undo=ev.undo)
