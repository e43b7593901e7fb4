"""The agent and one turn: message in, model rounds and tool calls, reply out, all as events."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from .backends import Backend, CallRequest, Delta, Done, Progress
from .config import ModelConfig, ModelsFile, load_models
from .errors import ConfigError, HearthError
from .events import (Event, EventBus, TextDelta, ToolCalled, ToolReturned, TurnFailed, TurnFinished,
                     TurnStarted)
from .pluginmanager import PluginManager
from .storage import Storage
from .toolrunner import ToolContext, ToolOutcome, ToolRunner
from .toolsyntax import ParsedCall, bind_positional, fn_schema

log = logging.getLogger(__name__)

DEFAULT_SYSTEM_PROMPT = (
    "You are Hearth, a helpful assistant in the user's home. You act through tools when a request "
    "needs one, and answer briefly in plain words."
)


class Agent:
    """Plugins, tools, storage, the event bus and the configured models, in one object.

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
    ) -> None:
        if isinstance(models, ModelsFile):
            self.models_path, self.models = Path("<memory>"), models
        else:
            self.models_path, self.models = load_models(models)
        if plugins is None:
            plugins = PluginManager()
            plugins.load(entry_points=entry_points, directory=plugins_dir)
        self.plugins = plugins
        self.storage = storage or Storage()
        self.bus = EventBus()
        self.runner = ToolRunner(self.plugins.tools, before_call=self._before_tool_call)
        self._backends: dict[str, Backend] = {}
        self._session_locks: dict[str, asyncio.Lock] = {}
        self._started = False

    @property
    def tools(self):
        return self.plugins.tools

    # ---- lifecycle -------------------------------------------------------------------------------

    async def start(self, *, load_model: bool = True, role: str = "main", progress: Progress | None = None) -> None:
        """Create tables, run plugins' ``startup`` and load (pre-warm) the role's model."""
        if not self._started:
            await asyncio.to_thread(self.storage.create_tables)
            for result in self.plugins.call_each("startup", agent=self):
                if asyncio.iscoroutine(result):
                    await result
            self._started = True
        if load_model:
            await self.backend(role).load(progress)

    async def stop(self) -> None:
        for result in self.plugins.call_each("shutdown", agent=self):
            if asyncio.iscoroutine(result):
                await result
        for b in self._backends.values():
            await b.close()
        self._backends.clear()

    def model_for(self, role: str = "main") -> tuple[str, ModelConfig]:
        return self.models.for_role(role)

    def backend(self, role: str = "main") -> Backend:
        """The backend object of the role's model (created once, loaded lazily)."""
        name, cfg = self.model_for(role)
        if name not in self._backends:
            factory = self.plugins.backends.get(cfg.backend)
            if factory is None:
                known = ", ".join(sorted(self.plugins.backends)) or "none loaded"
                raise ConfigError(
                    f"{self.models_path}: [models.{name}] backend {cfg.backend!r} is not available "
                    f"(backends: {known}); install its plugin or check HEARTH_LOAD_PLUGINS",
                    "backend_missing",
                )
            self._backends[name] = factory(name, cfg)
        return self._backends[name]

    def tool_schemas(self) -> list[dict[str, Any]]:
        out = []
        for t in self.tools:
            s = t.schema()
            if t.examples:
                s["examples"] = list(t.examples)
            if t.slot_values:
                s["slot_values"] = t.slot_values
            out.append(s)
        return out

    def _before_tool_call(self, call: dict[str, Any], ctx: ToolContext) -> None:
        # every implementation runs; the first exception blocks the call
        for impl in self.plugins.impls("before_tool_call"):
            impl.function(**{k: v for k, v in {"call": call, "ctx": ctx}.items() if k in impl.argnames})

    async def _emit(self, event: Event) -> Event:
        await self.bus.emit(event)
        self.plugins.call_each("on_event", event=event)
        return event

    # ---- one turn --------------------------------------------------------------------------------

    def _match_intent(self, text: str) -> dict[str, Any] | None:
        """Ask ``match_intent`` implementations (first non-None wins); a raising matcher is blocked."""
        for impl in self.plugins.impls("match_intent"):
            try:
                found = impl.function(**{k: v for k, v in {"text": text, "tools": self.tools}.items() if k in impl.argnames})
            except Exception as err:
                self.plugins.block(impl.plugin_name, f"match_intent raised {type(err).__name__}: {err}")
                continue
            if found is not None:
                if not isinstance(found, dict) or not isinstance(found.get("name"), str):
                    self.plugins.block(impl.plugin_name, f"match_intent returned {found!r}, not {{'name': ..., 'arguments': {{...}}}}")
                    continue
                return {"name": found["name"], "arguments": found.get("arguments") or {}}
        return None

    async def _run_logged(self, name: str, arguments: Any, ctx: ToolContext, call_id: str) -> ToolOutcome:
        """Run one call and write it to the tool-call log before anyone hears of it."""
        outcome = await self.runner.run(name, arguments, ctx, call_id=call_id)
        await asyncio.to_thread(self.storage.log_tool_call, ctx.session, ctx.turn_id, outcome)
        return outcome

    @staticmethod
    def _returned(outcome: ToolOutcome, ctx: ToolContext) -> ToolReturned:
        return ToolReturned(ctx.session, ctx.turn_id, call_id=outcome.call_id, name=outcome.name, ok=outcome.ok,
                            result=outcome.result, error_code=outcome.error_code,
                            duration_ms=round(outcome.duration_ms, 1))

    async def _fast_path(self, match: dict[str, Any], text: str, session: str, turn_id: str, t0: float,
                         timings: dict[str, float]) -> AsyncIterator[Event]:
        """A matcher mapped the message to a call: run the tool, say its sentence, no model."""
        ctx = ToolContext(session=session, storage=self.storage, bus=self.bus, turn_id=turn_id)
        call_id = self.runner.new_call_id()
        yield await self._emit(ToolCalled(session, turn_id, call_id=call_id, name=match["name"], arguments=match["arguments"]))
        outcome = await self._run_logged(match["name"], match["arguments"], ctx, call_id)
        yield await self._emit(self._returned(outcome, ctx))
        spoken = (outcome.say or "Done.") if outcome.ok else str(outcome.result)
        yield await self._emit(TextDelta(session, turn_id, text=spoken))
        call = {"id": call_id, "name": outcome.name, "arguments": outcome.arguments}
        await asyncio.to_thread(self.storage.add_messages, session, turn_id, [
            {"role": "user", "content": text}, {"role": "assistant", "content": "", "tool_calls": [call]},
            {"role": "tool", "tool_call_id": call_id, "name": outcome.name, "content": outcome.for_model()},
            {"role": "assistant", "content": spoken}])
        timings["fast_path"] = 1
        timings[f"tool_{outcome.name}_ms"] = round(outcome.duration_ms, 1)
        timings["total_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        yield await self._emit(TurnFinished(session, turn_id, text=spoken, tool_calls=1, timings=timings))

    async def run_tool(self, name: str, arguments: dict[str, Any], session: str = "cli") -> ToolOutcome:
        """Call one tool directly (``hearth tools run``); logged like a model's call."""
        if not self._started:
            await self.start(load_model=False)
        ctx = ToolContext(session=session, storage=self.storage, bus=self.bus, turn_id="direct")
        await asyncio.to_thread(self.storage.ensure_conversation, session)
        return await self._run_logged(name, arguments, ctx, self.runner.new_call_id())

    async def ask(self, text: str, session: str | None = None, role: str = "main") -> TurnFinished | TurnFailed:
        """Run a turn and return its last event."""
        last: Event | None = None
        async for ev in self.turn(text, session=session, role=role):
            last = ev
        assert isinstance(last, (TurnFinished, TurnFailed))
        return last

    async def turn(self, text: str, session: str | None = None, role: str = "main") -> AsyncIterator[Event]:
        """Answer one message, yielding every event (also sent to the bus and ``on_event``)."""
        session = session or Storage.new_session_id()
        turn_id = uuid.uuid4().hex[:12]
        lock = self._session_locks.setdefault(session, asyncio.Lock())
        async with lock:  # a session's turns run in order
            async for ev in self._turn(text, session, turn_id, role):
                yield ev

    async def _turn(self, text: str, session: str, turn_id: str, role: str) -> AsyncIterator[Event]:
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        text = (text or "").strip()
        try:
            model_name, cfg = self.model_for(role)
        except Exception as err:  # pragma: no cover - roles are validated at load
            yield await self._emit(TurnFailed(session, turn_id, message=str(err), code="config_invalid"))
            return
        if not text:
            yield await self._emit(TurnFailed(session, turn_id, message="The message is empty; say or type something.", code="empty_message"))
            return
        if not self._started:
            await self.start(load_model=False)
        yield await self._emit(TurnStarted(session, turn_id, text=text, model=model_name))
        match = self._match_intent(text)
        if match is not None:
            async for ev in self._fast_path(match, text, session, turn_id, t0, timings):
                yield ev
            return
        try:
            backend = self.backend(role)
            if not backend.loaded:
                tl = time.perf_counter()
                await backend.load()
                timings["load_ms"] = round((time.perf_counter() - tl) * 1000, 1)
            history = await asyncio.to_thread(self.storage.history, session)
            user_msg = {"role": "user", "content": text}
            await asyncio.to_thread(self.storage.add_messages, session, turn_id, [user_msg])
        except HearthError as err:
            yield await self._emit(TurnFailed(session, turn_id, message=str(err), code=err.code))
            return
        except Exception as err:
            log.exception("turn failed before the model ran")
            yield await self._emit(TurnFailed(session, turn_id, message=f"{type(err).__name__}: {err}", code="internal_error"))
            return

        system = cfg.system_prompt or DEFAULT_SYSTEM_PROMPT
        messages: list[dict[str, Any]] = [{"role": "system", "content": system}, *history, user_msg]
        tools = self.tool_schemas()
        by_name = {fn_schema(t)["name"]: t for t in tools}
        ctx = ToolContext(session=session, storage=self.storage, bus=self.bus, turn_id=turn_id)
        reply_parts: list[str] = []
        n_calls = 0
        try:
            for round_no in range(cfg.max_tool_rounds + 1):
                last_round = round_no == cfg.max_tool_rounds
                text_buf: list[str] = []
                calls: list[CallRequest] = []
                async for bev in backend.chat(messages, [] if last_round else tools):
                    if isinstance(bev, Delta):
                        if "first_token_ms" not in timings:
                            timings["first_token_ms"] = round((time.perf_counter() - t0) * 1000, 1)
                        text_buf.append(bev.text)
                        yield await self._emit(TextDelta(session, turn_id, text=bev.text))
                    elif isinstance(bev, CallRequest):
                        if "first_token_ms" not in timings:
                            timings["first_token_ms"] = round((time.perf_counter() - t0) * 1000, 1)
                        calls.append(bev)
                    elif isinstance(bev, Done):
                        for k, v in bev.stats.items():
                            if isinstance(v, (int, float)):
                                timings[f"{k}"] = timings.get(k, 0) + v
                said = "".join(text_buf).strip()
                if not calls:
                    reply_parts.append(said)
                    await asyncio.to_thread(self.storage.add_messages, session, turn_id,
                                            [{"role": "assistant", "content": said}])
                    break
                outcomes: list[ToolOutcome] = []
                call_dicts = []
                for c in calls:
                    n_calls += 1
                    call_id = c.id or self.runner.new_call_id()
                    args = c.arguments
                    if isinstance(args, dict) and "__positional__" in args:
                        args = bind_positional(ParsedCall(c.name, args), by_name.get(c.name)).arguments
                    call_dicts.append({"id": call_id, "name": c.name, "arguments": args})
                    yield await self._emit(ToolCalled(session, turn_id, call_id=call_id, name=c.name,
                                                      arguments=args if isinstance(args, dict) else {"__raw__": args}))
                    outcome = await self._run_logged(c.name, args, ctx, call_id)
                    timings[f"tool_{c.name}_ms"] = round(outcome.duration_ms, 1)
                    outcomes.append(outcome)
                    yield await self._emit(self._returned(outcome, ctx))
                new_msgs = [{"role": "assistant", "content": said, "tool_calls": call_dicts}]
                new_msgs += [{"role": "tool", "tool_call_id": o.call_id, "name": o.name, "content": o.for_model()} for o in outcomes]
                messages += new_msgs
                await asyncio.to_thread(self.storage.add_messages, session, turn_id, new_msgs)
                if cfg.reply == "tool":
                    spoken = " ".join((o.say if o.ok else str(o.result)) or "" for o in outcomes).strip()
                    if spoken or all(o.ok for o in outcomes):
                        spoken = spoken or "Done."
                        reply_parts.append(spoken)
                        yield await self._emit(TextDelta(session, turn_id, text=spoken))
                        await asyncio.to_thread(self.storage.add_messages, session, turn_id,
                                                [{"role": "assistant", "content": spoken}])
                        break
        except HearthError as err:
            yield await self._emit(TurnFailed(session, turn_id, message=str(err), code=err.code))
            return
        except Exception as err:
            log.exception("turn failed")
            yield await self._emit(TurnFailed(session, turn_id, message=f"{type(err).__name__}: {err}", code="internal_error"))
            return
        timings["total_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        final = " ".join(p for p in reply_parts if p).strip()
        yield await self._emit(TurnFinished(session, turn_id, text=final, tool_calls=n_calls, timings=timings))
