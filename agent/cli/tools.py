"""``hearth tools``: list the tools, or run one directly."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import typer
from rich.markup import escape

from hearth.agent import Agent
from hearth.cli.common import Column, err, fail, load_plugins, render_table
from hearth.config import ModelConfig, ModelsFile, Roles, load_models
from hearth.errors import HearthError
from hearth.tooling.runner import ToolOutcome
from hearth.tooling.tool import Tool

tools_app = typer.Typer(help="List tools, or run one directly.", invoke_without_command=True)


def _agent() -> Agent:
    """An agent for listing and running tools. It needs no model: a placeholder role keeps models.toml's
    models out of the way; but it keeps models.toml's plugin tables, so the plugins are set up as in a chat."""
    try:
        path, in_force = load_models()
        tables = in_force.plugin_tables()
    except HearthError:
        path, tables = None, {}  # a models.toml that does not load: the tools that need none still list and run
    models = ModelsFile(roles=Roles(main="none"), models={"none": ModelConfig(backend="none", model="none")},
                        **tables)
    try:
        return Agent(models=models, models_path=path, plugins=load_plugins())
    except HearthError as e:  # a plugin's table that does not validate: the file, the table and the key
        fail(str(e))


async def _started(agent: Agent) -> None:
    """Start the plugins (no model), so tools that arrive at start (MCP servers, Home Assistant) are there."""
    await agent.start(load_model=False)


def _listed() -> list[Tool]:
    agent = _agent()

    async def main() -> list[Tool]:
        try:
            await _started(agent)
            return list(agent.tools)
        finally:
            await agent.stop()

    return asyncio.run(main())


@tools_app.callback()
def tools_list(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print the schemas as JSON.")) -> None:
    """List tools with their schemas."""
    if ctx.invoked_subcommand is not None:
        return
    tools = _listed()
    if as_json:
        print(json.dumps([{**t.schema()["function"], "plugin": t.plugin, "server": t.server, "available": t.available,
                           "examples": t.examples} for t in tools], indent=2))
        return
    rows = []
    for t in tools:
        props = t.parameters["properties"]
        req = set(t.parameters.get("required", []))
        args = ", ".join(f"{k}: {v.get('type', 'any')}" + ("" if k in req else " (optional)") for k, v in props.items())
        where = (t.plugin or "") + (f" ({t.server})" if t.server else "")
        state = "" if t.available else f" [unavailable: {t.unavailable_reason}]"
        rows.append([f"[bold]{escape(t.name)}[/]", *(escape(x) for x in (where, args or "-", t.description + state))])
    render_table("Tools", [Column("tool"), Column("plugin"), Column("arguments", wrap=True),
                           Column("description", wrap=True)], rows)


def coerce(value: str, schema: dict[str, Any]) -> Any:
    """A ``--arg`` value as the argument's type: strings as given, anything else read as JSON if it parses."""
    if schema.get("type") == "string":
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


@tools_app.command("run")
def tools_run(
    name: str = typer.Argument(..., help="Tool name (hearth tools lists them)."),
    arg: list[str] = typer.Option([], "--arg", "-a", help="An argument as key=value (repeat)."),
    args_json: str | None = typer.Option(None, "--json-args", help="All arguments as one JSON object."),
    session: str = typer.Option("cli", "--session", "-s"),
) -> None:
    """Call a tool directly and print its JSON result (exit 1 on a tool error)."""
    arguments: dict[str, Any] = {}
    if args_json:
        try:
            arguments = json.loads(args_json)
        except ValueError as e:
            fail(f"--json-args is not valid JSON: {e}")
    pairs = []
    for a in arg:
        if "=" not in a:
            fail(f"--arg {a!r} must look like key=value")
        k, v = a.split("=", 1)
        pairs.append((k.strip(), v))
    agent = _agent()

    async def main() -> ToolOutcome:
        try:
            await _started(agent)
            tool = agent.tools.get(name)
            props = tool.parameters["properties"] if tool else {}
            for k, v in pairs:
                arguments[k] = coerce(v, props.get(k, {}))
            return await agent.run_tool(name, arguments, session=session)
        finally:
            await agent.stop()

    outcome = asyncio.run(main())
    if outcome.ok:
        print(json.dumps(outcome.result, ensure_ascii=False, indent=2))
        if outcome.say:
            err.print(f"[dim]{escape(outcome.say)}[/]", highlight=False)
        raise typer.Exit(0)
    print(json.dumps({"error": outcome.error_code, "message": outcome.result}, ensure_ascii=False, indent=2))
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``hearth tools`` and ``hearth tools run`` to the ``hearth`` app."""
    app.add_typer(tools_app, name="tools")
