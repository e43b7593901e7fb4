"""The layer-fit planner: how many layers go to the GPU(s), counted the way llama.cpp allocates.

Per device: the weights of the offloaded blocks and of the output layer, the KV cache of those
layers by type (sliding-window layers sized to the window unless the cache is full-size), the
compute buffer, and the runtime's fixed overhead. ``num_gpu = -1`` picks the most layers that fit
under ``target_vram`` of each device's free memory; an explicit ``num_gpu`` is honoured exactly,
with a warning when it will not fit.

Layer numbering follows llama.cpp (``llama_model::load_tensors``): there are ``n_layer + 1``
offloadable layers, the blocks and then the output layer, and ``n_gpu_layers = k`` puts the output
layer and the last ``k - 1`` blocks on the GPU(s). The token embeddings always stay on the CPU.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hearth.errors import HearthError
from hearth.gpu.layout import DevicePlan, Setup, assign_layers, layout, most_layers
from hearth.gpu.oom import is_out_of_memory, oom_reason, step_down
from hearth.gpu.probe import GpuDevice, MemoryProbe, MiB, probe_memory
from hearth.gpu.shape import ModelShape, read_shape
from hearth.gpu.sizes import (
    CTX_PAD,
    FLOOR_MARGIN,
    GGML_TYPE_IDS,
    KV_BLOCK,
    KV_TYPES,
    RUNTIME_OVERHEAD,
    compute_bytes,
    kv_cells,
    layer_kv_bytes,
    naive_layer_kv_bytes,
    pad,
    row_bytes,
)

# named here too: they were defined in this module before sizes, layout and oom had modules of their own
__all__ = ["CTX_PAD", "FLOOR_MARGIN", "GGML_TYPE_IDS", "KV_BLOCK", "KV_TYPES", "RUNTIME_OVERHEAD", "DevicePlan", "Plan",
           "PlanError", "assign_layers", "budget_for", "compute_bytes", "fit_alternatives", "is_out_of_memory", "kv_cells",
           "layer_kv_bytes", "llama_gpu_offload", "naive_layer_kv_bytes", "oom_reason", "pad", "plan_model", "plan_shape",
           "row_bytes", "step_down"]

if TYPE_CHECKING:
    from hearth.config import ModelConfig

class PlanError(HearthError):
    """A model's GPU settings cannot work as given."""

    code = "plan_invalid"


