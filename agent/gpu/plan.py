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

import bisect
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hearth.errors import HearthError
from hearth.gpu.probe import GpuDevice, MemoryProbe, MiB, probe_memory
from hearth.gpu.shape import ModelShape, read_shape

if TYPE_CHECKING:
    from hearth.config import ModelConfig

# llama-cpp-python's defaults for Llama(n_batch=512, n_ubatch=512)
N_BATCH = 512
N_UBATCH = 512
CTX_PAD = 256  # llama_context pads n_ctx to a multiple of 256; the SWA cache is padded the same
# Runtime overhead beyond llama.cpp's own buffers, measured with NVML on an H100 (shared/gpu/h100-measured.md,
# tests/data/gpu/measured.json): the CUDA context, made once per process and device, and what each load adds
# on top of its buffers (cuBLAS workspace and the CUDA memory pool; without flash attention cuBLAS does the
# attention matmuls and its pool is larger).
CUDA_CONTEXT = 596 * MiB
LOAD_OVERHEAD = 16 * MiB  # with flash attention (measured 14.5 MiB)
LOAD_OVERHEAD_NO_FA = 124 * MiB  # without (measured 122.5-123 MiB)
RUNTIME_OVERHEAD = CUDA_CONTEXT + LOAD_OVERHEAD_NO_FA  # a process's first load, the worst case
FLOOR_MARGIN = 256 * MiB  # always left free on a GPU, whatever target_vram says
KV_TYPES = ("f16", "q8_0", "q4_0")
GGML_TYPE_IDS = {"f32": 0, "f16": 1, "q4_0": 2, "q8_0": 8, "bf16": 30}  # for llama_cpp's type_k / type_v
# (elements per block, bytes per block), as ggml's type traits
KV_BLOCK = {"f32": (1, 4), "f16": (1, 2), "bf16": (1, 2), "q8_0": (32, 34), "q4_0": (32, 18)}


class PlanError(HearthError):
    """A model's GPU settings cannot work as given."""

    code = "plan_invalid"


def row_bytes(kv_type: str, n: int) -> int:
    """Bytes of ``n`` elements of a KV cache type (``f16``: 2 each; ``q8_0``: 34 per 32; ``q4_0``: 18 per 32)."""
    block, size = KV_BLOCK[kv_type]
    return math.ceil(n / block) * size


def pad(n: int, to: int) -> int:
    return (n + to - 1) // to * to


@dataclass
class DevicePlan:
    """What one GPU holds under the plan (bytes)."""

    index: int
    name: str
    total_bytes: int
    free_bytes: int
    budget_bytes: int  # min(free x target_vram, free - floor margin)
    layers: int = 0  # offloaded layers on this device (the output layer counts as one)
    weights_bytes: int = 0
    kv_bytes: int = 0
    compute_bytes: int = 0
    overhead_bytes: int = 0
    host_bytes: int = 0  # unified memory (Jetson): what the CPU side takes from the same RAM

    @property
    def used_bytes(self) -> int:
        return self.weights_bytes + self.kv_bytes + self.compute_bytes + self.overhead_bytes + self.host_bytes

    @property
    def headroom_bytes(self) -> int:
        """Free memory left on the device once the model is loaded."""
        return self.free_bytes - self.used_bytes

    @property
    def fits(self) -> bool:
        return self.used_bytes <= self.budget_bytes

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "used_bytes": self.used_bytes, "headroom_bytes": self.headroom_bytes, "fits": self.fits}


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
# the parts, each as llama.cpp sizes it
# ---------------------------------------------------------------------------------------------------


def kv_cells(shape: ModelShape, n_ctx: int, *, swa_full: bool, n_ubatch: int = N_UBATCH) -> tuple[int, int]:
    """(cells of the full-attention cache, cells of the sliding-window cache).

    llama_context pads n_ctx to 256; llama_kv_cache_iswa sizes the SWA cache to
    ``pad(min(n_ctx, n_swa + n_ubatch), 256)``, or to n_ctx when the cache is full-size."""
    cells = pad(n_ctx, CTX_PAD)
    ubatch = min(n_ubatch, min(cells, N_BATCH))
    swa = cells if (swa_full or not shape.n_swa) else pad(min(cells, shape.n_swa + ubatch), CTX_PAD)
    return cells, swa


