"""A model's shape, read from the GGUF file itself with the ``gguf`` package's ``GGUFReader``.

What the planner needs: layers, heads and KV heads per layer, key and value lengths, the sliding
window and which layers use it (Gemma 2/3/3n), layers that reuse another layer's KV (Gemma 3n),
the real tensor bytes of each block, and the embedding and output tensors.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hearth.errors import HearthError

log = logging.getLogger(__name__)

SHAPE_VERSION = 2


class ModelShapeError(HearthError):
    """The model file is not a GGUF the planner can read."""

    code = "model_shape_unreadable"


# Sliding-window layout where the GGUF carries only the window size: llama.cpp's
# ``set_swa_pattern(n)`` (every n-th layer is global, the others slide).
SWA_PATTERN = {"gemma2": 2, "gemma3": 6, "gemma3n": 5, "cohere2": 4, "exaone4": 4}
# Gemma 3n: layers from this index on reuse the KV of earlier layers (llama.cpp hard-codes 20).
KV_FROM_START = {"gemma3n": 20}


@dataclass(frozen=True)
class ModelShape:
    """Per-layer lists have ``n_layer`` entries (the repeating blocks, not the output layer)."""

    arch: str
    name: str
    n_layer: int
    n_embd: int
    n_vocab: int
    n_ff: int
    n_ctx_train: int
    n_head: list[int]
    n_head_kv: list[int]
    head_k: list[int]  # key length per layer (Gemma 4 style models differ on sliding layers)
    head_v: list[int]
    n_swa: int  # sliding window in tokens; 0: none
    swa_layers: list[bool]
    kv_layers: list[bool]  # False: the layer reuses an earlier layer's KV (Gemma 3n)
    block_bytes: list[int]  # tensor bytes of each block ``blk.N.*``
    input_bytes: int  # token embeddings (and per-layer embeddings): always on the CPU in llama.cpp
    output_bytes: int  # output norm and output matrix as placed on the output layer's device
    output_tied: bool  # no output.weight: llama.cpp reuses token_embd (a copy goes to the output device)
    tied_bytes: int  # the token_embd bytes counted in output_bytes when tied (not copied while on the CPU)
    file_bytes: int  # sum of all tensor bytes in the file (what a CPU load maps)

    @property
    def weights_bytes(self) -> int:
        return self.file_bytes

    def kv_width(self, il: int) -> tuple[int, int]:
        """(K, V) elements per token for layer ``il``."""
        return self.head_k[il] * self.n_head_kv[il], self.head_v[il] * self.n_head_kv[il]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _arr(value: Any, n: int, default: int) -> list[int]:
    if value is None:
        return [default] * n
    if isinstance(value, (list, tuple)):
        vals = [int(v) for v in value]
        return (vals + [vals[-1] if vals else default] * n)[:n]
    return [int(value)] * n


def _field(reader: Any, key: str) -> Any:
    f = reader.fields.get(key)
    if f is None:
        return None
    value = f.contents()
    return value


def read_shape(path: str | Path, *, cache_dir: str | Path | None = None) -> ModelShape:
    """The shape of the GGUF at ``path``. Reading a file with a big vocabulary takes seconds, so
    the result is cached in ``cache_dir`` (default ``$HEARTH_HOME/cache/gguf``) keyed by path, size and mtime."""
    path = Path(path)
    try:
        st = path.stat()
    except OSError as err:
        raise ModelShapeError(f"model file {path} cannot be read ({err.strerror}); check 'model' in models.toml",
                              "model_missing") from err
    cache_file = None
    if cache_dir is None:
        try:
            from hearth.config import hearth_home
            cache_dir = hearth_home() / "cache" / "gguf"
        except OSError:
            cache_dir = None
    if cache_dir is not None:
        key = hashlib.sha256(f"{SHAPE_VERSION}|{path.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:24]
        cache_file = Path(cache_dir) / f"{key}.json"
        try:
            return ModelShape(**json.loads(cache_file.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            pass
    shape = _read_shape(path)
    if cache_file is not None:
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(shape.to_dict()), encoding="utf-8")
            tmp.replace(cache_file)
        except OSError as err:
            log.debug("cannot cache the shape of %s: %s", path, err)
    return shape


def _read_shape(path: Path) -> ModelShape:
    from gguf import GGUFReader
    try:
        reader = GGUFReader(path)
    except (ValueError, OSError, IndexError) as err:
        raise ModelShapeError(f"{path} is not a readable GGUF file ({err}); point 'model' at a .gguf model") from err
    arch = _field(reader, "general.architecture")
    if not arch:
        raise ModelShapeError(f"{path} has no general.architecture key; is it a GGUF model file?")

    def key(name: str) -> Any:
        return _field(reader, f"{arch}.{name}")

    n_layer = key("block_count")
    n_embd = key("embedding_length")
    if n_layer is None or n_embd is None:
        raise ModelShapeError(f"{path} ({arch}) lacks {arch}.block_count or {arch}.embedding_length")
    n_layer, n_embd = int(n_layer), int(n_embd)
    n_head = _arr(key("attention.head_count"), n_layer, 1)
    n_head_kv_raw = key("attention.head_count_kv")
    n_head_kv = _arr(n_head_kv_raw, n_layer, 0) if n_head_kv_raw is not None else list(n_head)
    head0 = n_embd // max(1, max(n_head))
    hk = int(key("attention.key_length") or head0)
    hv = int(key("attention.value_length") or hk)
    hk_swa = key("attention.key_length_swa")
    hv_swa = key("attention.value_length_swa")

    n_swa = int(key("attention.sliding_window") or 0)
    swa_layers = _swa_layers(arch, n_swa, key("attention.sliding_window_pattern"), n_layer)
    head_k = [int(hk_swa) if (hk_swa and swa_layers[i]) else hk for i in range(n_layer)]
    head_v = [int(hv_swa) if (hv_swa and swa_layers[i]) else hv for i in range(n_layer)]

    shared = key("attention.shared_kv_layers")
    kv_from = KV_FROM_START.get(arch, n_layer - int(shared) if shared else n_layer)
    kv_layers = [il < kv_from for il in range(n_layer)]

    t = _tensor_bytes(reader, n_layer)
    n_ctx_train = int(key("context_length") or 0)
    n_ff_raw = key("feed_forward_length")
    n_ff = max(_arr(n_ff_raw, n_layer, 0)) if n_ff_raw is not None else 4 * n_embd
    return ModelShape(
        arch=str(arch), name=str(_field(reader, "general.name") or path.stem), n_layer=n_layer, n_embd=n_embd,
        n_vocab=t.n_vocab, n_ff=n_ff, n_ctx_train=n_ctx_train, n_head=n_head, n_head_kv=n_head_kv,
        head_k=head_k, head_v=head_v, n_swa=n_swa, swa_layers=swa_layers, kv_layers=kv_layers,
        block_bytes=t.block_bytes, input_bytes=t.input_bytes, output_bytes=t.output_bytes,
        output_tied=not t.has_output, tied_bytes=0 if t.has_output else t.embd_bytes, file_bytes=t.file_bytes,
    )


def _swa_layers(arch: str, n_swa: int, pattern: Any, n_layer: int) -> list[bool]:
    """Which blocks use the sliding window: the file's pattern (a list, or every n-th layer global),
    else the architecture's known one."""
    if n_swa <= 0:
        return [False] * n_layer
    if isinstance(pattern, (list, tuple)):
        return [bool(x) for x in pattern][:n_layer] + [False] * max(0, n_layer - len(pattern))
    every = int(pattern) if isinstance(pattern, (int, float)) and int(pattern) > 0 else SWA_PATTERN.get(arch, 0)
    # llama.cpp: is_swa(il) = il % n < n - 1; without a known pattern, every layer slides
    return [every == 0 or il % every < every - 1 for il in range(n_layer)]


