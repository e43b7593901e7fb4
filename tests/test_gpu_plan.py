"""The layer-fit planner: checked against llama.cpp's own buffer sizes for the shipped Gemma 3
270M, against hand-worked placements for 7B-class shapes, and through real failed loads."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import run_hearth

from hearth import ModelConfig
from hearth.gpu import (
    GpuDevice,
    MemoryProbe,
    ModelShape,
    PlanError,
    is_out_of_memory,
    manual_probe,
    plan_model,
    plan_shape,
    probe_cpu,
    read_shape,
    step_down,
)
from hearth.gpu.plan import FLOOR_MARGIN, RUNTIME_OVERHEAD, assign_layers

MiB = 1 << 20
GiB = 1 << 30
REPO = Path(__file__).resolve().parent.parent


def seven_b(n_layer: int = 32) -> ModelShape:
    """Mistral-7B's shape with Q4_K_M-like sizes: 128 MiB a block, 70 MiB embeddings, 105 MiB output."""
    return ModelShape(
        arch="llama", name="7b", n_layer=n_layer, n_embd=4096, n_vocab=32768, n_ff=14336, n_ctx_train=32768,
        n_head=[32] * n_layer, n_head_kv=[8] * n_layer, head_k=[128] * n_layer, head_v=[128] * n_layer, n_swa=0,
        swa_layers=[False] * n_layer, kv_layers=[True] * n_layer, block_bytes=[128 * MiB] * n_layer,
        input_bytes=70 * MiB, output_bytes=105 * MiB, output_tied=False, tied_bytes=0,
        file_bytes=n_layer * 128 * MiB + 175 * MiB)


# ---- choosing layers ---------------------------------------------------------------------------------


def test_auto_fits_the_most_layers_under_the_target():
    shape = seven_b()
    probe = manual_probe([6144])
    plan = plan_shape(shape, probe, n_ctx=8192)
    k = plan.n_gpu_layers
    dev = plan.devices[0]
    assert dev.budget_bytes == min(int(6144 * MiB * 0.8), 6144 * MiB - FLOOR_MARGIN)
    assert plan.fits and dev.used_bytes <= dev.budget_bytes
    assert 0 < k < plan.n_layers
    # one more layer would not fit
    assert not plan_shape(shape, probe, n_ctx=8192, num_gpu=k + 1).fits
    # k layers: the output layer and the last k - 1 blocks, each block with 1 GiB / 32 of KV at 8192 f16
    assert (dev.layers, dev.weights_bytes, dev.kv_bytes) == (k, 105 * MiB + (k - 1) * 128 * MiB, (k - 1) * 32 * MiB)
    assert dev.overhead_bytes == RUNTIME_OVERHEAD
    assert plan.warnings == []


def test_auto_offloads_everything_when_there_is_room():
    plan = plan_shape(seven_b(), manual_probe([24576]), n_ctx=32768)
    assert (plan.n_gpu_layers, plan.n_layers, plan.fits) == (33, 33, True)
    assert plan.kv_bytes == 4096 * MiB
    assert plan.host == {"weights_bytes": 70 * MiB, "kv_bytes": 0, "compute_bytes": 0}


def test_naive_formula_would_choose_fewer_layers():
    plan = plan_shape(seven_b(), manual_probe([12288]), n_ctx=32768)
    assert plan.naive["kv_bytes"] == 16384 * MiB
    assert plan.naive["n_gpu_layers"] < plan.n_gpu_layers


def test_explicit_num_gpu_is_honoured_and_warned_when_it_will_not_fit():
    plan = plan_shape(seven_b(), manual_probe([4096]), n_ctx=8192, num_gpu=33)
    best = plan_shape(seven_b(), manual_probe([4096]), n_ctx=8192).n_gpu_layers
    assert (plan.n_gpu_layers, plan.fits) == (33, False)
    assert len(plan.warnings) == 1
    assert plan.warnings[0].startswith("num_gpu = 33 will not fit: GPU 0 needs ")
    assert f"at most {best} of 33 layers fit" in plan.warnings[0]
    assert plan.llama_kwargs()["n_gpu_layers"] == 33