@dataclass
class Plan:
    """The plan for one model on one machine. Byte totals are over the GPU devices."""

    model: str
    arch: str
    n_layers: int  # offloadable layers: blocks + output
    n_gpu_layers: int
    fits: bool
    devices: list[DevicePlan]
    warnings: list[str] = field(default_factory=list)
    source: str = "cpu"
    note: str = ""
    num_gpu: int = -1
    n_ctx: int = 0
    n_ctx_cells: int = 0
    swa_cells: int = 0
    kv_cache: str = "f16"
    flash_attn: bool = False
    swa_full: bool = True
    tensor_split: list[float] | None = None
    main_gpu: int = 0
    split_mode: str = "layer"  # "none": one GPU only (gpu_id); "layer": layers split over the devices
    host: dict[str, int] = field(default_factory=dict)  # what stays in host RAM (CPU layers, embeddings)
    host_available_bytes: int | None = None
    needs: dict[str, int] = field(default_factory=dict)  # the whole model on one device: weights, kv, compute
    naive: dict[str, Any] = field(default_factory=dict)  # what "2 x n_ctx x hidden x bytes" would have chosen
    steps: list[str] = field(default_factory=list)  # step-downs taken on load
    alternatives: list[str] = field(default_factory=list)  # settings at which every layer would fit, one a line

    @property
    def weights_bytes(self) -> int:
        return sum(d.weights_bytes for d in self.devices)

    @property
    def kv_bytes(self) -> int:
        return sum(d.kv_bytes for d in self.devices)

    @property
    def compute_bytes(self) -> int:
        return sum(d.compute_bytes for d in self.devices)

    @property
    def overhead_bytes(self) -> int:
        return sum(d.overhead_bytes for d in self.devices)

    def llama_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``llama_cpp.Llama`` that apply this plan."""
        import llama_cpp
        kw: dict[str, Any] = {
            "n_gpu_layers": self.n_gpu_layers, "n_ctx": self.n_ctx, "flash_attn": self.flash_attn,
            "type_k": GGML_TYPE_IDS[self.kv_cache], "type_v": GGML_TYPE_IDS[self.kv_cache], "swa_full": self.swa_full,
        }
        if self.n_gpu_layers:
            kw["main_gpu"] = self.main_gpu
            if self.split_mode == "none":
                kw["split_mode"] = llama_cpp.LLAMA_SPLIT_MODE_NONE
            elif self.tensor_split:
                kw["tensor_split"] = list(self.tensor_split)
        return kw

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model, "arch": self.arch, "source": self.source, "note": self.note,
            "num_gpu": self.num_gpu, "n_gpu_layers": self.n_gpu_layers, "n_layers": self.n_layers, "fits": self.fits,
            "n_ctx": self.n_ctx, "n_ctx_cells": self.n_ctx_cells, "swa_cells": self.swa_cells,
            "kv_cache": self.kv_cache, "flash_attn": self.flash_attn, "swa_full": self.swa_full,
            "tensor_split": self.tensor_split, "main_gpu": self.main_gpu, "split_mode": self.split_mode,
            "weights_bytes": self.weights_bytes, "kv_bytes": self.kv_bytes, "compute_bytes": self.compute_bytes,
            "overhead_bytes": self.overhead_bytes, "devices": [d.to_dict() for d in self.devices],
            "host": self.host, "host_available_bytes": self.host_available_bytes, "needs": self.needs,
            "naive": self.naive, "warnings": list(self.warnings), "steps": list(self.steps),
            "alternatives": list(self.alternatives),
        }


# ---------------------------------------------------------------------------------------------------
# the planner
# ---------------------------------------------------------------------------------------------------


def budget_for(free: int, target: float) -> int:
    return max(0, min(int(free * target), free - FLOOR_MARGIN))


def _check_settings(where: str, kv_cache: str, flash_attn: bool, target_vram: float) -> None:
    """Refuse settings that cannot work: an unknown cache type, a quantized V cache without flash
    attention, a target share out of range."""
    if kv_cache not in KV_BLOCK:
        raise PlanError(f"{where}: kv_cache {kv_cache!r} is not one of {', '.join(KV_TYPES)}", "config_invalid")
    if kv_cache != "f16" and not flash_attn:
        raise PlanError(f"{where}: kv_cache = {kv_cache!r} needs flash_attn = true: llama.cpp can quantize the V cache "
                        "only with flash attention; set flash_attn = true or use kv_cache = \"f16\"", "kv_needs_flash_attn")
    if not 0.05 <= target_vram <= 1.0:
        raise PlanError(f"{where}: target_vram {target_vram} must be between 0.05 and 1.0", "config_invalid")


def _devices(probe: MemoryProbe, where: str, gpu_id: int | None) -> tuple[list[GpuDevice], str, int]:
    """(the devices to plan on, llama.cpp's split mode, its main GPU): every GPU split by layer, or
    the one ``gpu_id`` names."""
    devices = list(probe.devices)
    if gpu_id is None:
        return devices, "layer", 0
    pinned = [d for d in devices if d.index == gpu_id]
    if devices and not pinned:
        raise PlanError(f"{where}: gpu_id = {gpu_id} but the GPUs here are "
                        f"{', '.join(str(d.index) for d in devices)}; pick one of them or remove gpu_id", "gpu_missing")
    return pinned, "none", gpu_id


def _splits(where: str, tensor_split: list[float] | None, n_devices: int, budgets: list[int]) -> list[float]:
    """Each device's share of the layers: ``tensor_split`` as given, else in proportion to the budgets."""
    if tensor_split is not None:
        if len(tensor_split) != n_devices or any(x < 0 for x in tensor_split) or not any(tensor_split):
            raise PlanError(f"{where}: tensor_split {tensor_split} needs one non-negative share per GPU "
                            f"({n_devices} here), not all zero", "config_invalid")
        return list(tensor_split)
    return [float(b) for b in budgets] if any(budgets) else [1.0] * n_devices


def _needs(shape: ModelShape, kv_cache: str, flash_attn: bool, cells: int, swa_cells: int) -> dict[str, int]:
    """The whole model in one place, for people sizing a machine."""
    all_kv = sum(layer_kv_bytes(shape, il, kv_cache, cells, swa_cells) for il in range(shape.n_layer))
    return {"weights_bytes": shape.file_bytes, "kv_bytes": all_kv,
            "compute_bytes": compute_bytes(shape, cells, swa_cells, flash_attn=flash_attn, output=True, kv_type=kv_cache)}


def plan_shape(shape: ModelShape, probe: MemoryProbe, *, num_gpu: int = -1, n_ctx: int = 4096, kv_cache: str = "f16",
               flash_attn: bool = False, target_vram: float = 0.8, gpu_id: int | None = None,
               tensor_split: list[float] | None = None, swa_full: bool = True, gpu_offload: bool = True,
               model: str = "", where: str = "", context_loaded: bool = False, alternatives: bool = True) -> Plan:
    """Plan a model of this shape on the probed machine; see :func:`plan_model`.

    ``context_loaded``: the process already holds a CUDA context on the GPUs (another model was
    loaded first), so only what this load adds is counted. ``alternatives``: when not every layer
    fits, work out the settings at which they would (``Plan.alternatives``)."""
    where = where or "the model"
    _check_settings(where, kv_cache, flash_attn, target_vram)
    warnings: list[str] = []
    devices, split_mode, main_gpu = _devices(probe, where, gpu_id)
    if not gpu_offload and devices and num_gpu != 0:
        warnings.append("this llama-cpp-python build cannot offload to a GPU (built for the CPU only): everything runs "
                        "on the CPU; reinstall it with CMAKE_ARGS=\"-DGGML_CUDA=on\" to use the GPU")
        devices = []
    budgets = [budget_for(d.free_bytes, target_vram) for d in devices]
    splits = _splits(where, tensor_split if gpu_id is None else None, len(devices), budgets)
    cells, swa_cells = kv_cells(shape, n_ctx, swa_full=swa_full)
    setup = Setup(shape, kv_cache, flash_attn, cells, swa_cells, devices, budgets, splits, probe.unified,
                   context=not context_loaded)
    n_layers = shape.n_layer + 1
    best = most_layers(setup) if devices else 0
    if num_gpu == -1:
        k = best
        if devices and best == 0:
            warnings.append(f"not even the output layer fits under target_vram = {target_vram:g} of the free GPU memory "
                            f"({', '.join(f'{b / MiB:.0f} MiB' for b in budgets)}): everything runs on the CPU")
    else:
        k = min(num_gpu, n_layers) if devices else 0
        if num_gpu > 0 and not devices and gpu_offload:
            warnings.append(f"num_gpu = {num_gpu} but there is no GPU here: everything runs on the CPU")
    plans, host = layout(setup, k)
    fits = all(p.fits for p in plans)
    if num_gpu > 0 and devices and not fits:
        worst = max(plans, key=lambda p: p.used_bytes - p.budget_bytes)
        warnings.append(f"num_gpu = {num_gpu} will not fit: GPU {worst.index} needs {worst.used_bytes / MiB:.0f} MiB, "
                        f"its budget is {worst.budget_bytes / MiB:.0f} MiB ({worst.free_bytes / MiB:.0f} MiB free x "
                        f"target_vram {target_vram:g}); at most {best} of {n_layers} layers fit (num_gpu = -1 picks that)")
    host_avail = probe.host_available_bytes
    if not probe.unified and host_avail is not None:
        host_need = sum(host.values())
        if host_need > host_avail:
            fits = False
            warnings.append(f"the CPU side needs {host_need / MiB:.0f} MiB of RAM but {host_avail / MiB:.0f} MiB is "
                            "available; lower n_ctx, use a quantized KV cache or a smaller model")
    needs = _needs(shape, kv_cache, flash_attn, cells, swa_cells)
    naive_kv = naive_layer_kv_bytes(shape, kv_cache, n_ctx)
    naive_setup = Setup(shape, kv_cache, flash_attn, cells, swa_cells, devices, budgets, splits, probe.unified, naive_kv,
                         context=not context_loaded)
    naive = {"kv_bytes": naive_kv * shape.n_layer, "n_gpu_layers": most_layers(naive_setup) if devices else 0}
    alts: list[str] = []
    if alternatives and devices and best < n_layers:
        alts = fit_alternatives(shape, probe, n_ctx=n_ctx, kv_cache=kv_cache, flash_attn=flash_attn,
                                target_vram=target_vram, gpu_id=gpu_id, tensor_split=tensor_split, swa_full=swa_full,
                                context_loaded=context_loaded)
    return Plan(
        alternatives=alts,
        model=model, arch=shape.arch, n_layers=n_layers, n_gpu_layers=k, fits=fits, devices=plans, warnings=warnings,
        source=probe.source, note=probe.note, num_gpu=num_gpu, n_ctx=n_ctx, n_ctx_cells=cells, swa_cells=swa_cells,
        kv_cache=kv_cache, flash_attn=flash_attn, swa_full=swa_full,
        tensor_split=[round(x / sum(splits), 4) for x in splits] if len(devices) > 1 and k else None,
        main_gpu=main_gpu, split_mode=split_mode, host=host, host_available_bytes=host_avail, needs=needs, naive=naive,
    )


def fit_alternatives(shape: ModelShape, probe: MemoryProbe, *, n_ctx: int, kv_cache: str, flash_attn: bool,
                     target_vram: float, gpu_id: int | None = None, tensor_split: list[float] | None = None,
                     swa_full: bool = True, context_loaded: bool = False) -> list[str]:
    """What to change so that every layer fits on the GPU(s), one setting a line, each enough on its
    own: the largest n_ctx at these settings, a quantized KV cache at this n_ctx, the target share.
    Empty when nothing helps (the weights alone do not fit)."""
    every = shape.n_layer + 1

    def all_fit(**change: Any) -> bool:
        settings: dict[str, Any] = dict(n_ctx=n_ctx, kv_cache=kv_cache, flash_attn=flash_attn, target_vram=target_vram,
                                        gpu_id=gpu_id, tensor_split=tensor_split, swa_full=swa_full)
        settings.update(change)
        try:
            plan = plan_shape(shape, probe, context_loaded=context_loaded, alternatives=False, **settings)
        except PlanError:
            return False
        return plan.n_gpu_layers == every

    lines: list[str] = []
    lo, hi = 0, pad(n_ctx, CTX_PAD) // CTX_PAD - 1  # n_ctx in steps of 256 below the current one
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if all_fit(n_ctx=mid * CTX_PAD) else (lo, mid - 1)
    if lo:
        lines.append(f"n_ctx = {lo * CTX_PAD} (now {n_ctx})")
    for kv in ("q8_0", "q4_0"):
        if KV_TYPES.index(kv) > KV_TYPES.index(kv_cache) and all_fit(kv_cache=kv, flash_attn=True):
            extra = "" if flash_attn else " with flash_attn = true"
            lines.append(f"kv_cache = \"{kv}\"{extra} (now \"{kv_cache}\")")
            break
    for step in range(int(target_vram * 100) + 1, 101):
        if all_fit(target_vram=step / 100):
            lines.append(f"target_vram = {step / 100:g} (now {target_vram:g}), leaving less for other programs")
            break
    return lines


def plan_model(cfg: ModelConfig, model_path: Path, *, probe: MemoryProbe | None = None,
               gpu_offload: bool | None = None, name: str | None = None,
               tensor_split: list[float] | None = None, swa_full: bool = True) -> Plan:
    """The GPU plan for a models.toml entry and its GGUF file.

    ``tensor_split`` and ``swa_full`` are llama.cpp's own keys (its backend settings); the
    llama.cpp backend passes them.

    ``probe``: the machine to plan for (default: this one, :func:`probe_memory`).
    ``gpu_offload``: whether llama.cpp can offload; default: asked of llama-cpp-python when
    probing this machine, assumed when a probe is given (planning for another machine).
    Raises :class:`PlanError` for settings that cannot work (a quantized V cache without flash
    attention, a gpu_id that is not there) and ``ModelShapeError`` for an unreadable file.
    """
    if probe is None:
        probe = probe_memory()
        if gpu_offload is None:
            gpu_offload = llama_gpu_offload()
    shape = read_shape(model_path)
    where = f"[models.{name}]" if name else str(model_path.name)
    return plan_shape(shape, probe, num_gpu=cfg.num_gpu, n_ctx=cfg.n_ctx, kv_cache=cfg.kv_cache,
                      flash_attn=cfg.flash_attn, target_vram=cfg.target_vram, gpu_id=cfg.gpu_id,
                      tensor_split=tensor_split, swa_full=swa_full,
                      gpu_offload=True if gpu_offload is None else gpu_offload, model=str(model_path), where=where)


def llama_gpu_offload() -> bool:
    """Whether the installed llama-cpp-python was built with a GPU backend."""
    try:
        import llama_cpp
        return bool(llama_cpp.llama_supports_gpu_offload())
    except ImportError:
        return False
