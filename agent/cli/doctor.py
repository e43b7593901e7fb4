"""``hearth doctor``: is the GPU visible, is the backend reachable, is each model where it should be?

One line per check, each ``ok``, ``warn`` or ``fail``; a failing check makes the exit status 1.
The checks, in order: models.toml, plugins that did not load, a backend for every model, the GPU
(``hearth.gpu.probe_memory``), then what each plugin's ``doctor_checks`` hook finds (the Ollama
servers and models, each llama.cpp model's GPU plan...), then each Wyoming satellite.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from wyoming.client import AsyncClient
from wyoming.info import Describe, Info

from hearth.backends import settings_models
from hearth.checks import Check
from hearth.cli import extras
from hearth.cli.common import models_option, out
from hearth.config import ModelsFile, bind_backend_settings, load_models
from hearth.errors import HearthError
from hearth.gpu import MemoryProbe, probe_memory
from hearth.pluginmanager import PluginManager
from hearth.voice.speech import load_speech_config

GiB = 1 << 30


def _gib(n: int | float) -> str:
    return f"{n / GiB:.1f} GiB"


# ---- the checks -------------------------------------------------------------------------------------


def check_gpu() -> tuple[Check, MemoryProbe | None]:
    """The GPU line, and the probe (None when the probe itself failed)."""
    try:
        probe = probe_memory()
    except Exception as err:  # the probe broken: say so, check the rest
        return Check("warn", "gpu", f"the GPU probe failed ({type(err).__name__}: {err}); GPU checks skipped"), None
    details = probe.to_dict()
    if not probe.devices:
        return Check("warn", "gpu", f"no GPU visible: {probe.note}", details), probe
    parts = [f"GPU {d.index} {d.name}: {_gib(d.free_bytes)} free of {_gib(d.total_bytes)}" for d in probe.devices]
    how = {"nvml": "NVML", "jetson": "unified memory, /proc/meminfo", "manual": "given by hand"}.get(probe.source,
                                                                                                   probe.source)
    return Check("ok", "gpu", f"{'; '.join(parts)} ({how})", details), probe


def _accepted(fn: Any, **kwargs: Any) -> dict[str, Any]:
    params = inspect.signature(fn).parameters
    return {k: v for k, v in kwargs.items() if k in params}


async def plugin_checks(pm: PluginManager, models: ModelsFile, load: bool) -> list[Check]:
    """Every plugin's ``doctor_checks``, one plugin at a time (awaited when async): a plugin that raises
    or returns something else than checks is one ``fail`` line naming it, and the rest still run."""
    checks: list[Check] = []
    for impl in pm.impls("doctor_checks"):
        name = impl.plugin_name
        try:
            result = impl.function(**_accepted(impl.function, models=models, load=load))
            if inspect.isawaitable(result):
                result = await result
            found = list(result or [])
            wrong = [c for c in found if not isinstance(c, Check)]
            if wrong:
                raise TypeError(f"it returned {type(wrong[0]).__name__}, not hearth.Check")
        except Exception as err:
            checks.append(Check("fail", f"plugin {name}", f"doctor_checks raised {type(err).__name__}: {err}"))
            continue
        checks += found
    return checks


async def satellite_checks(models: Path | None) -> list[Check]:
    """Each ``[[speech.satellites]]`` entry: does it answer ``describe`` as a satellite?"""
    try:
        config = load_speech_config(models)
    except HearthError as err:
        return [Check("fail", "speech", str(err))]
    return list(await asyncio.gather(*(satellite_check(s.name, s.uri) for s in config.satellites)))


async def satellite_check(name: str, uri: str) -> Check:
    """One satellite's line."""
    label = f"satellite {name}"
    client = AsyncClient.from_uri(uri)
    try:
        await asyncio.wait_for(client.connect(), 3)
        await client.write_event(Describe().event())
        async with asyncio.timeout(5):
            while (event := await client.read_event()) is not None and not Info.is_type(event.type):
                pass
    except (OSError, TimeoutError) as err:
        return Check("fail", label, f"{uri} does not answer ({type(err).__name__}{': ' + str(err) if str(err) else ''}); "
                     "is the satellite on and wyoming-satellite running? `hearth wyoming` keeps retrying it",
                     {"uri": uri})
    finally:
        await client.disconnect()
    sat = Info.from_event(event).satellite if event is not None else None
    if sat is None:
        return Check("fail", label, f"{uri} answers but is not a Wyoming satellite", {"uri": uri})
    return Check("ok", label, f"{uri} answers: {sat.name}" + (f" in {sat.area}" if sat.area else ""), {"uri": uri})