def layer_kv_bytes(shape: ModelShape, il: int, kv_type: str, cells: int, swa_cells: int) -> int:
    """KV bytes of block ``il`` (0 for a layer that reuses another layer's KV)."""
    if not shape.kv_layers[il]:
        return 0
    k, v = shape.kv_width(il)
    n = swa_cells if shape.swa_layers[il] else cells
    return n * (row_bytes(kv_type, k) + row_bytes(kv_type, v))


def naive_layer_kv_bytes(shape: ModelShape, kv_type: str, n_ctx: int) -> int:
    """The usual back-of-envelope figure: 2 x n_ctx x hidden x bytes per layer (no GQA, no window)."""
    block, size = KV_BLOCK[kv_type]
    return int(2 * n_ctx * shape.n_embd * size / block)


def compute_bytes(shape: ModelShape, cells: int, swa_cells: int, *, flash_attn: bool, output: bool,
                  kv_type: str = "f16", partial: bool = False, gpu: bool = True, n_ubatch: int = N_UBATCH) -> int:
    """The compute buffer llama.cpp reserves for a worst-case micro-batch on one device.

    The graph allocator reuses memory, so the buffer is the biggest live set of one phase
    (checked against llama.cpp's own figures on the CPU and CUDA, tests/data/gpu/measured.json):

    - output, where the output layer is: the n_ubatch x n_vocab f32 logits and one hidden state;
    - attention without flash attention: the n_head x n_ubatch x n_kv f32 scores, the f32 masks,
      four hidden states and the K/V views of one micro-batch;
    - attention with flash attention: the f16 masks and four hidden states, and on a GPU with a
      quantized KV cache, one layer's K and V converted to f16 for the kernel (n_kv x width x 2);
    - the feed-forward block: three n_ubatch x n_ff f32 tensors and two hidden states.

    ``partial``: this GPU holds some layers and the CPU the rest; the scheduler then keeps its
    own copies of the masks and of the split layer's feed-forward input on the GPU.
    """
    ub = min(n_ubatch, cells, N_BATCH)
    f32 = 4
    hidden = ub * shape.n_embd * f32
    heads = max(shape.n_head)
    hk = max(shape.head_k)
    hv = max(shape.head_v)
    kv_heads = max(shape.n_head_kv)
    has_swa = any(shape.swa_layers) and swa_cells != cells
    mask_cells = cells + (swa_cells if has_swa else 0)
    if flash_attn:
        masks = ub * mask_cells * 2
        convert = cells * kv_heads * (hk + hv) * 2 if (gpu and kv_type != "f16") else 0
        attn = masks + convert + 4 * hidden
    else:
        masks = ub * mask_cells * f32
        attn = heads * ub * cells * f32 + masks + 4 * hidden + ub * kv_heads * (hk + hv) * f32
    ffn = 3 * ub * shape.n_ff * f32 + 2 * hidden
    out = ub * shape.n_vocab * f32 + hidden if output else 0
    total = max(out, attn, ffn)
    if partial and gpu:
        total += masks + 2 * ub * shape.n_ff * f32
    return total


def load_overhead(flash_attn: bool, *, context: bool) -> int:
    """What a load takes on a GPU beyond its buffers; ``context``: count the CUDA context too (the
    process's first load on that device)."""
    return (CUDA_CONTEXT if context else 0) + (LOAD_OVERHEAD if flash_attn else LOAD_OVERHEAD_NO_FA)


# ---------------------------------------------------------------------------------------------------
# placing layers
# ---------------------------------------------------------------------------------------------------


def assign_layers(n_layer: int, k: int, splits: list[float]) -> dict[int, int]:
    """{layer index: device position} for ``n_gpu_layers = k``, as llama.cpp assigns them.

    Layers ``n_layer + 1 - k .. n_layer`` are offloaded (``n_layer`` is the output layer); with
    several devices each goes to the first whose cumulative split share exceeds its position."""
    k = max(0, min(k, n_layer + 1))
    if k == 0 or not splits:
        return {}
    total = sum(splits)
    cum, acc = [], 0.0
    for s in splits:
        acc += s
        cum.append(acc / total)
    start = n_layer + 1 - k
    return {il: min(bisect.bisect_right(cum, (il - start) / k), len(splits) - 1) for il in range(start, n_layer + 1)}


@dataclass
class _Setup:
    shape: ModelShape
    kv_type: str
    flash_attn: bool
    cells: int
    swa_cells: int
    devices: list[GpuDevice]
    budgets: list[int]
    splits: list[float]
    unified: bool
    naive_kv: int | None = None  # per layer, when planning the naive way
    context: bool = True  # count the CUDA context (the process's first load on the device)


