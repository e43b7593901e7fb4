"""The planner against CUDA memory measured on a real GPU (tests/data/gpu/measured.json), and the
fitting alternatives it offers when a model does not fit, on sparse synthetic GGUFs of 7-8B shapes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import gguf
import numpy as np
import pytest

from hearth.gpu import ModelShape, manual_probe, read_shape
from hearth.gpu.plan import plan_shape

MiB = 1 << 20
DATA = Path(__file__).parent / "data" / "gpu" / "measured.json"
MEASURED = json.loads(DATA.read_text())
HEARTH = str(Path(sys.executable).with_name("hearth"))


def measured_shape(name: str) -> ModelShape:
    m = MEASURED["models"][name]
    n = m["n_layer"]
    return ModelShape(
        arch=m["arch"], name=name, n_layer=n, n_embd=m["n_embd"], n_vocab=m["n_vocab"], n_ff=m["n_ff"],
        n_ctx_train=m["n_ctx_train"], n_head=[m["n_head"]] * n, n_head_kv=[m["n_head_kv"]] * n,
        head_k=[m["head_k"]] * n, head_v=[m["head_v"]] * n, n_swa=0, swa_layers=[False] * n, kv_layers=[True] * n,
        block_bytes=[round(m["block_mib"] * MiB)] * n, input_bytes=round(m["input_mib"] * MiB),
        output_bytes=round(m["output_mib"] * MiB), output_tied=False, tied_bytes=0, file_bytes=round(m["file_mib"] * MiB))


def row_id(row: dict) -> str:
    return f"{row['gpu']}-{row['n_gpu_layers']}L-{row['n_ctx']}-{row['kv']}-fa{int(row['flash_attn'])}"


@pytest.mark.parametrize("row", MEASURED["rows"], ids=row_id)
def test_planner_total_is_within_minus_1_plus_3_percent_of_nvml(row):
    plan = plan_shape(measured_shape(row["model"]), manual_probe([80 * 1024]), num_gpu=row["n_gpu_layers"],
                      n_ctx=row["n_ctx"], kv_cache=row["kv"], flash_attn=row["flash_attn"], target_vram=1.0,
                      context_loaded=not row["first_load"])
    (dev,) = plan.devices
    # the buffers llama.cpp logged, each to the MiB (compute: within the same -1% / +3%)
    assert abs(dev.weights_bytes / MiB - row["cuda_model_mib"]) < 1
    assert abs(dev.kv_bytes / MiB - row["cuda_kv_mib"]) < 1
    assert -0.01 <= dev.compute_bytes / MiB / row["cuda_compute_mib"] - 1 <= 0.03, dev.compute_bytes / MiB
    total = (dev.weights_bytes + dev.kv_bytes + dev.compute_bytes + dev.overhead_bytes) / MiB
    error = total / row["nvml_mib"] - 1
    print(f"{row_id(row)}: planner {total:.1f} MiB, NVML {row['nvml_mib']} MiB ({error:+.2%})")
    assert -0.01 <= error <= 0.03


def test_a_later_load_does_not_count_the_cuda_context_again():
    shape = measured_shape("llama-3.1-8b-q4_k_m")
    first = plan_shape(shape, manual_probe([80 * 1024]), num_gpu=99, n_ctx=8192, target_vram=1.0)
    later = plan_shape(shape, manual_probe([80 * 1024]), num_gpu=99, n_ctx=8192, target_vram=1.0, context_loaded=True)
    assert 590 * MiB < first.overhead_bytes - later.overhead_bytes < 600 * MiB


def test_jetson_unified_memory_counts_the_host_side_in_the_same_pool():
    from hearth.gpu import GpuDevice, MemoryProbe
    shape = measured_shape("llama-3.1-8b-q4_k_m")
    jetson = MemoryProbe("jetson", [GpuDevice(0, "Orin NX 16GB", 15 * 1024 * MiB, 12 * 1024 * MiB)], "")
    assert jetson.unified
    plan = plan_shape(shape, jetson, num_gpu=99, n_ctx=4096, flash_attn=True, target_vram=1.0)
    (dev,) = plan.devices
    # the embeddings stay on the CPU side, and the pinned host compute buffer too: both in the one RAM
    assert dev.host_bytes == plan.host["weights_bytes"] + plan.host["compute_bytes"]
    assert plan.host["weights_bytes"] == shape.input_bytes and plan.host["compute_bytes"] > 0


# ---- hearth fit: what to change when not every layer fits ------------------------------------------------


def write_sparse_gguf(path: Path, *, n_layer: int, n_embd: int, n_head: int, n_head_kv: int, n_ff: int,
                      n_vocab: int, block_mib: float) -> Path:
    """A GGUF with a 7-8B model's metadata and tensor sizes whose data is a hole in a sparse file."""
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_name("synthetic 8b")
    w.add_block_count(n_layer)
    w.add_embedding_length(n_embd)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_head_kv)
    w.add_context_length(131072)
    w.add_feed_forward_length(n_ff)
    w.add_vocab_size(n_vocab)

    def tensor(name: str, mib: float) -> None:
        n = int(mib * MiB)
        w.add_tensor_info(name, (n,), np.dtype(np.int8), n, raw_dtype=gguf.GGMLQuantizationType.I8)

    def matrix(name: str, qtype: gguf.GGMLQuantizationType) -> None:  # n_embd x n_vocab, as a quantized type
        block, size = gguf.GGML_QUANT_SIZES[qtype]
        byte_shape = (n_vocab, n_embd // block * size)
        w.add_tensor_info(name, byte_shape, np.dtype(np.uint8), n_vocab * byte_shape[1], raw_dtype=qtype)

    matrix("token_embd.weight", gguf.GGMLQuantizationType.Q4_K)
    tensor("output_norm.weight", 0.015625)
    matrix("output.weight", gguf.GGMLQuantizationType.Q6_K)
    for i in range(n_layer):
        tensor(f"blk.{i}.attn_q.weight", block_mib)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    w.close()
    size = path.stat().st_size
    total = int((1024 + n_layer * block_mib) * MiB)
    with open(path, "r+b") as f:
        f.truncate(size + total)
    return path


@pytest.fixture(scope="module")
def llama8b(tmp_path_factory) -> Path:
    return write_sparse_gguf(tmp_path_factory.mktemp("gguf") / "llama-3.1-8b.gguf", n_layer=32, n_embd=4096,
                             n_head=32, n_head_kv=8, n_ff=14336, n_vocab=128256, block_mib=132.5)


def test_the_sparse_file_reads_as_an_8b_model(llama8b):
    shape = read_shape(llama8b, cache_dir=llama8b.parent / "cache")
    assert (shape.n_layer, shape.n_embd, shape.n_head_kv[0], shape.n_vocab) == (32, 4096, 8, 128256)
    assert abs(sum(shape.block_bytes) / MiB - 32 * 132.5) < 1
    assert abs(shape.input_bytes / MiB - 281.81) < 1 and abs(shape.output_bytes / MiB - 410.99) < 1


def fit_json(path: Path, *args: str, home: Path) -> dict:
    env = {**os.environ, "HEARTH_HOME": str(home), "COLUMNS": "100"}
    r = subprocess.run([HEARTH, "fit", str(path), "--json", *args], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


def test_fit_offers_a_smaller_context_a_quantized_cache_and_the_target_share(llama8b, tmp_path):
    # a 10 GiB card, 32k of f16 KV (4 GiB) and no flash attention (2 GiB of attention scores): not every layer fits
    plan = fit_json(llama8b, "--vram", "10240", "--ctx", "32768", home=tmp_path)
    assert plan["n_gpu_layers"] < plan["n_layers"]
    alts = plan["alternatives"]
    assert [a.split(" ")[0] for a in alts] == ["n_ctx", "kv_cache", "target_vram"][:len(alts)]
    assert alts[0].startswith("n_ctx = ")
    # each alternative really fits every layer
    n_ctx = alts[0].split(" = ")[1].split(" ")[0]
    again = fit_json(llama8b, "--vram", "10240", "--ctx", n_ctx, home=tmp_path)
    assert again["n_gpu_layers"] == again["n_layers"] and again["alternatives"] == []
    assert any(a.startswith('kv_cache = "q') for a in alts)
    kv = next(a for a in alts if a.startswith("kv_cache")).split('"')[1]
    quant = fit_json(llama8b, "--vram", "10240", "--ctx", "32768", "--kv", kv, "--flash-attn", home=tmp_path)
    assert quant["n_gpu_layers"] == quant["n_layers"]


def test_fit_offers_nothing_when_even_the_weights_do_not_fit(llama8b, tmp_path):
    plan = fit_json(llama8b, "--vram", "3072", home=tmp_path)
    assert plan["n_gpu_layers"] < plan["n_layers"] and plan["alternatives"] == []


def test_fit_offers_nothing_when_everything_fits(llama8b, tmp_path):
    plan = fit_json(llama8b, "--vram", "24576", home=tmp_path)
    assert plan["n_gpu_layers"] == plan["n_layers"] and plan["alternatives"] == []


def test_fit_prints_the_alternatives_one_a_line(llama8b, tmp_path):
    env = {**os.environ, "HEARTH_HOME": str(tmp_path), "COLUMNS": "80"}
    r = subprocess.run([HEARTH, "fit", str(llama8b), "--vram", "10240", "--ctx", "32768"], capture_output=True,
                       text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    tail = r.stdout[r.stdout.index("Every layer fits on the GPU with any one of:"):].splitlines()[1:]
    assert tail == ["  n_ctx = 14592 (now 32768)", '  kv_cache = "q8_0" with flash_attn = true (now "f16")']
