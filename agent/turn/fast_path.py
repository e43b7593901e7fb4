"""Tier 1: the templates mapped the message to calls (one per request said); run each and say their
sentences, with no model."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from hearth.events import Event, TextDelta, ToolCalled, TurnFinished
from hearth.storage import Storage
from hearth.tooling.runner import ToolOutcome, ToolRunner
from hearth.tooling.tool import ToolContext
from hearth.turn.clock import TurnClock
from hearth.turn.logged import returned
from hearth.turn.router import IntentMatch

Emit = Callable[[Event], Awaitable[Event]]


async def fast_path(matches: tuple[IntentMatch, ...], text: str, clock: TurnClock, ctx: ToolContext,
                    runner: ToolRunner, storage: Storage, emit: Emit) -> AsyncIterator[Event]:
    """Run the matched calls in order, store the turn, and say each call's sentence."""
    session, turn_id = clock.session, clock.turn_id
    outcomes: list[ToolOutcome] = []
    for m in matches:
        call_id = runner.new_call_id()
        yield await emit(ToolCalled(session, turn_id, call_id=call_id, name=m.name, arguments=m.arguments))
        outcomes.append(await runner.run(m.name, m.arguments, ctx, call_id=call_id, confirmed=m.strict))
    spoken = " ".join((o.say or "Done.") if o.ok else str(o.result) for o in outcomes)
    await _store(storage, clock, text, spoken, outcomes)
    for o in outcomes:
        yield await emit(returned(o, ctx))
        clock.timings[f"tool_{o.name}_ms"] = round(o.duration_ms, 3)
    yield await emit(TextDelta(session, turn_id, text=spoken))
    clock.timings["first_token_ms"] = clock.timings["total_ms"] = clock.ms()
    yield await emit(TurnFinished(session, turn_id, text=spoken, tool_calls=len(outcomes), tier=1,
                                  timings=clock.timings))


async def _store(storage: Storage, clock: TurnClock, text: str, spoken: str, outcomes: list[ToolOutcome]) -> None:
    """The calls' log rows and the turn's messages in one transaction, before anyone hears of it."""
    session, turn_id = clock.session, clock.turn_id
    calls = [{"id": o.call_id, "name": o.name, "arguments": o.arguments,
              **({"undo": {"name": o.undo[0], "arguments": o.undo[1]}} if o.undo else {})} for o in outcomes]
    await storage.call(storage.add_messages, session, turn_id, [
        {"role": "user", "content": text}, {"role": "assistant", "content": "", "tool_calls": calls},
        *({"role": "tool", "tool_call_id": o.call_id, "name": o.name, "content": o.for_model()} for o in outcomes),
        {"role": "assistant", "content": spoken}], outcomes[0])
    for o in outcomes[1:]:
        await storage.call(storage.log_tool_call, session, turn_id, o)