@dataclass
class _Tensors:
    """The file's tensor bytes by where llama.cpp puts them: each block, the input side (embeddings),
    the output side, and the vocabulary size the embedding or output matrix shows."""

    block_bytes: list[int]
    input_bytes: int = 0
    output_bytes: int = 0
    file_bytes: int = 0
    embd_bytes: int = 0
    has_output: bool = False
    n_vocab: int = 0


def _tensor_bytes(reader: Any, n_layer: int) -> _Tensors:
    """Sum the tensors' bytes per block, input and output; a tied output reads the embeddings."""
    t = _Tensors([0] * n_layer)
    for tensor in reader.tensors:
        nb = int(tensor.n_bytes)
        t.file_bytes += nb
        name = tensor.name
        if name.startswith("blk."):
            il = int(name.split(".", 2)[1])
            if il < n_layer:
                t.block_bytes[il] += nb
            else:  # MTP / next-n layers beyond block_count: count with the output
                t.output_bytes += nb
        elif name == "token_embd.weight":
            t.input_bytes += nb
            t.embd_bytes = nb
            t.n_vocab = int(tensor.shape[1]) if len(tensor.shape) > 1 else t.n_vocab
        elif name.startswith(("per_layer_token_embd", "token_types", "position_embd")):
            t.input_bytes += nb
        else:
            if name == "output.weight":
                t.has_output = True
                t.n_vocab = int(tensor.shape[1]) if len(tensor.shape) > 1 else t.n_vocab
            t.output_bytes += nb
    if not t.has_output:
        t.output_bytes += t.embd_bytes
    return t
