"""``hearth tools``: list the tools, or run one directly."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Optional

import typer
from rich.markup import escape

from ..config import ModelConfig, ModelsFile, Roles
from ..toolrunner import ToolOutcome
from ..turn import Agent
from .common import Column, err, fail, load_plugins, render_table

tools_app = typer.Typer(help="List tools, or run one directly.", invoke_without_command=True)


@tools_app.callback()
def tools_list(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print the schemas as JSON.")) -> None:
    """List tools with their schemas."""
    if ctx.invoked_subcommand is not None:
        return
    pm = load_plugins()
    if as_json:
        print(json.dumps([{**t.schema()["function"], "plugin": t.plugin, "examples": t.examples} for t in pm.tools],
                         indent=2))
        return
    rows = []
    for t in pm.tools:
        props = t.parameters["properties"]
        req = set(t.parameters["required"])
        args = ", ".join(f"{k}: {v.get('type', 'any')}" + ("" if k in req else " (optional)") for k, v in props.items())
        rows.append([f"[bold]{escape(t.name)}[/]", *(escape(x) for x in (t.plugin or "", args or "-", t.description))])
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
    name: str = typer.Argument(..., help="Tool name, e.g. get_shopping_list."),
    arg: list[str] = typer.Option([], "--arg", "-a", help="An argument as key=value (repeat)."),
    args_json: Optional[str] = typer.Option(None, "--json-args", help="All arguments as one JSON object."),
    session: str = typer.Option("cli", "--session", "-s"),
) -> None:
    """Call a tool directly and print its JSON result (exit 1 on a tool error)."""
    pm = load_plugins()
    tool = pm.tools.get(name)
    props = tool.parameters["properties"] if tool else {}
    arguments: dict[str, Any] = {}
    if args_json:
        try:
            arguments = json.loads(args_json)
        except ValueError as e:
            fail(f"--json-args is not valid JSON: {e}")
    for a in arg:
        if "=" not in a:
            fail(f"--arg {a!r} must look like key=value")
        k, v = a.split("=", 1)
        arguments[k.strip()] = coerce(v, props.get(k.strip(), {}))
    # running a tool needs no model: a placeholder role keeps models.toml out of the way
    placeholder = ModelsFile(roles=Roles(main="none"), models={"none": ModelConfig(backend="none", model="none")})
    agent = Agent(models=placeholder, plugins=pm)

    async def main() -> ToolOutcome:
        try:
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
