"""Run one tool call: validate, ask ``before_tool_call``, run under a timeout, and turn every
failure into a :class:`ToolOutcome` with a stable code."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from hearth.daemon import start_daemon
from hearth.errors import HearthError, PluginError, ToolBlocked, ToolError
from hearth.tooling.registry import ToolRegistry
from hearth.tooling.tool import Tool, ToolContext, ToolDefinitionError, ToolResult
from hearth.turn.text import clean_arguments

log = logging.getLogger(__name__)

# Tool, ToolContext, ToolResult and ToolDefinitionError live in hearth.tooling.tool and ToolRegistry in
# hearth.tooling.registry; they are named here too for the modules that still import them from here
__all__ = ["Tool", "ToolContext", "ToolDefinitionError", "ToolOutcome", "ToolRegistry", "ToolResult", "ToolRunner"]


@dataclass
class ToolOutcome:
    """What running one call produced, success or failure."""

    call_id: str
    name: str
    arguments: dict[str, Any]
    ok: bool
    result: Any = None
    say: str | None = None
    error_code: str | None = None
    duration_ms: float = 0.0
    # the call that reverses this one's write (``ToolResult.undo``), for "undo" and corrections
    undo: tuple[str, dict[str, Any]] | None = None
    # true when the call's record is already stored, committed with the tool's effect (``ctx.transaction()``);
    # the storage then does not log it a second time
    recorded: bool = False

    def for_model(self) -> str:
        """The message content the model reads back."""
        if self.ok:
            return json.dumps(self.result, ensure_ascii=False, default=str)
        return json.dumps({"error": self.error_code, "message": self.result}, ensure_ascii=False)


class ToolThreads:
    """Where synchronous tools run: a thread of their own each, at most ``limit`` at once.

    Not the event loop's default executor, which the storage and the models share: a tool that
    hangs must not starve them. A call that times out is abandoned: its slot is freed at once and
    its thread, a daemon, can neither hold up new calls nor keep the process from exiting."""

    def __init__(self, limit: int = 16) -> None:
        self.limit = limit
        self._slots: asyncio.Semaphore | None = None
        self.abandoned = 0  # calls given up on whose threads may still run

    async def run(self, name: str, fn: Callable[..., Any], kwargs: dict[str, Any], timeout: float) -> Any:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limit)
        slots = self._slots
        started: list[asyncio.Future[Any]] = []

        async def call() -> Any:
            async with slots:
                started.append(start_daemon(functools.partial(fn, **kwargs), f"tool {name}"))
                return await asyncio.shield(started[0])

        try:
            return await asyncio.wait_for(call(), timeout)
        except TimeoutError:
            if started and not started[0].done():
                self.abandoned += 1
            raise


def confirm_question(tool: Tool) -> str:
    """The question before a destructive call, from the tool's own summary: "Should I remove every
    item from the shopping list?"."""
    summary = (tool.description or tool.name.replace("_", " ")).strip().rstrip(".")
    return f"Should I {summary[:1].lower()}{summary[1:]}?"


def confirm_call_question(tool: Tool, arguments: dict[str, Any]) -> str:
    """The question before a call that was not plainly asked for, naming what it passes: "Should I add
    an item to the shopping list: nappies?"."""
    said = ", ".join(str(v) for v in arguments.values() if isinstance(v, (str, int, float)) and str(v).strip())
    question = confirm_question(tool).rstrip("?.")
    for mark in (";", " (", ", ", ". "):  # its first clause: "Should I check off one item on the shopping list"
        question = question.split(mark)[0]
    return f"{question}: {said}?" if said else f"{question}?"