def test_explicit_num_gpu_that_fits_and_99_means_all():
    plan = plan_shape(seven_b(), manual_probe([8192]), n_ctx=4096, num_gpu=5)
    assert (plan.n_gpu_layers, plan.fits, plan.warnings) == (5, True, [])
    assert plan.devices[0].weights_bytes == 105 * MiB + 4 * 128 * MiB
    assert plan_shape(seven_b(), manual_probe([24576]), num_gpu=99).n_gpu_layers == 33


def test_num_gpu_0_keeps_everything_on_the_cpu():
    plan = plan_shape(seven_b(), manual_probe([24576]), num_gpu=0)
    assert (plan.n_gpu_layers, plan.weights_bytes, plan.devices[0].used_bytes) == (0, 0, 0)
    assert plan.host["weights_bytes"] == seven_b().file_bytes


def test_quantized_v_cache_without_flash_attention_is_refused(tmp_path):
    with pytest.raises(PlanError) as e:
        plan_shape(seven_b(), manual_probe([8192]), kv_cache="q8_0", flash_attn=False, where="[models.big]")
    assert e.value.code == "kv_needs_flash_attn"
    assert str(e.value).startswith("[models.big]: kv_cache = 'q8_0' needs flash_attn = true")
    plan = plan_shape(seven_b(), manual_probe([24576]), n_ctx=32768, kv_cache="q8_0", flash_attn=True)
    assert plan.kv_bytes == 2176 * MiB
    assert plan.llama_kwargs()["type_v"] == 8  # GGML_TYPE_Q8_0


def test_two_gpus_get_a_proportional_split():
    plan = plan_shape(seven_b(), manual_probe([24576, 12288]), n_ctx=8192)
    assert plan.n_gpu_layers == 33
    assert plan.tensor_split == [0.6667, 0.3333]
    # llama.cpp's placement: layer i goes to the first device whose cumulative share exceeds i / 33
    assert [d.layers for d in plan.devices] == [22, 11]
    assert plan.llama_kwargs()["tensor_split"] == [0.6667, 0.3333]
    assert assign_layers(32, 33, [2, 1]) == {il: (0 if il < 22 else 1) for il in range(33)}
    # without flash attention each device's compute buffer is led by the 32 x 512 x 8192 f32 attention scores
    assert all(d.compute_bytes >= 512 * MiB for d in plan.devices)


def test_gpu_id_pins_one_gpu():
    probe = MemoryProbe("nvml", [GpuDevice(0, "RTX 4090", 24 * GiB, 22 * GiB), GpuDevice(1, "RTX 3060", 12 * GiB, 11 * GiB)])
    plan = plan_shape(seven_b(), probe, n_ctx=8192, gpu_id=1)
    assert [d.index for d in plan.devices] == [1]
    assert (plan.split_mode, plan.main_gpu, plan.tensor_split) == ("none", 1, None)
    import llama_cpp
    kw = plan.llama_kwargs()
    assert (kw["main_gpu"], kw["split_mode"]) == (1, llama_cpp.LLAMA_SPLIT_MODE_NONE)
    with pytest.raises(PlanError) as e:
        plan_shape(seven_b(), probe, gpu_id=3)
    assert e.value.code == "gpu_missing"
    assert "gpu_id = 3 but the GPUs here are 0, 1" in str(e.value)


def test_no_gpu_plans_the_cpu_and_still_counts_the_model():
    plan = plan_shape(seven_b(), probe_cpu(), n_ctx=32768)
    assert (plan.n_gpu_layers, plan.devices, plan.source) == (0, [], "cpu")
    assert plan.host["weights_bytes"] == seven_b().file_bytes
    assert plan.host["kv_bytes"] == 4096 * MiB
    assert plan.needs["kv_bytes"] == 4096 * MiB


def test_a_cpu_build_of_llama_cpp_cannot_offload():
    plan = plan_shape(seven_b(), manual_probe([24576]), gpu_offload=False)
    assert plan.n_gpu_layers == 0
    assert "cannot offload to a GPU" in plan.warnings[0]


def test_jetson_counts_the_cpu_side_against_the_same_ram():
    probe = MemoryProbe("jetson", [GpuDevice(0, "NVIDIA Orin Nano Developer Kit", 7802736 * 1024, 6245596 * 1024)])
    plan = plan_shape(seven_b(), probe, n_ctx=4096, num_gpu=10)
    dev = plan.devices[0]
    assert dev.host_bytes == sum(plan.host.values())
    assert dev.used_bytes == dev.weights_bytes + dev.kv_bytes + dev.compute_bytes + dev.overhead_bytes + dev.host_bytes