def _layout(s: _Setup, k: int) -> tuple[list[DevicePlan], dict[str, int]]:
    shape = s.shape
    where = assign_layers(shape.n_layer, k, s.splits)
    plans = [DevicePlan(d.index, d.name, d.total_bytes, d.free_bytes, b) for d, b in zip(s.devices, s.budgets, strict=True)]
    host = {"weights_bytes": shape.input_bytes, "kv_bytes": 0, "compute_bytes": 0}

    def kv(il: int) -> int:
        if s.naive_kv is not None:
            return s.naive_kv
        return layer_kv_bytes(shape, il, s.kv_type, s.cells, s.swa_cells)

    for il in range(shape.n_layer):
        if il in where:
            p = plans[where[il]]
            p.layers += 1
            p.weights_bytes += shape.block_bytes[il]
            p.kv_bytes += kv(il)
        else:
            host["weights_bytes"] += shape.block_bytes[il]
            host["kv_bytes"] += kv(il)
    out_dev = where.get(shape.n_layer)
    if out_dev is not None:
        plans[out_dev].layers += 1
        plans[out_dev].weights_bytes += shape.output_bytes
    else:  # a tied output reads token_embd in place on the CPU
        host["weights_bytes"] += shape.output_bytes - shape.tied_bytes
    on_cpu = out_dev is None or any(il not in where for il in range(shape.n_layer))
    for i, p in enumerate(plans):
        if p.layers:
            p.compute_bytes = compute_bytes(shape, s.cells, s.swa_cells, flash_attn=s.flash_attn, output=(i == out_dev),
                                            kv_type=s.kv_type, partial=on_cpu)
            p.overhead_bytes = load_overhead(s.flash_attn, context=s.context)
    if on_cpu:
        host["compute_bytes"] = compute_bytes(shape, s.cells, s.swa_cells, flash_attn=s.flash_attn,
                                              output=out_dev is None, kv_type=s.kv_type, gpu=False)
    elif s.unified and plans:
        # the pinned host-side compute buffer llama.cpp keeps even with every layer on the GPU
        host["compute_bytes"] = min(s.cells, N_UBATCH) * s.cells * 4 + 20 * MiB
    if s.unified and plans:
        plans[0].host_bytes = sum(host.values())
    return plans, host


def _most_layers(s: _Setup) -> int:
    for k in range(s.shape.n_layer + 1, 0, -1):
        plans, _ = _layout(s, k)
        if all(p.fits for p in plans):
            return k
    return 0


# ---------------------------------------------------------------------------------------------------
# the planner
# ---------------------------------------------------------------------------------------------------


def budget_for(free: int, target: float) -> int:
    return max(0, min(int(free * target), free - FLOOR_MARGIN))


