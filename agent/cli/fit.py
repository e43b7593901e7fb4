"""``hearth fit``: how many layers of a model fit on the GPU(s), and why."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape

from hearth.cli.common import Column, fail, load_plugins, out, render_table
from hearth.config import ModelConfig, load_models
from hearth.errors import HearthError
from hearth.gpu.plan import KV_TYPES, Plan, llama_gpu_offload, plan_shape
from hearth.gpu.probe import MemoryProbe, manual_probe, probe_memory
from hearth.gpu.shape import read_shape
from hearth.pluginmanager import PluginManager

MiB = 1 << 20


def _mib(n: int | None) -> str:
    if n is None:
        return "-"
    return f"{n / MiB:,.1f}" if abs(n) < 100 * MiB else f"{n / MiB:,.0f}"


def model_file(pm: PluginManager, model: str) -> Path | None:
    """The local file a ``model`` reference names, from the first plugin whose ``resolve_model_file``
    knows it. A plugin's HearthError (the file is missing) is the answer; any other exception is
    a HearthError naming the plugin."""
    for impl in pm.impls("resolve_model_file"):
        try:
            path = impl.function(model=model)
        except HearthError:
            raise
        except Exception as err:
            raise HearthError(f"plugin {impl.plugin_name}: resolve_model_file raised {type(err).__name__}: {err}",
                              "plugin_error") from err
        if path is not None:
            return Path(path)
    return None


def _resolve(model: str, models: Path | None) -> tuple[str | None, ModelConfig, Path]:
    """(name or None, ModelConfig, GGUF path) for a models.toml name, a GGUF path or package:NAME."""
    name, cfg = None, None
    try:
        _, mf = load_models(models)
        if model in mf.models:
            name, cfg = model, mf.models[model]
    except HearthError as e:
        if models is not None:  # a models.toml asked for by name must be valid
            fail(str(e))
    if cfg is None:
        looks_like_file = model.startswith("package:") or model.endswith(".gguf") or "/" in model
        if not looks_like_file:
            fail(f"{model!r} is neither a model in models.toml nor a .gguf file; give a name from `hearth models`, "
                  "a GGUF path or package:NAME")
        cfg = ModelConfig(backend="llamacpp", model=model)
    if cfg.backend != "llamacpp":
        fail(f"[models.{name}] uses the {cfg.backend} backend, which places layers itself; "
              "hearth fit plans llama.cpp models (give a GGUF path to plan the same file)")
    try:
        path = model_file(load_plugins(), cfg.model) or Path(cfg.model).expanduser()
    except HearthError as e:
        fail(str(e))
    return name, cfg, path


def fit(
    model: str = typer.Argument(..., help="A model name from models.toml, a GGUF path, or package:NAME."),
    ctx: int | None = typer.Option(None, "--ctx", min=256, help="Context length (default: the model's n_ctx)."),
    kv: str | None = typer.Option(None, "--kv", help="KV cache type: f16, q8_0 or q4_0 (quantized implies --flash-attn)."),
    flash_attn: bool | None = typer.Option(None, "--flash-attn/--no-flash-attn", help="Flash attention (default: the model's)."),
    num_gpu: int | None = typer.Option(None, "--num-gpu", min=-1, help="-1 auto, 0 CPU, N layers, 99 all (default: the model's)."),
    vram: list[str] | None = typer.Option(None, "--vram", help="Plan for GPUs with this many MiB free instead of this "
                                             "machine's; repeat or comma-separate for several GPUs (a split)."),
    gpus: str | None = typer.Option(None, "--gpus", help="Which GPUs to use, e.g. 0,1 (of this machine, or of --vram)."),
    target_vram: float | None = typer.Option(None, "--target-vram", min=0.05, max=1.0, help="Share of free memory to use."),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as one JSON object."),
    models: Path | None = typer.Option(None, "--models", help="models.toml to use"),
) -> None:
    """Plan how many layers of a model fit on the GPU(s): weights, KV cache, compute buffer and
    overhead per device, the headroom, and what the naive KV formula would have chosen."""
    if kv is not None and kv not in KV_TYPES:
        fail(f"--kv {kv!r} is not one of {', '.join(KV_TYPES)}")
    name, cfg, path = _resolve(model, models)
    if vram:
        try:
            values = [float(v) for item in vram for v in item.split(",") if v.strip()]
        except ValueError:
            fail(f"--vram takes MiB numbers, e.g. --vram 8192 or --vram 24576,12288; got {' '.join(vram)}")
        if not values or any(v <= 0 for v in values):
            fail("--vram takes positive MiB numbers, e.g. --vram 8192")
        probe = manual_probe(values)
        offload = True
    else:
        probe = probe_memory()
        offload = llama_gpu_offload()
    if gpus is not None:
        try:
            wanted = [int(x) for x in gpus.split(",") if x.strip()]
        except ValueError:
            fail(f"--gpus takes GPU numbers, e.g. --gpus 0,1; got {gpus!r}")
        have = {d.index for d in probe.devices}
        missing = [i for i in wanted if i not in have]
        if missing:
            fail(f"--gpus {gpus}: no GPU {', '.join(map(str, missing))} here; "
                  f"{'the GPUs are ' + ', '.join(map(str, sorted(have))) if have else 'there is no GPU (use --vram to plan for one)'}")
        probe = MemoryProbe(probe.source, [d for d in probe.devices if d.index in wanted], probe.note,
                            probe.host_total_bytes, probe.host_available_bytes)
    kv_type = kv or cfg.kv_cache
    fa = flash_attn if flash_attn is not None else (True if (kv and kv != "f16") else cfg.flash_attn)
    where = f"[models.{name}]" if name else path.name
    try:
        shape = read_shape(path)
        plan = plan_shape(shape, probe, num_gpu=cfg.num_gpu if num_gpu is None else num_gpu,
                          n_ctx=ctx or cfg.n_ctx, kv_cache=kv_type, flash_attn=fa,
                          target_vram=cfg.target_vram if target_vram is None else target_vram,
                          gpu_id=cfg.gpu_id if not (vram or gpus) else None,
                          tensor_split=cfg.backend_keys().get("tensor_split") if not (vram or gpus) else None,
                          swa_full=cfg.backend_keys().get("swa_full", True), gpu_offload=offload, model=str(path),
                          where=where)
    except HearthError as e:
        fail(str(e))
    if as_json:
        print(json.dumps({"name": name, **plan.to_dict(), "probe": probe.to_dict()}, indent=2))
        return
    _print_plan(plan, name or path.name, offload)


def _print_plan(plan: Plan, title: str, offload: bool) -> None:
    kv_desc = f"{plan.kv_cache} KV" + (", flash attention" if plan.flash_attn else "")
    swa = ""
    if plan.swa_cells != plan.n_ctx_cells:
        swa = f", sliding-window layers {plan.swa_cells} cells"
    out.print(f"[bold]{escape(title)}[/] ({plan.arch}, {plan.n_layers - 1} blocks + output): n_ctx {plan.n_ctx} "
              f"({plan.n_ctx_cells} cells{swa}), {kv_desc}", highlight=False)
    out.print(f"[dim]{escape(plan.note)}[/]", highlight=False)
    if not plan.devices:
        if plan.source in ("cpu",) or not offload:
            out.print("[bold]No GPU here: everything runs on the CPU.[/] The model needs, in host RAM:", highlight=False)
        h = plan.host
        render_table("memory (MiB)", [Column("where"), *(Column(c, right=True) for c in ("weights", "KV", "compute",
                                                                                          "total"))],
                     [["CPU (host RAM)", _mib(h.get("weights_bytes")), _mib(h.get("kv_bytes")),
                       _mib(h.get("compute_bytes")), _mib(sum(h.values()))]])
        if plan.host_available_bytes is not None:
            out.print(f"host RAM available: {_mib(plan.host_available_bytes)} MiB", highlight=False)
        out.print(f"On one GPU the whole model would take {_mib(sum(plan.needs.values()))} MiB "
                  f"(weights {_mib(plan.needs['weights_bytes'])}, KV {_mib(plan.needs['kv_bytes'])}, "
                  f"compute {_mib(plan.needs['compute_bytes'])}) plus about 384 MiB of runtime overhead; "
                  "try `hearth fit MODEL --vram 8192`.", highlight=False)
    else:
        columns = [Column("device", wrap=True), *(Column(c, right=True) for c in (
            "layers", "weights", "KV", "compute", "overhead", "used", "budget", "free", "headroom"))]
        rows, styles = [], []
        for d in plan.devices:
            host = f" (+{_mib(d.host_bytes)} CPU side)" if d.host_bytes else ""
            rows.append([escape(f"{d.index}: {d.name}{host}"), str(d.layers), _mib(d.weights_bytes), _mib(d.kv_bytes),
                         _mib(d.compute_bytes), _mib(d.overhead_bytes), _mib(d.used_bytes), _mib(d.budget_bytes),
                         _mib(d.free_bytes), _mib(d.headroom_bytes)])
            styles.append("" if d.fits else "red")
        h = plan.host
        rows.append(["CPU", str(plan.n_layers - plan.n_gpu_layers), _mib(h.get("weights_bytes")),
                     _mib(h.get("kv_bytes")), _mib(h.get("compute_bytes")), "-", _mib(sum(h.values())), "-",
                     _mib(plan.host_available_bytes), "-"])
        styles.append("dim")
        render_table(f"GPU plan: {plan.n_gpu_layers} of {plan.n_layers} layers on the GPU (MiB)", columns, rows, styles)
        split = f", tensor_split {plan.tensor_split}" if plan.tensor_split else ""
        pinned = f", pinned to GPU {plan.main_gpu}" if plan.split_mode == "none" else ""
        verdict = "[green]fits[/]" if plan.fits else "[red]does not fit[/]"
        out.print(f"n_gpu_layers = {plan.n_gpu_layers} (num_gpu = {plan.num_gpu}){split}{pinned}: {verdict}", highlight=False)
    naive = plan.naive
    out.print(f"Naive formula 2 x n_ctx x hidden x bytes: KV {_mib(naive['kv_bytes'])} MiB for the whole model "
              f"(the real figure is {_mib(plan.needs['kv_bytes'])} MiB)"
              + (f"; it would have chosen {naive['n_gpu_layers']} layers" if plan.devices else ""), highlight=False)
    for w in plan.warnings:
        out.print(f"[yellow]warning:[/] {escape(w)}", highlight=False)
    if plan.alternatives:
        out.print("[bold]Every layer fits on the GPU with any one of:[/]", highlight=False)
        for a in plan.alternatives:
            out.print(f"  {escape(a)}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``hearth fit`` to the ``hearth`` app."""
    app.command("fit")(fit)