def test_plan_model_reads_the_file_and_the_settings(tmp_path):
    from test_gpu_shape import write_gguf
    path = write_gguf(tmp_path / "m.gguf", "llama", n_layer=32, n_embd=4096, n_head=32, n_head_kv=8)
    cfg = ModelConfig(backend="llamacpp", model=str(path), n_ctx=32768, gpu_id=0, target_vram=0.5)
    plan = plan_model(cfg, path, probe=manual_probe([16384]), name="m")
    assert (plan.n_ctx, plan.kv_bytes, plan.split_mode) == (32768, 4096 * MiB, "none")
    assert plan.devices[0].budget_bytes == 8192 * MiB
    d = plan.to_dict()
    assert {"n_gpu_layers", "weights_bytes", "kv_bytes", "compute_bytes", "overhead_bytes", "devices"} <= set(d)
    with pytest.raises(PlanError) as e:
        plan_model(cfg.model_copy(update={"kv_cache": "q4_0"}), path, probe=manual_probe([16384]), name="m")
    assert str(e.value).startswith("[models.m]: kv_cache = 'q4_0' needs flash_attn = true")


# ---- out of memory: step down and retry --------------------------------------------------------------


def test_step_down_sequence():
    seq, n = [], 33
    while n is not None:
        seq.append(n)
        n = step_down(n)
    assert seq == [33, 24, 18, 13, 9, 6, 4, 3, 2, 1, 0]


def test_a_corrupt_file_is_not_an_out_of_memory_failure(tmp_path):
    import llama_cpp

    from hearth.plugins.llamacpp.workarounds import extra_buffer_types_ok, model_params
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + b"\x00" * 64)
    with pytest.raises(ValueError) as e, model_params(extra_buffer_types_ok()):
        llama_cpp.Llama(model_path=str(bad), verbose=False)
    assert not is_out_of_memory(e.value, ["llama_model_load: error loading model: tensor data is not within file bounds"])
    assert is_out_of_memory(e.value, ["ggml_backend_cuda_buffer_type_alloc_buffer: allocating 4096.00 MiB on device 0: "
                                      "cudaMalloc failed: out of memory"])


OOM_SCRIPT = textwrap.dedent("""
    import json, resource, sys
    import llama_cpp
    import hearth.gpu.plan as plan_mod
    from hearth import ModelConfig, ModelLoadError
    from hearth.gpu import manual_probe
    from hearth.plugins.llamacpp import LlamaCppBackend, resolve_model
    path = resolve_model("package:gemma3-270m")
    n_ctx, claim_gpu, extra_mib = int(sys.argv[1]), sys.argv[2] == "gpu", int(sys.argv[3])
    if claim_gpu:  # this CPU build ignores GPU layers; the loop's decisions are what is checked
        llama_cpp.llama_supports_gpu_offload = lambda: True
        plan_mod.probe_memory = lambda: manual_probe([8192])
    vm = next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmSize:"))
    limit = vm + extra_mib * (1 << 20)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    b = LlamaCppBackend("gemma", ModelConfig(backend="llamacpp", model=str(path), n_ctx=n_ctx))
    steps = []
    try:
        b._load_sync(lambda what, frac: steps.append(what))
        print(json.dumps({"loaded": True, "n_gpu_layers": b.n_gpu_layers, "progress": steps}))
    except ModelLoadError as e:
        print(json.dumps({"code": e.code, "message": str(e), "cause": repr(e.__cause__), "progress": steps,
                          "plan_steps": b.plan.steps if b.plan else None}))
""")


