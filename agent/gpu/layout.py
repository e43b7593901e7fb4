"""Placing layers: which device holds which of a model's layers for ``n_gpu_layers = k`` (as llama.cpp
assigns them), what each device then holds, and the most layers that fit every device's budget."""

from __future__ import annotations

import bisect
from dataclasses import asdict, dataclass
from typing import Any

from hearth.gpu.probe import GpuDevice, MiB
from hearth.gpu.shape import ModelShape
from hearth.gpu.sizes import N_UBATCH, compute_bytes, layer_kv_bytes, load_overhead


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
class Setup:
    """One planning problem: the model, the cache and attention settings, the devices and their budgets."""

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


def layout(s: Setup, k: int) -> tuple[list[DevicePlan], dict[str, int]]:
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


def most_layers(s: Setup) -> int:
    for k in range(s.shape.n_layer + 1, 0, -1):
        plans, _ = layout(s, k)
        if all(p.fits for p in plans):
            return k
    return 0