def plugin_load_checks(pm: PluginManager, mf: ModelsFile) -> list[Check]:
    """A line per plugin that did not load; an optional one whose extra is not installed is a warning
    only where models.toml uses it, else an ``ok`` line saying how to install it."""
    checks = []
    for info in pm.info.values():
        name, error, command = info.name, info.error, extras.install_command(info)
        if not error:
            continue
        if command is not None:
            needs = extras.uses(pm, mf, info)
            if needs:
                checks.append(Check("warn", f"plugin {name}", f"not installed and skipped: {error}; "
                                    f"{', '.join(needs)} needs it: install it with {command}"))
            else:
                checks.append(Check("ok", f"plugin {name}", f"optional, not installed ({command} to use it)"))
            continue
        checks.append(Check("warn", f"plugin {name}", f"did not load and is skipped: {error}"))
    loaded = [n for n, i in pm.info.items() if i.error is None]
    if not any(c.status == "warn" for c in checks):
        checks.append(Check("ok", "plugins", f"{len(loaded)} plugin(s) loaded: {', '.join(loaded)}"))
    return checks


def missing_backend(pm: PluginManager, backend: str) -> str:
    """Why a model's backend is not there and what to do: the extra to install when its plugin is
    one whose dependencies are not installed, else install the plugin or let it load."""
    known = ", ".join(sorted(pm.backends)) or "none"
    problem = f"backend {backend!r} is not available (backends: {known}); "
    return problem + (extras.backend_hint(pm, backend) or "install its plugin or check HEARTH_LOAD_PLUGINS")


def run_checks(models: Path | None = None, load: bool = False) -> list[Check]:
    """Every check, in order. Never raises for what it checks: each problem is a line."""
    checks: list[Check] = []
    pm = PluginManager()
    pm.load()
    try:
        path, mf = load_models(models)
        # each backend's own keys, checked by that backend; a backend that is missing is its own line below
        bind_backend_settings(mf, settings_models(pm.backends), path, unknown_backend_ok=True)
    except HearthError as err:
        return [Check("fail", "config", str(err))]
    roles = ", ".join(f"{r} = {m}" for r, m in mf.roles.model_dump().items() if m)
    checks.append(Check("ok", "config", f"{path}: {len(mf.models)} model(s); {roles}", {"file": str(path)}))
    checks += plugin_load_checks(pm, mf)
    usable = {}
    for n, m in mf.models.items():
        if m.backend in pm.backends:
            usable[n] = m
        else:
            checks.append(Check("fail", f"model {n}", missing_backend(pm, m.backend)))
    gpu, _ = check_gpu()
    checks.append(gpu)
    sub = mf.model_copy(update={"models": usable})

    async def rest() -> list[Check]:
        return await plugin_checks(pm, sub, load) + await satellite_checks(models)

    return checks + asyncio.run(rest())


# ---- the command --------------------------------------------------------------------------------------

MARKS = {"ok": "[green]ok  [/]", "warn": "[yellow]warn[/]", "fail": "[bold red]fail[/]"}


def doctor(
    as_json: bool = typer.Option(False, "--json", help="Print the checks as one JSON object."),
    load: bool = typer.Option(False, "--load", help="Load each Ollama model (as `hearth chat` would) to see "
                              "how much of it sits in GPU memory."),
    models: Path | None = models_option("models.toml to check (default: $HEARTH_MODELS, "
                                           "$HEARTH_HOME/models.toml, the shipped one)"),
) -> None:
    """Check the setup: models.toml, plugins, the GPU, the Ollama server, and where each model sits.

    One line per check (ok, warn or fail); exits 1 when a check fails."""
    checks = run_checks(models, load)
    failed = any(c.status == "fail" for c in checks)
    if as_json:
        print(json.dumps({"ok": not failed, "checks": [c.to_dict() for c in checks]}, indent=2, default=str))
    else:
        width = max(len(c.name) for c in checks)
        for c in checks:
            out.print(f"{MARKS[c.status]}  {escape(c.name.ljust(width))}  {escape(c.detail)}", highlight=False,
                      soft_wrap=True)
    raise typer.Exit(1 if failed else 0)


def register(app: typer.Typer) -> None:
    """Add ``hearth doctor`` to the ``hearth`` app."""
    app.command()(doctor)
