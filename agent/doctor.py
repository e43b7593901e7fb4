"""``hearth doctor``: is the GPU visible, is the backend reachable, is each model where it should be?

One line per check, each ``ok``, ``warn`` or ``fail``; a failing check makes the exit status 1.
The checks, in order: models.toml, plugins that did not load, a backend for every model, the GPU
(``hearth.gpu.probe_memory``), each Ollama server the models use, each Ollama model (pulled? loaded?
how much of it sits in GPU memory, from ``/api/ps``), and each llama.cpp model's GPU plan.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, Optional
from urllib.parse import urlsplit

import typer

from .config import is_loopback

GiB = 1 << 30
Status = Literal["ok", "warn", "fail"]
LOOKUP_TIMEOUT = 10.0  # seconds for each of doctor's own questions to an Ollama server


@dataclass
class Check:
    """One line of the report."""

    check: str
    status: Status
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _gib(n: int | float) -> str:
    return f"{n / GiB:.1f} GiB"


# ---- the checks -------------------------------------------------------------------------------------


def check_gpu() -> tuple[Check, Any]:
    try:
        from .gpu import probe_memory
        probe = probe_memory()
    except Exception as err:  # the probe module missing or broken: say so, check the rest
        return Check("gpu", "warn", f"the GPU probe failed ({type(err).__name__}: {err}); GPU checks skipped"), None
    details = probe.to_dict()
    if not probe.devices:
        return Check("gpu", "warn", f"no GPU visible: {probe.note}", details), probe
    parts = [f"GPU {d.index} {d.name}: {_gib(d.free_bytes)} free of {_gib(d.total_bytes)}" for d in probe.devices]
    how = {"nvml": "NVML", "jetson": "unified memory, /proc/meminfo", "manual": "given by hand"}.get(probe.source, probe.source)
    return Check("gpu", "ok", f"{'; '.join(parts)} ({how})", details), probe


def _jetpack(probe: Any) -> str | None:
    """JetPack's major version from the L4T release the Jetson probe read (R35: 5, R36: 6)."""
    m = re.search(r"L4T (\d+)\.", getattr(probe, "note", "") or "")
    return {"34": "5", "35": "5", "36": "6"}.get(m.group(1)) if m else None


def _no_gpu_advice(jetson: bool, jetpack: str | None = None) -> str:
    common = ("check the `ollama serve` log for the GPU it found ('inference compute') or why not ('no compatible "
              "GPUs', 'cudaSetDevice err'); restart it (`sudo systemctl restart ollama`) after a driver or JetPack "
              "update; and check this model's num_gpu in models.toml (0 forces the CPU)")
    if jetson:
        jp = f"JETSON_JETPACK={jetpack}" if jetpack else "JETSON_JETPACK=5 or 6 (your JetPack)"
        lib = f"OLLAMA_LLM_LIBRARY=cuda_jetpack{jetpack}" if jetpack else "OLLAMA_LLM_LIBRARY=cuda_jetpack5 or 6"
        return ("Ollama is running it on the CPU although this Jetson's GPU is visible, the classic Jetson failure: "
                "install Ollama with its install script, which adds the JetPack libraries; in Docker, where Ollama "
                f"cannot find the JetPack version itself, pass {jp} to the container (or set {lib} for "
                "`ollama serve`); " + common)
    return "Ollama is running it on the CPU although a GPU is visible: " + common


async def _ollama_checks(mf: Any, probe: Any, load: bool) -> list[Check]:
    """The Ollama server(s) and models: reachable, pulled, loaded, share of the model in GPU memory."""
    from .errors import HearthError
    try:
        import httpx
        import ollama
        from hearth.plugins.ollama import OllamaBackend
    except ImportError as err:
        return [Check("ollama", "fail", f"the Ollama backend cannot be imported ({err}); pip install 'hearth[ollama]'")]
    names = [n for n, m in mf.models.items() if m.backend == "ollama"]
    backends = {n: OllamaBackend(n, mf.models[n]) for n in names}
    out: list[Check] = []
    by_host: dict[str, list[str]] = {}
    for n, b in backends.items():
        by_host.setdefault(b.host, []).append(n)
    gpu_here = bool(probe and probe.devices)
    jetson = bool(probe and probe.source == "jetson")
    jetpack = _jetpack(probe) if jetson else None
    try:
        for host, models in by_host.items():
            client = ollama.AsyncClient(host=host, timeout=httpx.Timeout(LOOKUP_TIMEOUT))
            try:
                tags = await client.list()
            except (ConnectionError, httpx.HTTPError, ollama.ResponseError) as err:
                out.append(Check("ollama", "fail", f"cannot reach the Ollama server at {host}; "
                                 f"start it with `ollama serve`, or set OLLAMA_HOST to "
                                 f"where it runs (used by: {', '.join(models)})", {"host": host}))
                continue
            pulled = {t.model for t in tags.models}
            out.append(Check("ollama", "ok", f"Ollama at {host} answers; {len(pulled)} model(s) pulled",
                             {"host": host, "pulled": sorted(pulled)}))
            for n in models:
                out.append(await _ollama_model(n, backends[n], client, pulled, host, gpu_here, jetson, jetpack, load,
                                             HearthError))
            await client.close()
    finally:
        for b in backends.values():
            await b.close()
    return out


