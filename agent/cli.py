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
from .events import Routed, TextDelta, ToolCalled, ToolReturned, TurnFailed, TurnFinished

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


async def _load(agent, role: str | None, quiet: bool, prewarm: bool) -> None:
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
        await agent.start(role=role, progress=_progress_printer(status))


# ---- chat -------------------------------------------------------------------------------------------


@app.command()
def chat(
    message: Optional[str] = typer.Argument(None, help="Answer this once and exit; without it, chat interactively."),
    session: Optional[str] = typer.Option(None, "--session", "-s", help="Continue this conversation."),
    as_json: bool = typer.Option(False, "--json", help="Print every event as a JSON line."),
    role: Optional[str] = typer.Option(None, help="Which role's model answers after tier 1 (main or router; default: the router decides)."),
    tier: Optional[int] = typer.Option(None, "--tier", min=1, max=3, help="Force a tier: 1 templates only, 2 router model, 3 main model."),
    models: Optional[Path] = ModelsOpt,
) -> None:
    """Talk to Hearth in text. Each turn is routed: tier 1 (templates, no model), 2 (router model), 3 (main model)."""
    if message is not None and not message.strip():
        _fail("the message is empty; say what you want, e.g. hearth chat \"add bread to my shopping list\"")
    agent = _agent(models)
    from .storage import Storage
    sid = session or Storage.new_session_id()

    async def one(text: str) -> bool:
        ok = True
        streamed = False
        async for ev in agent.turn(text, session=sid, role=role, tier=tier):
            if as_json:
                print(json.dumps(ev.to_dict(), ensure_ascii=False, default=str), flush=True)
                ok = ok and not isinstance(ev, TurnFailed)
                continue
            if isinstance(ev, TextDelta):
                out.print(ev.text, end="", highlight=False, markup=False)
                streamed = True
            elif isinstance(ev, Routed):
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
                ok = False
        return ok

    async def main() -> int:
        try:
            await _load(agent, role, quiet=as_json, prewarm=message is None)
        except HearthError as e:
            _fail(str(e))
        try:
            if message is not None:
                return 0 if await one(message) else 1
            err.print(f"[dim]session {sid} - type 'exit' or press Ctrl-D to leave[/]")
            agent.bus.subscribe(_announce)
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


def _announce(event) -> None:
    """Interactive chat: say events that arrive between turns (a timer that finished)."""
    if event.type == "timer_finished":
        name = getattr(event, "name", None)
        err.print(f"\n[bold yellow]⏰ {escape(name.capitalize() + ' timer' if name else 'Timer')} finished.[/]", highlight=False)


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
        provides = ", ".join(i.tools + [f"backend:{b}" for b in i.backends] + [f"stt:{n}" for n in i.stt]
                             + [f"tts:{n}" for n in i.tts])
        status = f"[red]error: {escape(i.error)}[/]" if i.error else "[green]ok[/]"
        table.add_row(escape(i.name), escape(i.version or ""), escape(i.source), ", ".join(i.hooks), escape(provides), status)
    out.print(table)


def _budget(name: str, cfg, pm, tools: list[dict[str, Any]]) -> dict[str, Any]:
    """The context budget of one model: what the system prompt and tool schemas take of n_ctx."""
    from .turn import DEFAULT_SYSTEM_PROMPT
    factory = pm.backends.get(cfg.backend)
    if factory is None:
        return {"error": f"backend {cfg.backend!r} is not available"}
    system = [{"role": "system", "content": cfg.system_prompt or DEFAULT_SYSTEM_PROMPT}, {"role": "user", "content": ""}]
    try:
        used = factory(name, cfg).count_tokens(system, tools)
    except HearthError as e:
        return {"error": str(e)}
    except Exception as e:  # a model file that cannot be read: say so, show the rest
        return {"error": f"{type(e).__name__}: {e}"}
    if used is None:
        return {"error": "the backend cannot count tokens"}
    return {"n_ctx": cfg.n_ctx, "system_and_tools": used, "reply": cfg.max_tokens,
            "history": cfg.n_ctx - used - cfg.max_tokens}


