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
                    runner: ToolRunner, storage: Storage, emit: Emit, *, say: str | None = None,
                    quiet: int = 0) -> AsyncIterator[Event]:
    """Run the matched calls in order, store the turn, and say each call's sentence (or ``say``, for a
    turn with no call: a question back). The first ``quiet`` calls are steps not worth saying (the undo
    before a corrected call); when one fails, the calls after it do not run."""
    session, turn_id = clock.session, clock.turn_id
    outcomes: list[ToolOutcome] = []
    for i, m in enumerate(matches):
        call_id = runner.new_call_id()
        yield await emit(ToolCalled(session, turn_id, call_id=call_id, name=m.name, arguments=m.arguments))
        outcomes.append(await runner.run(m.name, m.arguments, ctx, call_id=call_id, confirmed=m.strict))
        if i < quiet and not outcomes[-1].ok:
            break
    told = [o for i, o in enumerate(outcomes) if i >= quiet or not o.ok]
    spoken = spoken_together(told) if told else (say or "Done.")
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
    if not outcomes:
        await storage.call(storage.add_messages, session, turn_id, [
            {"role": "user", "content": text}, {"role": "assistant", "content": spoken}])
        return
    calls = [{"id": o.call_id, "name": o.name, "arguments": o.arguments,
              **({"undo": {"name": o.undo[0], "arguments": o.undo[1]}} if o.undo else {})} for o in outcomes]
    await storage.call(storage.add_messages, session, turn_id, [
        {"role": "user", "content": text}, {"role": "assistant", "content": "", "tool_calls": calls},
        *({"role": "tool", "tool_call_id": o.call_id, "name": o.name, "content": o.for_model()} for o in outcomes),
        {"role": "assistant", "content": spoken}], *outcomes)


def spoken_together(outcomes: list[ToolOutcome]) -> str:
    """The calls' sentences as one reply; calls of one tool in a row say theirs once, with what differs
    listed ("Added milk to your list." + "Added eggs to your list." -> "Added milk and eggs to your list.")."""
    said = [((o.say or "Done.") if o.ok else str(o.result), o.name if o.ok else None) for o in outcomes]
    out: list[str] = []
    i = 0
    while i < len(said):
        j = i + 1
        while j < len(said) and said[j][1] is not None and said[j][1] == said[i][1]:
            j += 1
        out.append(_merged([s for s, _ in said[i:j]]))
        i = j
    return " ".join(out)


def _merged(sentences: list[str]) -> str:
    if len(set(sentences)) < 2:
        return sentences[0]
    from hearth.understanding import words
    split = [s.split() for s in sentences]
    head = 0
    while all(len(w) > head + 1 and w[head] == split[0][head] for w in split):
        head += 1
    tail = 0
    while all(len(w) > head + tail + 1 and w[-1 - tail] == split[0][-1 - tail] for w in split):
        tail += 1
    if not head and not tail:
        return " ".join(sentences)
    middles = [" ".join(w[head:len(w) - tail]) for w in split]
    if tail == 0:  # the sentence ends in what differs: keep its full stop once
        middles = [m.rstrip(".") for m in middles]
    listed = ", ".join(middles[:-1]) + f" {words().and_word} " + middles[-1]
    return " ".join([*split[0][:head], listed, *split[0][len(split[0]) - tail:]]) + ("" if tail else ".")