def plan_shape(shape: ModelShape, probe: MemoryProbe, *, num_gpu: int = -1, n_ctx: int = 4096, kv_cache: str = "f16",
               flash_attn: bool = False, target_vram: float = 0.8, gpu_id: int | None = None,
               tensor_split: list[float] | None = None, swa_full: bool = True, gpu_offload: bool = True,
               model: str = "", where: str = "", context_loaded: bool = False, alternatives: bool = True) -> Plan:
    """Plan a model of this shape on the probed machine; see :func:`plan_model`.

    ``context_loaded``: the process already holds a CUDA context on the GPUs (another model was
    loaded first), so only what this load adds is counted. ``alternatives``: when not every layer
    fits, work out the settings at which they would (``Plan.alternatives``)."""
    where = where or "the model"
    if kv_cache not in KV_BLOCK:
        raise PlanError(f"{where}: kv_cache {kv_cache!r} is not one of {', '.join(KV_TYPES)}", "config_invalid")
    if kv_cache != "f16" and not flash_attn:
        raise PlanError(f"{where}: kv_cache = {kv_cache!r} needs flash_attn = true: llama.cpp can quantize the V cache "
                        "only with flash attention; set flash_attn = true or use kv_cache = \"f16\"", "kv_needs_flash_attn")
    if not 0.05 <= target_vram <= 1.0:
        raise PlanError(f"{where}: target_vram {target_vram} must be between 0.05 and 1.0", "config_invalid")
    warnings: list[str] = []
    devices = list(probe.devices)
    split_mode = "layer"
    main_gpu = 0
    if gpu_id is not None:
        pinned = [d for d in devices if d.index == gpu_id]
        if devices and not pinned:
            raise PlanError(f"{where}: gpu_id = {gpu_id} but the GPUs here are "
                            f"{', '.join(str(d.index) for d in devices)}; pick one of them or remove gpu_id", "gpu_missing")
        devices, split_mode, main_gpu = pinned, "none", gpu_id
    if not gpu_offload and devices and num_gpu != 0:
        warnings.append("this llama-cpp-python build cannot offload to a GPU (built for the CPU only): everything runs "
                        "on the CPU; reinstall it with CMAKE_ARGS=\"-DGGML_CUDA=on\" to use the GPU")
        devices = []
    budgets = [budget_for(d.free_bytes, target_vram) for d in devices]
    if tensor_split is not None and gpu_id is None:
        if len(tensor_split) != len(devices) or any(x < 0 for x in tensor_split) or not any(tensor_split):
            raise PlanError(f"{where}: tensor_split {tensor_split} needs one non-negative share per GPU "
                            f"({len(devices)} here), not all zero", "config_invalid")
        splits = list(tensor_split)
    else:
        splits = [float(b) for b in budgets] if any(budgets) else [1.0] * len(devices)
    cells, swa_cells = kv_cells(shape, n_ctx, swa_full=swa_full)
    setup = _Setup(shape, kv_cache, flash_attn, cells, swa_cells, devices, budgets, splits, probe.unified,
                   context=not context_loaded)
    n_layers = shape.n_layer + 1
    best = _most_layers(setup) if devices else 0
    if num_gpu == -1:
        k = best
        if devices and best == 0:
            warnings.append(f"not even the output layer fits under target_vram = {target_vram:g} of the free GPU memory "
                            f"({', '.join(f'{b / MiB:.0f} MiB' for b in budgets)}): everything runs on the CPU")
    else:
        k = min(num_gpu, n_layers) if devices else 0
        if num_gpu > 0 and not devices and gpu_offload:
            warnings.append(f"num_gpu = {num_gpu} but there is no GPU here: everything runs on the CPU")
    plans, host = _layout(setup, k)
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
    # the whole model in one place, for people sizing a machine
    all_kv = sum(layer_kv_bytes(shape, il, kv_cache, cells, swa_cells) for il in range(shape.n_layer))
    needs = {"weights_bytes": shape.file_bytes, "kv_bytes": all_kv,
             "compute_bytes": compute_bytes(shape, cells, swa_cells, flash_attn=flash_attn, output=True, kv_type=kv_cache)}
    naive_kv = naive_layer_kv_bytes(shape, kv_cache, n_ctx)
    naive_setup = _Setup(shape, kv_cache, flash_attn, cells, swa_cells, devices, budgets, splits, probe.unified, naive_kv,
                         context=not context_loaded)
    naive = {"kv_bytes": naive_kv * shape.n_layer, "n_gpu_layers": _most_layers(naive_setup) if devices else 0}
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


# ---------------------------------------------------------------------------------------------------
# out-of-memory on load: step down and retry
# ---------------------------------------------------------------------------------------------------

# What llama.cpp logs when an allocation fails (CUDA, Vulkan, Metal, CPU)
_OOM = re.compile(r"out of memory|cudaMalloc failed|failed to allocate|unable to allocate|insufficient memory|"
                  r"ErrorOutOfDeviceMemory|not enough memory|failed to create.*buffer", re.I)
# What llama-cpp-python raises when llama.cpp returns no model or no context
_LOAD_FAILED = re.compile(r"Failed to (load model from file|create llama_context)")


def is_out_of_memory(err: BaseException, log_lines: list[str]) -> bool:
    """Did this load fail for memory? llama-cpp-python raises a bare ``ValueError`` ("Failed to
    load model from file" / "Failed to create llama_context"); llama.cpp's own log says why."""
    if isinstance(err, MemoryError):
        return True
    if not isinstance(err, ValueError) or not _LOAD_FAILED.search(str(err)):
        return False
    return any(_OOM.search(line) for line in log_lines)


def oom_reason(err: BaseException, log_lines: list[str]) -> str:
    """The line that says what ran out, for the error message."""
    line = next((x for x in reversed(log_lines) if _OOM.search(x)), None)
    return line or f"{type(err).__name__}: {err}"


def step_down(n_gpu_layers: int) -> int | None:
    """The next, smaller layer count to try after an out-of-memory load (a quarter fewer, at
    least one), down to 0 (CPU only); ``None`` when already on the CPU."""
    if n_gpu_layers <= 0:
        return None
    return max(0, n_gpu_layers - max(1, math.ceil(n_gpu_layers / 4)))
