"""A tool call run and written to the tool-call log before anyone hears of it, and the event that
tells of its outcome. The fast path, the model rounds and ``Agent.run_tool`` share these."""

from __future__ import annotations

from typing import Any

from hearth.events import ToolReturned
from hearth.storage import Storage
from hearth.tooling.runner import ToolOutcome, ToolRunner
from hearth.tooling.tool import ToolContext


async def run_logged(runner: ToolRunner, storage: Storage, name: str, arguments: Any, ctx: ToolContext,
                     call_id: str, *, confirmed: bool = False) -> ToolOutcome:
    """Run one call and log it (the log row is written before the outcome is told); ``confirmed``:
    see :meth:`ToolRunner.run`."""
    outcome = await runner.run(name, arguments, ctx, call_id=call_id, confirmed=confirmed)
    await storage.call(storage.log_tool_call, ctx.session, ctx.turn_id, outcome)
    return outcome


def returned(outcome: ToolOutcome, ctx: ToolContext) -> ToolReturned:
    """The ``ToolReturned`` event for an outcome."""
    return ToolReturned(ctx.session, ctx.turn_id, call_id=outcome.call_id, name=outcome.name, ok=outcome.ok,
                        result=outcome.result, error_code=outcome.error_code,
                        duration_ms=round(outcome.duration_ms, 1),
                        undo={"name": outcome.undo[0], "arguments": outcome.undo[1]} if outcome.undo else None)
