"""``hearth doctor`` and ``hearth fit`` for the llama.cpp backend: each model's GPU plan (how many layers fit
under the target share of free memory), and the file a ``model`` reference names."""

from __future__ import annotations

from pathlib import Path

from hearth import Check, HearthError, hookimpl
from hearth.kit import MemoryProbe, ModelsFile, llama_gpu_offload, plan_model, probe_memory

from .model_files import resolve_model


@hookimpl
def resolve_model_file(model: str) -> Path | None:
    """A GGUF path or ``package:NAME`` (what the llama.cpp backend loads); None for an Ollama tag."""
    looks_like_file = model.startswith("package:") or model.endswith(".gguf") or "/" in model
    if not looks_like_file:
        return None
    try:
        return resolve_model(model)
    except HearthError:
        raise
    except Exception as err:  # a package that cannot be imported...: say which reference
        raise HearthError(f"{model}: {type(err).__name__}: {err}", "model_missing") from err


@hookimpl
def doctor_checks(models: ModelsFile, load: bool) -> list[Check]:
    """Each llama.cpp model's GPU plan."""
    if not any(m.backend == "llamacpp" for m in models.models.values()):
        return []
    try:
        probe: MemoryProbe | None = probe_memory()
    except Exception:  # the core's gpu line says what went wrong; plan for the CPU
        probe = None
    return llamacpp_checks(models, probe)


def llamacpp_checks(mf: ModelsFile, probe: MemoryProbe | None) -> list[Check]:
    """Each llama.cpp model's GPU plan: how many layers fit under the target share of free memory."""
    out: list[Check] = []
    names = [n for n, m in mf.models.items() if m.backend == "llamacpp"]
    if not names:
        return out
    offload = llama_gpu_offload()  # the plan warns when a GPU is there but this build cannot use it
    for n in names:
        cfg = mf.models[n]
        label = f"model {n}"
        try:
            path = resolve_model(cfg.model)
            keys = cfg.backend_keys()
            plan = plan_model(cfg, path, probe=probe, gpu_offload=offload, name=n,
                              tensor_split=keys.get("tensor_split"), swa_full=keys.get("swa_full", True))
        except Exception as err:  # a missing file, an unreadable GGUF, settings that cannot work
            # a model no role uses is only a warning: the shipped models.toml lists optional ones
            used = n in (mf.roles.main, mf.roles.router)
            out.append(Check("fail" if used else "warn", label,
                             f"no plan: {err}" + ("" if used else " (no role uses this model)"), {"model": cfg.model}))
            continue
        d = plan.to_dict()
        where = f"{plan.n_gpu_layers}/{plan.n_layers} layers on the GPU" if plan.n_gpu_layers else "all layers on the CPU"
        if not plan.fits:
            out.append(Check("fail", label, f"does not fit: {where}; " + "; ".join(plan.warnings or ["see `hearth fit`"]), d))
        elif plan.warnings:
            out.append(Check("warn", label, f"plan: {where}; " + "; ".join(plan.warnings), d))
        else:
            out.append(Check("ok", label, f"plan: {where} ({path.name}, n_ctx {plan.n_ctx})", d))
    return out