async def _ollama_model(name: str, backend: Any, client: Any, pulled: set[str], host: str, gpu_here: bool,
                        jetson: bool, jetpack: str | None, load: bool, HearthError: type) -> Check:
    cfg = backend.config
    tag = cfg.model
    label = f"model {name}"
    details: dict[str, Any] = {"model": tag, "host": host, "num_gpu": cfg.num_gpu, "n_ctx": cfg.n_ctx}
    if tag not in pulled and f"{tag}:latest" not in pulled:
        return Check(label, "fail", f"{tag} is not pulled on {host}: run `ollama pull {tag}`", details)
    notes: list[str] = []
    status: Status = "ok"
    try:
        show = await client.show(tag)
        details["capabilities"] = show.capabilities
        if cfg.tool_calling == "native" and show.capabilities is not None and "tools" not in show.capabilities:
            status = "warn"
            notes.append(f"{tag} has no native tool calls ({', '.join(show.capabilities)}): set "
                         f'tool_calling = "inject" in [models.{name}]')
    except Exception as err:  # the capabilities are a nicety; the rest still says where the model is
        notes.append(f"/api/show failed: {err}")
    if load:
        try:
            await backend.load()
        except HearthError as err:
            return Check(label, "fail", f"loading {tag} failed: {err}", details)
    ps = await client.ps()
    running = next((m for m in ps.models if m.model in (tag, f"{tag}:latest") or m.name in (tag, f"{tag}:latest")), None)
    if running is None:
        where = "pulled, not loaded now: run `hearth doctor --load` to load it and see how much sits in GPU memory"
        return Check(label, status, "; ".join([where, *notes]), details)
    size, vram = int(running.size or 0), int(running.size_vram or 0)  # older servers omit size_vram when 0
    share = vram / size if size else 0.0
    details.update({"size": size, "size_vram": vram, "gpu_share": round(share, 4),
                    "context_length": running.context_length})
    pct = f"{share:.0%}"
    if cfg.num_gpu == 0:
        msg = f"loaded, {pct} in GPU memory of {_gib(size)}: on the CPU as configured (num_gpu = 0)"
    elif share >= 0.999:
        msg = f"loaded, 100% in GPU memory ({_gib(vram)})"
    elif share > 0:
        status = "warn"
        msg = (f"loaded, only {pct} in GPU memory ({_gib(vram)} of {_gib(size)}): the rest runs on the CPU, "
               f"slowly; lower n_ctx (now {cfg.n_ctx}), pick a smaller quantization, or free GPU memory")
    elif not is_loopback(urlsplit(host).hostname or ""):
        status = "warn"
        msg = (f"loaded, 0% in GPU memory on {host} ({_gib(size)} in system memory); if that machine has a GPU, "
               + _no_gpu_advice(False).split(": ", 1)[1])
    elif gpu_here:
        status = "fail"
        msg = f"loaded, 0% in GPU memory ({_gib(size)} in system memory): " + _no_gpu_advice(jetson, jetpack)
    else:
        msg = f"loaded, on the CPU ({_gib(size)}; no GPU visible here)"
    return Check(label, status, "; ".join([msg, *notes]), details)


def _llamacpp_checks(mf: Any, probe: Any) -> list[Check]:
    """Each llama.cpp model's GPU plan: how many layers fit under the target share of free memory."""
    out: list[Check] = []
    names = [n for n, m in mf.models.items() if m.backend == "llamacpp"]
    if not names:
        return out
    try:
        from .gpu import llama_gpu_offload, plan_model
        from hearth.plugins.llamacpp import resolve_model
    except ImportError as err:
        return [Check("llama.cpp", "warn", f"the GPU planner is not available ({err}); plans skipped")]
    offload = llama_gpu_offload()  # the plan warns when a GPU is there but this build cannot use it
    for n in names:
        cfg = mf.models[n]
        label = f"model {n}"
        try:
            path = resolve_model(cfg.model)
            plan = plan_model(cfg, path, probe=probe, gpu_offload=offload, name=n)
        except Exception as err:  # a missing file, an unreadable GGUF, settings that cannot work
            # a model no role uses is only a warning: the shipped models.toml lists optional ones
            used = n in (mf.roles.main, mf.roles.router)
            out.append(Check(label, "fail" if used else "warn",
                             f"no plan: {err}" + ("" if used else " (no role uses this model)"), {"model": cfg.model}))
            continue
        d = plan.to_dict()
        where = f"{plan.n_gpu_layers}/{plan.n_layers} layers on the GPU" if plan.n_gpu_layers else "all layers on the CPU"
        if not plan.fits:
            out.append(Check(label, "fail", f"does not fit: {where}; " + "; ".join(plan.warnings or ["see `hearth fit`"]), d))
        elif plan.warnings:
            out.append(Check(label, "warn", f"plan: {where}; " + "; ".join(plan.warnings), d))
        else:
            out.append(Check(label, "ok", f"plan: {where} ({path.name}, n_ctx {plan.n_ctx})", d))
    return out