@dataclass
class ToolRunner:
    """Validate, run under a timeout, and turn every failure into a ToolOutcome with a code."""

    registry: ToolRegistry
    # awaited before each valid call (the agent's is PluginManager.check_call, every before_tool_call hook);
    # raises ToolBlocked to refuse it, PluginError when a hook failed
    before_call: Callable[[dict[str, Any], ToolContext], Awaitable[None]] | None = None
    timeout: float | None = None  # overrides each tool's own, when set
    # (request, tool, arguments) -> why the call does not fit the request, or None: a model's call that
    # contradicts what was said ("remove the juice boxes" read as an add, an amount never said) is refused
    agreement: Callable[[str, Tool, dict[str, Any]], str | None] | None = None
    # which text argument of a model's call says nothing ("that", "um", "the"): asked for, never stored
    vacant: Callable[[dict[str, Any]], str | None] | None = None
    # (request, tool) -> whether a model's write says none of the tool's words: asked first, run on a yes
    unsupported: Callable[[str, Tool], bool] | None = None
    threads: ToolThreads = field(default_factory=lambda: ToolThreads())
    _ids: int = field(default=0, init=False)

    def new_call_id(self) -> str:
        self._ids += 1
        return f"call_{self._ids}"

    def _unsaid(self, said: str, tool: Tool, args: dict[str, Any]) -> tuple[str, str] | None:
        """Why a model's call does not carry out what was said, and its code: a thing argument that says
        nothing ("that", "um": asked for, never stored), or a call that contradicts the request."""
        key = self.vacant(args) if self.vacant is not None else None
        if key is not None:
            return f"Which {key.replace('_', ' ')} do you mean?", f"{key}_missing"
        problem = self.agreement(said, tool, args) if self.agreement is not None else None
        if problem is not None:
            return problem, "not_what_was_said"
        if self.unsupported is not None and self.unsupported(said, tool):
            return confirm_call_question(tool, args), "confirm_first"
        return None

    async def run(self, name: str, arguments: Any, ctx: ToolContext, call_id: str | None = None, *,
                  confirmed: bool = False) -> ToolOutcome:
        """Run one call. A destructive tool runs only when ``confirmed`` (a strict tier-1 match, a yes to
        the question, an explicit call through the tools API); otherwise the outcome is the question,
        with the code ``confirm_first``, and nothing changes."""
        call_id = call_id or self.new_call_id()
        # every string argument loses its control and invisible formatting characters before anything
        # sees it: the tool stores "milk", never "milk\x00" or a right-to-left override
        arguments = clean_arguments(arguments)
        args = arguments if isinstance(arguments, dict) else {}
        start = time.perf_counter()

        def done(ok: bool, result: Any, code: str | None = None, say: str | None = None) -> ToolOutcome:
            return ToolOutcome(call_id, name, args, ok, result, say, code, (time.perf_counter() - start) * 1000)

        tool = self.registry.get(name)
        if tool is None:
            known = ", ".join(self.registry.names()) or "none"
            return done(False, f"There is no tool called {name!r}. Known tools: {known}.", "unknown_tool")
        try:
            kwargs = tool.validate(arguments)
            if tool.destructive and not confirmed:
                return done(False, confirm_question(tool), "confirm_first")
            if not confirmed and ctx.said:
                problem = self._unsaid(ctx.said, tool, args)
                if problem is not None:
                    return done(False, *problem)
            if self.before_call is not None:
                await self.before_call({"id": call_id, "name": name, "arguments": args}, ctx)
        except ToolBlocked as err:  # before_tool_call refused the call on purpose
            return done(False, f"The call to {name} was blocked: {err}", err.code)
        except HearthError as err:  # invalid arguments; a before_tool_call hook that failed (plugin_error)
            return done(False, str(err), err.code)
        except Exception as err:  # a before_call other than check_call (which raises only the two above)
            return done(False, f"The check before {name} failed: {type(err).__name__}: {err}", PluginError.code)
        if tool.context_param:  # each call its own context, so its transaction is its own
            ctx = kwargs[tool.context_param] = dataclasses.replace(ctx, _transaction=None)
        outcome = await self._call(tool, kwargs, done)
        tx = ctx._transaction if tool.context_param else None
        if tx is not None:  # the tool's effect and the record of its call: one transaction, or no effect
            storage = ctx.storage
            if outcome.ok:
                try:
                    await storage.call_now(storage.commit_call, tx, ctx.session, ctx.turn_id, outcome)
                except Exception as err:
                    log.exception("the effect of %s could not be stored", name)
                    return done(False, f"{name} could not store its change: {type(err).__name__}", "storage_failed")
            else:
                await storage.call_now(tx.close)  # rolls the effect back
        return outcome

    async def _call(self, tool: Tool, kwargs: dict[str, Any], done: Callable[..., ToolOutcome]) -> ToolOutcome:
        """Run the validated call under its timeout; every failure becomes a coded outcome."""
        name = tool.name
        timeout = self.timeout or tool.timeout
        try:
            if tool.is_async:
                value = await asyncio.wait_for(tool.fn(**kwargs), timeout)
            else:
                value = await self.threads.run(name, tool.fn, kwargs, timeout)
        except TimeoutError:
            log.warning("tool %s did not answer within %g s: abandoned", name, timeout)
            return done(False, f"{name} did not answer within {timeout:g} s, so Hearth stopped waiting for it",
                        "tool_timeout")
        except ToolError as err:
            return done(False, str(err), err.code)
        except Exception as err:
            return done(False, f"{name} failed: {type(err).__name__}: {err}", "tool_failed")
        if isinstance(value, ToolResult):
            outcome = done(True, _jsonable(value.data), say=value.say)
            outcome.undo = (value.undo[0], dict(value.undo[1])) if value.undo else None
            return outcome
        return done(True, _jsonable(value))


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except TypeError:
        return json.loads(json.dumps(value, default=str))