@app.command()
def models(
    as_json: bool = typer.Option(False, "--json"),
    models_path: Optional[Path] = typer.Option(None, "--models", help="models.toml to show"),
    budget: bool = typer.Option(True, "--budget/--no-budget", help="Count each model's context budget (reads each tokenizer)."),
) -> None:
    """Show the models in models.toml with their locked settings and context budget.

    The budget is n_ctx split into the system prompt with every tool's schema, the reply
    (max_tokens), and what is left for history; the oldest turns are left out to fit it."""
    try:
        path, mf = load_models(models_path)
    except HearthError as e:
        _fail(str(e))
    roles = {v: k for k, v in mf.roles.model_dump().items() if v}
    budgets: dict[str, dict[str, Any]] = {}
    if budget:
        from .turn import Agent
        pm = _plugins()
        tools = Agent(models=mf, plugins=pm).tool_schemas()
        budgets = {n: _budget(n, m, pm, tools) for n, m in mf.models.items()}
    if as_json:
        print(json.dumps({"file": str(path), "roles": mf.roles.model_dump(),
                          "models": {n: {**m.model_dump(), **({"budget": budgets[n]} if n in budgets else {})}
                                     for n, m in mf.models.items()}}, indent=2))
        return
    table = Table(title=f"Models ({path})")
    for col in ("model", "role", "backend", "num_gpu", "n_ctx", "kv_cache", "keep_alive", "tools", "reference"):
        table.add_column(col)
    if budget:
        table.add_column("tokens: system+tools / reply / history")
    for n, m in mf.models.items():
        row = [escape(str(x)) for x in (n, roles.get(n, ""), m.backend, m.num_gpu, m.n_ctx, m.kv_cache,
                                        m.keep_alive, m.tool_calling, m.model)]
        if budget:
            b = budgets[n]
            row.append(f"[dim]{escape(b['error'][:60])}[/]" if "error" in b
                       else f"{b['system_and_tools']} / {b['reply']} / {b['history']}")
        table.add_row(*row)
    out.print(table)


# ---- bench ------------------------------------------------------------------------------------------

BENCH_REQUESTS = {
    1: ["add milk to my shopping list", "put apples on the list", "what is on my shopping list",
        "check off apples from my shopping list", "remove milk from my shopping list"],
    2: ["please add bread", "we are out of butter", "get some oat milk", "take the eggs off", "hello there"],
}
BENCH_REQUESTS[3] = BENCH_REQUESTS[2]
STAGES = ("route_ms", "first_token_ms", "tool_ms", "total_ms")


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


