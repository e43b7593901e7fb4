"""The ``hearth`` command line."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .config import load_models
from .errors import HearthError
from .events import TextDelta, ToolCalled, ToolReturned, TurnFailed, TurnFinished

app = typer.Typer(help="Hearth: a local voice and tool agent.", no_args_is_help=True, add_completion=False)
tools_app = typer.Typer(help="List tools, or run one directly.", invoke_without_command=True)
app.add_typer(tools_app, name="tools")

out = Console()
err = Console(stderr=True, soft_wrap=True)

ModelsOpt = typer.Option(None, "--models", help="models.toml to use (default: $HEARTH_MODELS, $HEARTH_HOME/models.toml, the shipped one)")


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def _report_plugin_errors(errors: dict[str, str]) -> None:
    for name, error in errors.items():
        err.print(f"[yellow]plugin {escape(name)} skipped:[/] {escape(error)}", highlight=False)


def _plugins():
    """Loaded plugins, with load errors reported on stderr."""
    from .pluginmanager import PluginManager
    pm = PluginManager()
    pm.load()
    _report_plugin_errors(pm.errors)
    return pm


def _agent(models: Optional[Path]):
    from .turn import Agent
    try:
        agent = Agent(models=models)
    except HearthError as e:
        _fail(str(e))
    _report_plugin_errors(agent.plugins.errors)
    return agent


def _progress_printer(status):
    def progress(what: str, fraction: float | None) -> None:
        status.update(f"[cyan]{what}[/]" + (f" {fraction:.0%}" if fraction is not None else ""))
    return progress


async def _load(agent, role: str, quiet: bool) -> None:
    if quiet:
        await agent.start(role=role)
        return
    with err.status("[cyan]starting[/]") as status:
        await agent.start(role=role, progress=_progress_printer(status))


# ---- chat -------------------------------------------------------------------------------------------


@app.command()
def chat(
    message: Optional[str] = typer.Argument(None, help="Answer this once and exit; without it, chat interactively."),
    session: Optional[str] = typer.Option(None, "--session", "-s", help="Continue this conversation."),
    as_json: bool = typer.Option(False, "--json", help="Print every event as a JSON line."),
    role: str = typer.Option("main", help="Which role's model answers (see [roles] in models.toml)."),
    models: Optional[Path] = ModelsOpt,
) -> None:
    """Talk to Hearth in text."""
    if message is not None and not message.strip():
        _fail("the message is empty; say what you want, e.g. hearth chat \"add bread to my shopping list\"")
    agent = _agent(models)
    from .storage import Storage
    sid = session or Storage.new_session_id()

    async def one(text: str) -> bool:
        ok = True
        streamed = False
        async for ev in agent.turn(text, session=sid, role=role):
            if as_json:
                print(json.dumps(ev.to_dict(), ensure_ascii=False, default=str), flush=True)
                ok = ok and not isinstance(ev, TurnFailed)
                continue
            if isinstance(ev, TextDelta):
                out.print(ev.text, end="", highlight=False, markup=False)
                streamed = True
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
                ok = False
        return ok

    async def main() -> int:
        try:
            await _load(agent, role, quiet=as_json)
        except HearthError as e:
            _fail(str(e))
        try:
            if message is not None:
                return 0 if await one(message) else 1
            err.print(f"[dim]session {sid} - type 'exit' or press Ctrl-D to leave[/]")
            while True:
                try:
                    line = await asyncio.to_thread(input, "you> ")
                except EOFError:
                    return 0
                if line.strip().lower() in ("exit", "quit", "/exit", "/quit"):
                    return 0
                if not line.strip():
                    continue
                await one(line)
        finally:
            await agent.stop()

    try:
        code = asyncio.run(main())
    except KeyboardInterrupt:
        code = 130
    raise typer.Exit(code)


# ---- tools ------------------------------------------------------------------------------------------


@tools_app.callback()
def tools_list(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print the schemas as JSON.")) -> None:
    """List tools with their schemas."""
    if ctx.invoked_subcommand is not None:
        return
    pm = _plugins()
    if as_json:
        print(json.dumps([{**t.schema()["function"], "plugin": t.plugin, "examples": t.examples} for t in pm.tools], indent=2))
        return
    table = Table(title="Tools")
    table.add_column("tool", style="bold")
    table.add_column("plugin")
    table.add_column("arguments")
    table.add_column("description")
    for t in pm.tools:
        props = t.parameters["properties"]
        req = set(t.parameters["required"])
        args = ", ".join(f"{k}: {v.get('type', 'any')}" + ("" if k in req else " (optional)") for k, v in props.items())
        table.add_row(*(escape(x) for x in (t.name, t.plugin or "", args or "-", t.description)))
    out.print(table)


def _coerce(value: str, schema: dict[str, Any]) -> Any:
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
    from .turn import Agent
    from .config import ModelsFile, Roles, ModelConfig
    pm = _plugins()
    tool = pm.tools.get(name)
    props = tool.parameters["properties"] if tool else {}
    arguments: dict[str, Any] = {}
    if args_json:
        try:
            arguments = json.loads(args_json)
        except ValueError as e:
            _fail(f"--json-args is not valid JSON: {e}")
    for a in arg:
        if "=" not in a:
            _fail(f"--arg {a!r} must look like key=value")
        k, v = a.split("=", 1)
        arguments[k.strip()] = _coerce(v, props.get(k.strip(), {}))
    # running a tool needs no model: a placeholder role keeps models.toml out of the way
    placeholder = ModelsFile(roles=Roles(main="none"), models={"none": ModelConfig(backend="none", model="none")})
    agent = Agent(models=placeholder, plugins=pm)

    async def main():
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


# ---- plugins and models -----------------------------------------------------------------------------


@app.command()
def plugins(as_json: bool = typer.Option(False, "--json")) -> None:
    """List plugins: source, version, hooks, tools, backends and load errors."""
    from .pluginmanager import PluginManager
    pm = PluginManager()
    pm.load()
    if as_json:
        print(json.dumps([i.to_dict() for i in pm.info.values()], indent=2))
        return
    table = Table(title="Plugins")
    for col in ("plugin", "version", "source", "hooks", "provides", "status"):
        table.add_column(col)
    for i in pm.info.values():
        provides = ", ".join(i.tools + [f"backend:{b}" for b in i.backends])
        status = f"[red]error: {escape(i.error)}[/]" if i.error else "[green]ok[/]"
        table.add_row(escape(i.name), escape(i.version or ""), escape(i.source), ", ".join(i.hooks), escape(provides), status)
    out.print(table)


@app.command()
def models(
    as_json: bool = typer.Option(False, "--json"),
    models_path: Optional[Path] = typer.Option(None, "--models", help="models.toml to show"),
) -> None:
    """Show the models in models.toml with their locked settings."""
    try:
        path, mf = load_models(models_path)
    except HearthError as e:
        _fail(str(e))
    roles = {v: k for k, v in mf.roles.model_dump().items() if v}
    if as_json:
        print(json.dumps({"file": str(path), "roles": mf.roles.model_dump(),
                          "models": {n: m.model_dump() for n, m in mf.models.items()}}, indent=2))
        return
    table = Table(title=f"Models ({path})")
    for col in ("model", "role", "backend", "num_gpu", "n_ctx", "kv_cache", "flash_attn", "keep_alive", "tools", "reply", "reference"):
        table.add_column(col)
    for n, m in mf.models.items():
        table.add_row(*(escape(str(x)) for x in (n, roles.get(n, ""), m.backend, m.num_gpu, m.n_ctx, m.kv_cache,
                                                  m.flash_attn, m.keep_alive, m.tool_calling, m.reply, m.model)))
    out.print(table)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # plugin load problems are printed by the commands themselves
    logging.getLogger("hearth.pluginmanager").setLevel(logging.ERROR)
    app()


if __name__ == "__main__":
    main()
