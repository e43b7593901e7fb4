"""Model shape read from GGUF files: small synthetic files written with the ``gguf`` package's
GGUFWriter, carrying the metadata of real models (Mistral-7B, Llama-3.1-8B, Qwen2.5-7B,
Gemma-3-4B, Gemma-3n-E2B) with stub tensors whose byte sizes the tests choose; KV figures are
checked against values worked out by hand."""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np
import pytest

from hearth.gpu import ModelShapeError, read_shape
from hearth.gpu.plan import kv_cells, layer_kv_bytes, naive_layer_kv_bytes

MiB = 1 << 20


def write_gguf(path: Path, arch: str, *, n_layer: int, n_embd: int, n_head: int, n_head_kv: int,
               head_k: int | None = None, n_swa: int = 0, swa_pattern=None, shared_kv: int | None = None,
               n_ctx_train: int = 32768, n_ff: int = 14336, n_vocab_stub: int = 8, output: bool = False) -> Path:
    """A GGUF with the given metadata; tensor sizes are small and known: block i holds
    (i + 1) * 1024 + 512 bytes, token_embd n_vocab_stub x 16 f32, output (if any) 4 x 16 f32."""
    w = gguf.GGUFWriter(str(path), arch)
    w.add_name(f"synthetic {arch}")
    w.add_block_count(n_layer)
    w.add_embedding_length(n_embd)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_head_kv)
    w.add_context_length(n_ctx_train)
    w.add_feed_forward_length(n_ff)
    if head_k:
        w.add_key_length(head_k)
        w.add_value_length(head_k)
    if n_swa:
        w.add_sliding_window(n_swa)
    if swa_pattern is not None:
        w.add_sliding_window_pattern(swa_pattern)
    if shared_kv is not None:
        w.add_shared_kv_layers(shared_kv)
    w.add_tensor("token_embd.weight", np.zeros((n_vocab_stub, 16), dtype=np.float32))
    w.add_tensor("output_norm.weight", np.zeros(16, dtype=np.float32))
    if output:
        w.add_tensor("output.weight", np.zeros((4, 16), dtype=np.float32))
    for i in range(n_layer):
        w.add_tensor(f"blk.{i}.attn_q.weight", np.zeros((i + 1) * 256, dtype=np.float32))
        w.add_tensor(f"blk.{i}.ffn_norm.weight", np.zeros(256, dtype=np.float16))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def total_kv(shape, n_ctx: int, kv: str = "f16", swa_full: bool = True) -> int:
    cells, swa = kv_cells(shape, n_ctx, swa_full=swa_full)
    return sum(layer_kv_bytes(shape, il, kv, cells, swa) for il in range(shape.n_layer))


@pytest.fixture
def mistral(tmp_path):
    # Mistral-7B-v0.1/0.3: 32 layers, hidden 4096, 32 heads, 8 KV heads of 128
    return read_shape(write_gguf(tmp_path / "mistral.gguf", "llama", n_layer=32, n_embd=4096, n_head=32, n_head_kv=8),
                      cache_dir=tmp_path / "cache")


def test_mistral_7b_kv_at_32k_is_4_gib_not_the_naive_16(mistral):
    assert (mistral.arch, mistral.n_layer, mistral.n_head_kv, mistral.head_k) == ("llama", 32, [8] * 32, [128] * 32)
    assert total_kv(mistral, 32768) == 4096 * MiB  # 32 layers x 32768 x (2 x 8 x 128) x 2 bytes
    assert naive_layer_kv_bytes(mistral, "f16", 32768) * 32 == 16384 * MiB


def test_mistral_7b_quantized_kv(mistral):
    # per element: f16 2 bytes, q8_0 34/32, q4_0 18/32
    assert total_kv(mistral, 32768, "q8_0") == 2176 * MiB
    assert total_kv(mistral, 32768, "q4_0") == 1152 * MiB


def test_llama_3_1_8b_kv(tmp_path):
    shape = read_shape(write_gguf(tmp_path / "llama31.gguf", "llama", n_layer=32, n_embd=4096, n_head=32, n_head_kv=8,
                                  n_ctx_train=131072), cache_dir=tmp_path / "cache")
    assert shape.n_ctx_train == 131072
    assert total_kv(shape, 8192) == 1024 * MiB
    assert total_kv(shape, 131072) == 16384 * MiB


def test_qwen2_5_7b_kv(tmp_path):
    # 28 layers, hidden 3584, 28 heads, 4 KV heads of 128: 28 x 2 x 512 x 2 bytes = 56 KiB per token
    shape = read_shape(write_gguf(tmp_path / "qwen.gguf", "qwen2", n_layer=28, n_embd=3584, n_head=28, n_head_kv=4,
                                  n_ff=18944), cache_dir=tmp_path / "cache")
    assert shape.head_k == [128] * 28
    assert total_kv(shape, 32768) == 1792 * MiB
    assert total_kv(shape, 1000) == 1024 * 56 * 1024  # n_ctx padded to 1024 cells, as llama.cpp does