@app.command()
def bench(
    runs: int = typer.Option(3, min=1, help="Times each request is replayed per tier."),
    tiers: str = typer.Option("1,2,3", help="Tiers to measure, e.g. 1 or 1,3."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    models: Optional[Path] = ModelsOpt,
) -> None:
    """Replay a fixed set of requests through each tier and print p50 / p95 / max per stage (ms).

    Uses a scratch database, so your shopping list is not touched; models are loaded first."""
    import tempfile
    from .storage import Storage
    from .turn import Agent
    wanted = sorted({int(t) for t in tiers.split(",") if t.strip()})
    if not wanted or any(t not in BENCH_REQUESTS for t in wanted):
        _fail("--tiers takes 1, 2 and 3, e.g. --tiers 1,3")
    scratch = tempfile.mkdtemp(prefix="hearth-bench-")
    try:
        agent = Agent(models=models, storage=Storage(f"sqlite:///{scratch}/bench.db"))
    except HearthError as e:
        _fail(str(e))
    _report_plugin_errors(agent.plugins.errors)
    results: dict[int, dict[str, list[float]]] = {}

    async def main() -> None:
        await agent.start(load_model=False)
        try:
            if any(t > 1 for t in wanted):
                with err.status("[cyan]loading models[/]"):
                    for name in agent.role_models():
                        await agent.pool.load(name)
            for t in wanted:
                stages: dict[str, list[float]] = {k: [] for k in STAGES}
                for r in range(runs):
                    for i, text in enumerate(BENCH_REQUESTS[t]):
                        done = await agent.ask(text, session=f"bench-{t}-{r}-{i}", tier=t)
                        if done.type != "finished":
                            err.print(f"[yellow]tier {t}: {escape(text)!r} failed: {escape(done.message)}[/]")
                            continue
                        tm = done.timings
                        stages["route_ms"].append(tm.get("route_ms", 0.0))
                        stages["first_token_ms"].append(tm.get("first_token_ms", tm.get("total_ms", 0.0)))
                        stages["tool_ms"].append(sum(v for k, v in tm.items() if k.startswith("tool_")))
                        stages["total_ms"].append(tm.get("total_ms", 0.0))
                results[t] = stages
        finally:
            await agent.stop()

    asyncio.run(main())
    summary = {f"tier{t}": {"turns": len(st["total_ms"]), **{k: {"p50": round(_pct(v, .5), 2), "p95": round(_pct(v, .95), 2),
                                                                  "max": round(max(v), 2)} for k, v in st.items() if v}}
               for t, st in results.items()}
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    table = Table(title=f"hearth bench: {runs} run(s) of {len(BENCH_REQUESTS[1])} requests per tier (ms)")
    for col in ("tier", "stage", "p50", "p95", "max"):
        table.add_column(col, justify="right" if col in ("p50", "p95", "max") else "left")
    for t, st in summary.items():
        for stage in STAGES:
            if stage in st:
                table.add_row(t, stage, *(f"{st[stage][q]:.2f}" for q in ("p50", "p95", "max")))
    out.print(table)


# ---- serve ------------------------------------------------------------------------------------------


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to bind. Anything but loopback needs a token."),
    port: int = typer.Option(8765, min=0, max=65535, help="Port (0: any free port; the address is printed)."),
    token: Optional[str] = typer.Option(None, envvar="HEARTH_TOKEN", show_envvar=True,
                                        help="Required on every request and websocket when set."),
    concurrency: int = typer.Option(4, min=1, help="Turns that run at once across sessions."),
    queue: int = typer.Option(64, min=0, help="Turns that may wait for a slot; past it, 'busy'."),
    max_frame: int = typer.Option(64 * 1024, min=1024, help="Largest websocket frame or HTTP body (bytes)."),
    rate: float = typer.Option(5.0, min=0.1, help="Frames per second per websocket (and requests per client)."),
    burst: int = typer.Option(20, min=1, help="Frames allowed at once above the rate."),
    turn_timeout: float = typer.Option(120.0, min=1, help="Seconds a turn may take."),
    prewarm: bool = typer.Option(True, help="Load the role models in the background at start."),
    models: Optional[Path] = ModelsOpt,
) -> None:
    """Serve Hearth: websocket /ws, HTTP /api/chat, a chat page at /, /healthz and /openapi.json."""
    import socket

    from .server import ServerError, ServerSettings, serve as run_server
    settings = ServerSettings(host=host, port=port, token=token or None, concurrency=concurrency, queue=queue,
                              max_frame=max_frame, rate=rate, burst=burst, turn_timeout=turn_timeout, prewarm=prewarm)
    try:
        settings.check()
    except ServerError as e:
        _fail(str(e))
    # bind here, so port 0 is known before uvicorn starts and a busy port is a clear error
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # no Nagle delay: a turn is several small frames, and Linux passes this to accepted sockets
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        _fail(f"cannot listen on {host}:{port}: {e.strerror or e}")
    settings = ServerSettings(**{**settings.__dict__, "port": sock.getsockname()[1]})
    agent = _agent(models)
    shown = f"[{settings.host}]" if ":" in settings.host else settings.host
    print(f"Hearth {'(token required) ' if settings.token else ''}on http://{shown}:{settings.port}/ "
          f"- websocket ws://{shown}:{settings.port}/ws - Ctrl-C stops", flush=True)
    run_server(agent, settings, log_level="warning", sock=sock)


