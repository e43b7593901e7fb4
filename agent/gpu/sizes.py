"""What llama.cpp allocates for a model, part by part: the KV cache of each layer by type (sliding-window
layers sized to the window unless the cache is full-size), the compute buffer of one micro-batch, and the
runtime's fixed overhead on a GPU. The planner (:mod:`hearth.gpu.plan`) adds them up per device."""

from __future__ import annotations

import math

from hearth.gpu.probe import MiB
from hearth.gpu.shape import ModelShape

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



def row_bytes(kv_type: str, n: int) -> int:
    """Bytes of ``n`` elements of a KV cache type (``f16``: 2 each; ``q8_0``: 34 per 32; ``q4_0``: 18 per 32)."""
    block, size = KV_BLOCK[kv_type]
    return math.ceil(n / block) * size


def pad(n: int, to: int) -> int:
    return (n + to - 1) // to * to


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