def test_gemma_3_4b_sliding_window_layers(tmp_path):
    # 34 layers, every 6th global; 4 KV heads of 256; window 1024
    shape = read_shape(write_gguf(tmp_path / "gemma3.gguf", "gemma3", n_layer=34, n_embd=2560, n_head=8, n_head_kv=4,
                                  head_k=256, n_swa=1024, n_ff=10240), cache_dir=tmp_path / "cache")
    assert [il for il, swa in enumerate(shape.swa_layers) if not swa] == [5, 11, 17, 23, 29]
    per_cell = 2 * 4 * 256 * 2
    # window-sized: 5 global layers x 32768 cells + 29 sliding layers x pad(1024 + 512, 256) cells
    assert total_kv(shape, 32768, swa_full=False) == (5 * 32768 + 29 * 1536) * per_cell
    assert total_kv(shape, 32768, swa_full=False) == 640 * MiB + 174 * MiB
    # full-size SWA cache (llama-cpp-python's default): every layer holds n_ctx cells
    assert total_kv(shape, 32768, swa_full=True) == 34 * 32768 * per_cell
    # a context shorter than the window: the SWA cache is no bigger than the full one
    assert kv_cells(shape, 1024, swa_full=False) == (1024, 1024)


def test_gemma_3n_layers_without_their_own_kv(tmp_path):
    # Gemma 3n E2B: 30 layers, the last 10 reuse earlier layers' KV; pattern 4 sliding + 1 global
    pattern = [il % 5 < 4 for il in range(30)]
    shape = read_shape(write_gguf(tmp_path / "gemma3n.gguf", "gemma3n", n_layer=30, n_embd=2048, n_head=8, n_head_kv=2,
                                  head_k=256, n_swa=512, swa_pattern=pattern, shared_kv=10, n_ff=8192),
                       cache_dir=tmp_path / "cache")
    assert shape.kv_layers == [True] * 20 + [False] * 10
    assert shape.swa_layers == pattern
    per_cell = 2 * 2 * 256 * 2
    # 20 layers with KV: 4 global (0-19 with il % 5 == 4), 16 sliding (window 512 + 512)
    assert total_kv(shape, 8192, swa_full=False) == (4 * 8192 + 16 * 1024) * per_cell


def test_block_embedding_and_output_bytes(tmp_path):
    path = write_gguf(tmp_path / "w.gguf", "llama", n_layer=3, n_embd=64, n_head=4, n_head_kv=4, n_vocab_stub=8)
    shape = read_shape(path, cache_dir=tmp_path / "cache")
    assert shape.block_bytes == [1 * 1024 + 512, 2 * 1024 + 512, 3 * 1024 + 512]
    assert shape.input_bytes == 8 * 16 * 4
    # tied output: llama.cpp copies token_embd to the output layer's device
    assert (shape.output_tied, shape.output_bytes, shape.tied_bytes) == (True, 16 * 4 + 8 * 16 * 4, 8 * 16 * 4)
    assert shape.n_vocab == 8
    assert shape.file_bytes == sum(shape.block_bytes) + 8 * 16 * 4 + 16 * 4


def test_own_output_matrix_is_not_tied(tmp_path):
    path = write_gguf(tmp_path / "o.gguf", "llama", n_layer=2, n_embd=64, n_head=4, n_head_kv=4, output=True)
    shape = read_shape(path, cache_dir=tmp_path / "cache")
    assert (shape.output_tied, shape.output_bytes, shape.n_vocab) == (False, 16 * 4 + 4 * 16 * 4, 4)


def test_shape_is_cached_by_path_size_and_mtime(tmp_path):
    path = write_gguf(tmp_path / "c.gguf", "llama", n_layer=2, n_embd=64, n_head=4, n_head_kv=2)
    first = read_shape(path, cache_dir=tmp_path / "cache")
    assert len(list((tmp_path / "cache").glob("*.json"))) == 1
    assert read_shape(path, cache_dir=tmp_path / "cache") == first
    write_gguf(path, "llama", n_layer=3, n_embd=64, n_head=4, n_head_kv=2)  # rewritten: read again
    assert read_shape(path, cache_dir=tmp_path / "cache").n_layer == 3


def test_not_a_gguf_file(tmp_path):
    bad = tmp_path / "notes.gguf"
    bad.write_text("not a model\n" * 10)
    with pytest.raises(ModelShapeError) as e:
        read_shape(bad, cache_dir=tmp_path / "cache")
    assert e.value.code == "model_shape_unreadable"
    assert "not a readable GGUF" in str(e.value)


def test_missing_file(tmp_path):
    with pytest.raises(ModelShapeError) as e:
        read_shape(tmp_path / "nope.gguf", cache_dir=tmp_path / "cache")
    assert e.value.code == "model_missing"
