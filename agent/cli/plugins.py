"""``hearth plugins``: what is loaded, from where, and what each plugin provides."""

from __future__ import annotations

import asyncio
import copy
import json

import typer
from rich.markup import escape

from hearth.agent import Agent
from hearth.cli.common import Column, load_plugins, render_table
from hearth.cli.extras import install_command
from hearth.errors import HearthError
from hearth.pluginmanager import PluginInfo


async def _started_plugins() -> list[PluginInfo]:
    """The plugins as an agent starts them (no model loaded), so a failing ``startup`` and the tools
    that arrive at start (MCP servers) show too."""
    agent = Agent()
    try:
        await agent.start(load_model=False)
        return [copy.deepcopy(i) for i in agent.plugins.info.values()]
    finally:
        await agent.stop()


def _status(info: PluginInfo) -> str:
    """``ok``, its error, or for an optional plugin whose extra is not installed, how to install it."""
    command = install_command(info)
    if command is not None:
        return f"[dim]optional, not installed: {escape(command)} ({escape(info.error or '')})[/]"
    return f"[red]error: {escape(info.error)}[/]" if info.error else "[green]ok[/]"


def plugins(as_json: bool = typer.Option(False, "--json")) -> None:
    """List plugins: source, version, hooks, tools, backends and errors (loading or starting)."""
    try:
        infos = asyncio.run(_started_plugins())
    except HearthError:  # a models.toml that does not load: still list what loads
        infos = list(load_plugins(report=False).info.values())
    if as_json:
        print(json.dumps([i.to_dict() for i in infos], indent=2))
        return
    rows = []
    for i in infos:
        provides = ", ".join(i.tools + [f"backend:{b}" for b in i.backends] + [f"stt:{n}" for n in i.stt]
                             + [f"tts:{n}" for n in i.tts])
        status = _status(i)
        if i.warnings and not i.error:
            status = "; ".join(f"[yellow]warning: {escape(w)}[/]" for w in i.warnings)
        rows.append([escape(i.name), escape(i.version or ""), escape(i.source), ", ".join(i.hooks), escape(provides),
                     status])
    render_table("Plugins", [Column("plugin"), Column("version"), Column("source", wrap=True),
                             Column("hooks", wrap=True), Column("provides", wrap=True), Column("status", wrap=True)],
                 rows)


def register(app: typer.Typer) -> None:
    """Add ``hearth plugins`` to the ``hearth`` app."""
    app.command()(plugins)
