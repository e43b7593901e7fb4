"""``hearth chat``: talk to Hearth in text, once or interactively."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import typer
from rich.markup import escape

from hearth.agent import Agent
from hearth.cli.common import build_agent, err, fail, models_option, out, progress_printer
from hearth.errors import HearthError
from hearth.events import (
    Announcement,
    CountdownFinished,
    Event,
    Routed,
    TextDelta,
    ToolCalled,
    ToolReturned,
    TurnFailed,
    TurnFinished,
)
from hearth.storage import Storage


async def start_agent(agent: Agent, role: str | None, quiet: bool, prewarm: bool) -> None:
    """Start the agent. One-shot turns load only what their tier needs (tier 1 needs no model);
    an interactive session pre-warms the role models in the background while you type."""
    if prewarm:
        await agent.start(prewarm=True)
        return
    if role is None:
        await agent.start(load_model=False)
        return
    if quiet:
        await agent.start(role=role)
        return
    with err.status("[cyan]starting[/]") as status:
        await agent.start(role=role, progress=progress_printer(status))


def announce(event: Event) -> None:
    """Interactive chat: say events that arrive between turns (a countdown that rang, an announcement)."""
    if isinstance(event, CountdownFinished):
        what = f"{event.name.capitalize()} {event.kind}" if event.name else event.kind.capitalize()
        err.print(f"\n[bold yellow]⏰ {escape(what)} finished.[/]", highlight=False)
    elif isinstance(event, Announcement):
        err.print(f"\n[bold yellow]📣 {escape(event.text)}[/]", highlight=False)


def show(ev: Event, streamed: bool) -> bool:
    """Print one event of a turn for a person (the reply on stdout, the rest dimmed on stderr);
    whether the reply has been streamed so far."""
    if isinstance(ev, TextDelta):
        out.print(ev.text, end="", highlight=False, markup=False)
        return True
    if isinstance(ev, Routed):
        err.print(f"[dim]tier {ev.tier}: {escape(ev.reason)}[/]", highlight=False)
    elif isinstance(ev, ToolCalled):
        args = ", ".join(f"{k}={v!r}" for k, v in ev.arguments.items())
        err.print(f"[dim]→ {escape(ev.name)}({escape(args)})[/]", highlight=False)
    elif isinstance(ev, ToolReturned):
        mark = "[green]ok[/]" if ev.ok else f"[red]{ev.error_code}[/]"
        err.print(f"[dim]← {ev.name} {mark}[/]", highlight=False)
    elif isinstance(ev, TurnFinished):
        if streamed:
            out.print()
        elif ev.text:
            out.print(ev.text, highlight=False, markup=False)
    elif isinstance(ev, TurnFailed):
        err.print(f"[bold red]error ({ev.code}):[/] {escape(ev.message)}", highlight=False)
    return streamed


async def one_turn(agent: Agent, text: str, sid: str, role: str | None, tier: int | None, as_json: bool) -> bool:
    """Run one turn and print it (as JSON lines or for a person); whether it did not fail."""
    ok = True
    streamed = False
    async for ev in agent.turn(text, session=sid, role=role, tier=tier):
        ok = ok and not isinstance(ev, TurnFailed)
        if as_json:
            print(json.dumps(ev.to_dict(), ensure_ascii=False, default=str), flush=True)
        else:
            streamed = show(ev, streamed)
    return ok


async def interactive(agent: Agent, sid: str, turn: Callable[[str], Awaitable[bool]]) -> int:
    """Read lines until ``exit`` or Ctrl-D, answering each; events between turns are announced."""
    err.print(f"[dim]session {sid} - type 'exit' or press Ctrl-D to leave[/]")
    agent.bus.subscribe(announce)
    while True:
        try:
            line = await asyncio.to_thread(input, "you> ")
        except EOFError:
            return 0
        if line.strip().lower() in ("exit", "quit", "/exit", "/quit"):
            return 0
        if line.strip():
            await turn(line)


def chat(
    message: str | None = typer.Argument(None, help="Answer this once and exit; without it, chat interactively."),
    session: str | None = typer.Option(None, "--session", "-s", help="Continue this conversation."),
    as_json: bool = typer.Option(False, "--json", help="Print every event as a JSON line."),
    role: str | None = typer.Option(None, help="Which role's model answers after tier 1 (main or router; default: "
                                       "the router decides)."),
    tier: int | None = typer.Option(None, "--tier", min=1, max=3, help="Force a tier: 1 templates only, 2 router "
                                       "model, 3 main model."),
    room: str | None = typer.Option(None, "--room", help="The room you are in, as your home names it "
                                     "(\"Kitchen\"): \"turn off the lights\" means this room's."),
    models: Path | None = models_option(),
) -> None:
    """Talk to Hearth in text. Each turn is routed: tier 1 (templates, no model), 2 (router model), 3 (main model)."""
    if message is not None and not message.strip():
        fail("the message is empty; say what you want, e.g. hearth chat \"add bread to my shopping list\"")
    agent = build_agent(models)
    sid = session or Storage.new_session_id()
    agent.set_room(sid, room)

    async def turn(text: str) -> bool:
        return await one_turn(agent, text, sid, role, tier, as_json)

    async def main() -> int:
        try:
            await start_agent(agent, role, quiet=as_json, prewarm=message is None)
        except HearthError as e:
            fail(str(e))
        try:
            if message is not None:
                return 0 if await turn(message) else 1
            return await interactive(agent, sid, turn)
        finally:
            await agent.stop()

    try:
        code = asyncio.run(main())
    except KeyboardInterrupt:
        code = 130
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add ``hearth chat`` to the ``hearth`` app."""
    app.command()(chat)