def run_checks(models: Optional[Path] = None, load: bool = False) -> list[Check]:
    """Every check, in order. Never raises for what it checks: each problem is a line."""
    from .config import load_models
    from .errors import HearthError
    from .pluginmanager import PluginManager
    checks: list[Check] = []
    try:
        path, mf = load_models(models)
    except HearthError as err:
        return [Check("config", "fail", str(err))]
    roles = ", ".join(f"{r} = {m}" for r, m in mf.roles.model_dump().items() if m)
    checks.append(Check("config", "ok", f"{path}: {len(mf.models)} model(s); {roles}", {"file": str(path)}))
    pm = PluginManager()
    pm.load()
    for name, error in pm.errors.items():
        checks.append(Check(f"plugin {name}", "warn", f"did not load and is skipped: {error}"))
    if not pm.errors:
        checks.append(Check("plugins", "ok", f"{len(pm.info)} plugin(s) loaded: {', '.join(pm.info)}"))
    usable = {}
    for n, m in mf.models.items():
        if m.backend in pm.backends:
            usable[n] = m
        else:
            known = ", ".join(sorted(pm.backends)) or "none"
            checks.append(Check(f"model {n}", "fail", f"backend {m.backend!r} is not available (backends: {known}); "
                                "install its plugin or check HEARTH_LOAD_PLUGINS"))
    gpu, probe = check_gpu()
    checks.append(gpu)
    sub = mf.model_copy(update={"models": usable})
    if any(m.backend == "ollama" for m in usable.values()):
        checks += asyncio.run(_ollama_checks(sub, probe, load))
    checks += _llamacpp_checks(sub, probe)
    checks += asyncio.run(_satellite_checks(models))
    return checks


async def _satellite_checks(models: Optional[Path]) -> list[Check]:
    """Each ``[[speech.satellites]]`` entry: does it answer ``describe`` as a satellite?"""
    from .errors import HearthError
    from .speech import load_speech_config
    try:
        config = load_speech_config(models)
    except HearthError as err:
        return [Check("speech", "fail", str(err))]
    return list(await asyncio.gather(*(_satellite(s.name, s.uri) for s in config.satellites)))


async def _satellite(name: str, uri: str) -> Check:
    from wyoming.client import AsyncClient
    from wyoming.info import Describe, Info
    label = f"satellite {name}"
    client = AsyncClient.from_uri(uri)
    try:
        await asyncio.wait_for(client.connect(), 3)
        await client.write_event(Describe().event())
        async with asyncio.timeout(5):
            while (event := await client.read_event()) is not None and not Info.is_type(event.type):
                pass
    except (OSError, TimeoutError) as err:
        return Check(label, "fail", f"{uri} does not answer ({type(err).__name__}{': ' + str(err) if str(err) else ''}); "
                     "is the satellite on and wyoming-satellite running? `hearth wyoming` keeps retrying it",
                     {"uri": uri})
    finally:
        await client.disconnect()
    if event is None or Info.from_event(event).satellite is None:
        return Check(label, "fail", f"{uri} answers but is not a Wyoming satellite", {"uri": uri})
    sat = Info.from_event(event).satellite
    return Check(label, "ok", f"{uri} answers: {sat.name}" + (f" in {sat.area}" if sat.area else ""), {"uri": uri})


# ---- the command --------------------------------------------------------------------------------------

MARKS = {"ok": "[green]ok  [/]", "warn": "[yellow]warn[/]", "fail": "[bold red]fail[/]"}


def register(app: typer.Typer) -> None:
    """Add ``hearth doctor`` to the ``hearth`` app."""

    @app.command()
    def doctor(
        as_json: bool = typer.Option(False, "--json", help="Print the checks as one JSON object."),
        load: bool = typer.Option(False, "--load", help="Load each Ollama model (as `hearth chat` would) to see "
                                  "how much of it sits in GPU memory."),
        models: Optional[Path] = typer.Option(None, "--models", help="models.toml to check (default: $HEARTH_MODELS, "
                                              "$HEARTH_HOME/models.toml, the shipped one)"),
    ) -> None:
        """Check the setup: models.toml, plugins, the GPU, the Ollama server, and where each model sits.

        One line per check (ok, warn or fail); exits 1 when a check fails."""
        from rich.markup import escape

        from .cli import out
        checks = run_checks(models, load)
        failed = any(c.status == "fail" for c in checks)
        if as_json:
            print(json.dumps({"ok": not failed, "checks": [c.to_dict() for c in checks]}, indent=2, default=str))
        else:
            width = max(len(c.check) for c in checks)
            for c in checks:
                out.print(f"{MARKS[c.status]}  {escape(c.check.ljust(width))}  {escape(c.message)}", highlight=False,
                          soft_wrap=True)
        raise typer.Exit(1 if failed else 0)
