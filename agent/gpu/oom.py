"""A model load that ran out of memory: how to tell (llama.cpp's log) and the smaller layer count to
try next."""

from __future__ import annotations

import math
import re

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