# ---- wyoming ----------------------------------------------------------------------------------------


@app.command()
def wyoming(
    uri: str = typer.Option("tcp://127.0.0.1:10700", help="Where to listen: tcp://HOST:PORT (port 0: any free port, printed) or unix://PATH."),
    satellite: list[str] = typer.Option([], "--satellite", help="Drive this satellite: NAME=tcp://HOST:PORT (repeat for each room)."),
    prewarm: bool = typer.Option(True, help="Load the role models in the background at start."),
    no_wake_word: bool = typer.Option(False, "--no-wake-word", help="Satellites that leave the wake word to Hearth: answer every utterance."),
    as_json: bool = typer.Option(False, "--json", help="Print satellites' voice events as JSON lines."),
    models: Optional[Path] = ModelsOpt,
) -> None:
    """Serve Hearth over Wyoming (Home Assistant's Wyoming integration uses it as a conversation
    agent), and drive Wyoming satellites, one conversation per room."""
    import socket

    from .speech import load_speech_config
    from .wyoming import SatelliteSpec, parse_satellite, parse_uri, run_satellites, run_service
    try:
        config = load_speech_config(models)
        specs = [SatelliteSpec(s.name, s.uri) for s in config.satellites] + [parse_satellite(v) for v in satellite]
    except (ValueError, HearthError) as e:
        _fail(str(e))
    if len({s.name for s in specs}) != len(specs):
        _fail("two satellites have the same name; each room needs its own (NAME=tcp://HOST:PORT)")
    parsed = parse_uri(uri)
    if parsed is None:
        _fail(f"{uri!r} is not a Wyoming address; use tcp://HOST:PORT or unix://PATH")
    if parsed.scheme == "tcp" and parsed.port == 0:
        with socket.socket() as s:
            s.bind((parsed.hostname, 0))
            uri = f"tcp://{parsed.hostname}:{s.getsockname()[1]}"
    agent = _agent(models)

    def on_state(link) -> None:
        print(f"satellite {link.spec.name} ({link.spec.uri}): {link.state}" + (f" - {link.error}" if link.error else ""),
              flush=True)

    async def on_voice(link, event) -> None:
        if as_json:
            print(json.dumps({"satellite": link.spec.name, **event.to_dict()}, ensure_ascii=False, default=str), flush=True)

    async def main() -> None:
        await agent.start(load_model=False, prewarm=prewarm)
        jobs = [run_service(agent, uri, ready=lambda: print(f"Hearth Wyoming service on {uri} - Ctrl-C stops", flush=True))]
        if specs:
            from .speech import Speech
            try:
                speech = Speech.from_config(agent.plugins, config)
                await speech.load()
            except HearthError as e:
                _fail(str(e))
            voice = config.voice.model_copy(update={"wake_word": ""}) if no_wake_word else config.voice
            jobs.append(run_satellites(agent, speech, voice, specs, on_state=on_state, emit=on_voice))
        try:
            await asyncio.gather(*jobs)
        finally:
            await agent.stop()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    except OSError as e:
        _fail(f"cannot listen on {uri}: {e.strerror or e}")


# Commands that live beside their subsystem (imported here, after the helpers above exist).
from . import doctor as _doctor_cli, voice_cli as _voice_cli  # noqa: E402
from .gpu import cli as _gpu_cli  # noqa: E402

_gpu_cli.register(app)
_doctor_cli.register(app)
_voice_cli.register(app)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # plugin load problems are printed by the commands themselves
    logging.getLogger("hearth.pluginmanager").setLevel(logging.ERROR)
    app()


if __name__ == "__main__":
    main()
