"""Loading a GGUF into llama.cpp: the model file and its checks, the GPU plan, and the load itself,
retried with fewer GPU layers while llama.cpp runs out of memory (the plan said how many should fit;
a plan that was wrong is logged loudly, to be reported).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from hearth import ModelConfig, ModelLoadError
from hearth.kit import Progress

from .model_files import resolve_model, sha256_of
from .threads import physical_cores
from .workarounds import LineCatcher, extra_buffer_types_ok, model_params

log = logging.getLogger("hearth.plugins.llamacpp")

KV_TYPES = {"f16": 1, "q8_0": 8, "q4_0": 2}  # ggml_type values


def checked_model_file(name: str, cfg: ModelConfig, progress: Progress | None) -> Path:
    """The model's GGUF (fetched or assembled if need be), its sha256 checked when configured, and the
    KV cache settings checked against what llama.cpp can do."""
    path = resolve_model(cfg.model, progress)
    if cfg.sha256:
        if progress:
            progress(f"checking sha256 of {path.name}", None)
        digest = sha256_of(path)
        if digest != cfg.sha256:
            raise ModelLoadError(f"{path} has sha256 {digest}, expected {cfg.sha256}; the file is corrupt or not the one configured", "model_checksum")
    if cfg.kv_cache != "f16" and not cfg.flash_attn:
        raise ModelLoadError(f"[models.{name}] kv_cache = {cfg.kv_cache!r} needs flash_attn = true "
                             "(llama.cpp cannot quantize the V cache without flash attention)", "config_invalid")
    return path


def gpu_plan(name: str, cfg: ModelConfig, options: Any, path: Path, progress: Progress | None) -> tuple[Any, dict[str, Any]]:
    """The GPU plan (``hearth.gpu``; None when the model's shape cannot be read) and llama.cpp's GPU
    arguments from it: layers, split, main GPU."""
    from hearth.kit import ModelShapeError, PlanError, plan_model
    try:
        plan = plan_model(cfg, path, name=name, tensor_split=options.tensor_split, swa_full=options.swa_full)
    except PlanError as err:
        raise ModelLoadError(str(err), err.code) from err
    except ModelShapeError as err:  # llama.cpp may still read it: offload as configured
        log.warning("[models.%s] no GPU plan (%s); num_gpu = %s passed to llama.cpp as is", name, err, cfg.num_gpu)
        return None, {"n_gpu_layers": -1 if cfg.num_gpu in (-1, 99) else cfg.num_gpu}
    for w in plan.warnings:
        log.warning("[models.%s] %s", name, w)
        if progress:
            progress(w, None)
    if progress and plan.devices:
        progress(f"{plan.n_gpu_layers} of {plan.n_layers} layers on the GPU", None)
    return plan, plan.llama_kwargs()


def open_model(name: str, cfg: ModelConfig, path: Path, kwargs: dict[str, Any], plan: Any,
               progress: Progress | None) -> Any:
    """``llama_cpp.Llama`` on ``path``; while it runs out of memory, again with fewer GPU layers
    (``kwargs["n_gpu_layers"]`` is left at the number that loaded; each step is noted on ``plan``)."""
    import llama_cpp
    llama_errors: list[str] = []
    catcher = LineCatcher(llama_errors)
    while True:
        llama_errors.clear()
        log.addHandler(catcher)
        try:
            with model_params(extra_buffer_types_ok()):
                return llama_cpp.Llama(model_path=str(path), n_threads=cfg.n_threads or physical_cores(),
                                       n_threads_batch=cfg.n_threads or physical_cores(), seed=cfg.seed,
                                       verbose=False, **kwargs)
        except Exception as err:  # llama.cpp raises ValueError("Failed to load model from file")
            kwargs["n_gpu_layers"] = _fewer_layers(name, cfg, path, err, llama_errors, kwargs["n_gpu_layers"], plan,
                                                   progress)
        finally:
            log.removeHandler(catcher)


def _fewer_layers(name: str, cfg: ModelConfig, path: Path, err: Exception, llama_errors: list[str], layers: int,
                  plan: Any, progress: Progress | None) -> int:
    """After a failed load: the GPU layers to try next, or the error to raise (not out of memory, or
    out of memory even on the CPU)."""
    from hearth.kit import is_out_of_memory, oom_reason, step_down
    if not is_out_of_memory(err, llama_errors):
        raise ModelLoadError(f"llama.cpp could not load {path}: {err}", "model_load_failed") from err
    fewer = step_down(layers if layers >= 0 else 128)
    if fewer is None:
        raise ModelLoadError(
            f"[models.{name}] does not fit in memory even on the CPU (n_ctx = {cfg.n_ctx}, kv_cache = "
            f"{cfg.kv_cache!r}): {oom_reason(err, llama_errors)}; lower n_ctx, use kv_cache = "
            "\"q8_0\" with flash_attn = true, or a smaller model", "model_out_of_memory") from err
    note = f"out of memory with {layers} GPU layers; retrying with {fewer}"
    log.warning("[models.%s] %s", name, note)
    if plan is not None and plan.n_gpu_layers == layers and not plan.steps:
        # the planner said this would fit: the plan under-estimated this machine, say so loudly
        log.warning("[models.%s] the GPU plan was wrong: it expected %d layers to fit (%.0f MiB on the "
                    "GPU); please report `hearth fit %s --json` with this log", name, layers,
                    sum(d.used_bytes for d in plan.devices) / (1 << 20), name)
    if plan is not None:
        plan.steps.append(note)
    if progress:
        progress(note, None)
    return fewer