def run_oom(home: Path, n_ctx: int, mode: str, extra_mib: int) -> dict:
    """Load Gemma 3 270M in a child whose address space is capped at what it has plus ``extra_mib``."""
    env = {**os.environ, "HEARTH_LOAD_PLUGINS": "llamacpp"}
    r = subprocess.run([sys.executable, "-c", OOM_SCRIPT, str(n_ctx), mode, str(extra_mib)], capture_output=True, text=True,
                       timeout=240, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_real_out_of_memory_load_on_the_cpu_says_what_to_do(home):
    # 1500 MiB: weights 235, KV 36, compute 514, llama-cpp-python's 512 MiB logits array: loads
    assert run_oom(home, 2048, "cpu", 1500)["loaded"] is True
    # 1200 MiB at 32768: the 576 MiB KV cache and the compute buffer do not fit
    r = run_oom(home, 32768, "cpu", 1200)
    assert r["code"] == "model_out_of_memory"
    assert r["cause"] == "ValueError('Failed to create llama_context')"
    assert r["message"].startswith("[models.gemma] does not fit in memory even on the CPU (n_ctx = 32768")
    assert "failed to allocate" in r["message"] and "lower n_ctx" in r["message"]


@pytest.mark.slow
def test_out_of_memory_steps_down_layer_by_layer_then_gives_up(home):
    r = run_oom(home, 32768, "gpu", 1200)
    expected = [f"out of memory with {a} GPU layers; retrying with {b}"
                for a, b in [(19, 14), (14, 10), (10, 7), (7, 5), (5, 3), (3, 2), (2, 1), (1, 0)]]
    assert r["plan_steps"] == expected
    assert [p for p in r["progress"] if p.startswith("out of memory")] == expected
    assert r["code"] == "model_out_of_memory"


# ---- the planner against llama.cpp's own figures ---------------------------------------------------------

LOAD_SCRIPT = textwrap.dedent("""
    import sys
    import llama_cpp
    from hearth.plugins.llamacpp.workarounds import extra_buffer_types_ok, model_params
    path, n_ctx, kv, fa, swa_full = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1", sys.argv[5] == "1"
    t = {"f16": 1, "q8_0": 8, "q4_0": 2}[kv]
    with model_params(extra_buffer_types_ok()):
        llm = llama_cpp.Llama(model_path=path, n_ctx=n_ctx, n_gpu_layers=0, type_k=t, type_v=t, flash_attn=fa,
                              swa_full=swa_full, n_threads=1, verbose=True)
""")


def llama_cpp_buffers(path: Path, n_ctx: int, kv: str, fa: bool, swa_full: bool = True) -> dict[str, float]:
    """llama.cpp's own buffer sizes (MiB), from its log on stderr (file descriptor 2 of a child)."""
    r = subprocess.run([sys.executable, "-c", LOAD_SCRIPT, str(path), str(n_ctx), kv, "1" if fa else "0",
                        "1" if swa_full else "0"],
                       capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stderr[-2000:]
    log = r.stderr
    weights = [float(x) for x in re.findall(r"CPU(?:_Mapped)? model buffer size =\s*([\d.]+) MiB", log)]
    kv_sizes = [float(x) for x in re.findall(r"llama_kv_cache: size =\s*([\d.]+) MiB", log)]
    compute = [float(x) for x in re.findall(r"sched_reserve:\s+CPU compute buffer size =\s*([\d.]+) MiB", log)]
    assert weights and kv_sizes and compute, log[-3000:]
    return {"weights": sum(weights), "kv": sum(kv_sizes), "compute": compute[-1]}


@pytest.fixture(scope="module")
def gemma_path(tmp_path_factory) -> Path:
    from hearth.plugins.llamacpp import resolve_model
    d = Path(os.environ.get("HEARTH_TEST_MODELS_DIR") or tmp_path_factory.mktemp("models"))
    old = os.environ.get("HEARTH_MODELS_DIR")
    os.environ["HEARTH_MODELS_DIR"] = str(d)
    try:
        return resolve_model("package:gemma3-270m")
    finally:
        if old is None:
            os.environ.pop("HEARTH_MODELS_DIR", None)
        else:
            os.environ["HEARTH_MODELS_DIR"] = old


@pytest.fixture(scope="module")
def gemma_shape(gemma_path, tmp_path_factory) -> ModelShape:
    return read_shape(gemma_path, cache_dir=tmp_path_factory.mktemp("shape-cache"))


def test_gemma_3_270m_shape(gemma_shape):
    s = gemma_shape
    assert (s.arch, s.n_layer, s.n_embd, s.n_head_kv[0], s.head_k[0], s.n_swa, s.n_vocab) == \
        ("gemma3", 18, 640, 1, 256, 512, 262144)
    assert [il for il, swa in enumerate(s.swa_layers) if not swa] == [5, 11, 17]  # llama.cpp logs is_swa = 0 for these
    assert s.output_tied


@pytest.mark.slow
@pytest.mark.parametrize("n_ctx", [2048, 8192, 32768])
def test_planner_matches_llama_cpp_buffers(gemma_path, gemma_shape, n_ctx):
    # llama-cpp-python's default full-size SWA cache with each KV type, then window-sized SWA layers
    for kv, swa_full in (("f16", True), ("q8_0", True), ("q4_0", True), ("f16", False)):
        fa = kv != "f16"
        real = llama_cpp_buffers(gemma_path, n_ctx, kv, fa, swa_full)
        plan = plan_shape(gemma_shape, probe_cpu(), n_ctx=n_ctx, kv_cache=kv, flash_attn=fa, swa_full=swa_full)
        mine = {k: plan.host[f"{k}_bytes"] / MiB for k in ("weights", "kv", "compute")}
        print(f"n_ctx {n_ctx} {kv} swa_full={swa_full}: planner {mine} llama.cpp {real}")
        assert abs(mine["weights"] - real["weights"]) < 1, (kv, mine, real)
        assert abs(mine["kv"] - real["kv"]) < 1, (kv, mine, real)
        assert abs(mine["compute"] - real["compute"]) <= 0.15 * real["compute"], (kv, mine, real)


# ---- hearth fit ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fit_env(tmp_path_factory, gemma_path) -> dict[str, str]:
    """One HEARTH_HOME for the module, so the model's shape is read once and cached."""
    home = tmp_path_factory.mktemp("fit-home")
    return {"HEARTH_HOME": str(home), "HEARTH_MODELS_DIR": str(gemma_path.parent), "HEARTH_LOAD_PLUGINS": "llamacpp",
            "HEARTH_MODELS": "", "CUDA_VISIBLE_DEVICES": ""}


def test_fit_on_this_cpu_machine_says_there_is_no_gpu(fit_env):
    r = run_hearth("fit", "gemma3-270m", "--ctx", "8192", env=fit_env)
    assert r.returncode == 0, r.stderr
    text = " ".join(r.stdout.split())
    assert "No GPU here: everything runs on the CPU." in text
    assert "│ CPU (host RAM) │ 235 │ 144 │ 513 │ 892 │" in r.stdout.replace("  ", " ").replace("  ", " ").replace("  ", " ")


def test_fit_json_for_an_8_gib_card(fit_env):
    r = run_hearth("fit", "gemma3-270m", "--ctx", "8192", "--vram", "8192", "--json", env=fit_env)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert (d["n_gpu_layers"], d["n_layers"], d["fits"], d["source"]) == (19, 19, True, "manual")
    assert d["kv_bytes"] == 144 * MiB
    assert d["weights_bytes"] == 246587904  # 18 blocks + the output layer (a copy of the tied embeddings)
    assert d["overhead_bytes"] == RUNTIME_OVERHEAD
    dev = d["devices"][0]
    assert {k: dev[k] for k in ("index", "layers", "kv_bytes", "free_bytes")} == \
        {"index": 0, "layers": 19, "kv_bytes": 144 * MiB, "free_bytes": 8192 * MiB}
    assert dev["weights_bytes"] + dev["kv_bytes"] + dev["compute_bytes"] + dev["overhead_bytes"] == dev["used_bytes"]


def test_fit_json_split_over_two_cards(fit_env):
    r = run_hearth("fit", "package:gemma3-270m", "--vram", "8192,4096", "--num-gpu", "19", "--json", env=fit_env)
    d = json.loads(r.stdout)
    assert d["tensor_split"] == [0.6667, 0.3333]
    assert [x["layers"] for x in d["devices"]] == [13, 6]


def test_fit_refuses_a_quantized_cache_without_flash_attention(fit_env):
    r = run_hearth("fit", "gemma3-270m", "--kv", "q8_0", "--no-flash-attn", env=fit_env)
    assert r.returncode == 1
    assert "kv_cache = 'q8_0' needs flash_attn = true" in " ".join(r.stderr.split())


def test_fit_unknown_model(fit_env):
    r = run_hearth("fit", "llama-70b", env=fit_env)
    assert r.returncode == 1
    assert "'llama-70b' is neither a model in models.toml nor a .gguf file" in " ".join(r.stderr.split())
