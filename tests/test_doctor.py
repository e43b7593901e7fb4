"""`hearth doctor` end to end: the real CLI against the loopback Ollama server, a models.toml in tmp_path.

The GPU is the part that cannot run here: where a check needs one, the machine is a Jetson Orin
Nano described by its real captured files (tests/data/ollama/jetson_*) and read by Hearth's own
Jetson probe; elsewhere Hearth's own CPU probe reads this machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import free_port
from ollama_server import FakeModel, OllamaServer, fixture_text
from typer.testing import CliRunner

from hearth.cli import app
from hearth.gpu import probe as gpu_probe

HEARTH = str(Path(sys.executable).with_name("hearth"))
MODEL = "qwen2.5:0.5b"
# a real model size in GPU memory, as /api/ps reported it (ollama#8644): 5.7 GiB
SIZE = int(fixture_text("issue_8644_api_ps_size_vram_values.txt").splitlines()[1])


def jetson_root(tmp_path: Path) -> Path:
    """/etc/nv_tegra_release, /proc/device-tree/model and /proc/meminfo of an Orin Nano 8GB, from captures."""
    root = tmp_path / "jetson"
    if root.exists():  # the core's gpu line and a plugin's checks each probe the machine
        return root
    (root / "etc").mkdir(parents=True)
    (root / "proc/device-tree").mkdir(parents=True)
    release = fixture_text("jetson_nv_tegra_release_r35.3.1_orin_nano_8gb__jetson_stats_400.txt").strip()
    (root / "etc/nv_tegra_release").write_text(release + "\n")
    dt = fixture_text("jetson_device_tree_orin_nano_8gb_devkit_r35.3.1__jetson_stats_400.txt").splitlines()
    model = dt[dt.index("/sys/firmware/devicetree/base/model:") + 1]
    (root / "proc/device-tree/model").write_bytes(model.encode() + b"\x00")  # NUL-terminated on the device
    meminfo = fixture_text("jetson_proc_meminfo_orin_nano_8gb_jp6__UNATTRIBUTED.txt").split("               total")[0]
    (root / "proc/meminfo").write_text(meminfo)
    return root


@pytest.fixture
def machine(monkeypatch):
    """Choose the machine doctor's GPU probe sees; the probe list is restored afterwards."""
    saved = list(gpu_probe.PROBES)

    def use(probe):
        gpu_probe.register_probe("test-machine", probe)

    yield use
    gpu_probe.PROBES[:] = saved


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "ollama,shopping_list")
    monkeypatch.delenv("HEARTH_MODELS", raising=False)
    return tmp_path


def models_toml(tmp_path: Path, *, model: str = MODEL, num_gpu: int = 99, tool_calling: str = "native") -> Path:
    p = tmp_path / "models.toml"
    p.write_text(f'[roles]\nmain = "qwen"\n\n[models.qwen]\nbackend = "ollama"\nmodel = "{model}"\n'
                 f'num_gpu = {num_gpu}\nn_ctx = 2048\nkeep_alive = "5m"\ntool_calling = "{tool_calling}"\n')
    return p


def doctor(*args: str) -> tuple[int, dict]:
    r = CliRunner().invoke(app, ["doctor", "--json", *args])
    return r.exit_code, json.loads(r.stdout)


def lines(result: dict) -> dict[str, tuple[str, str]]:
    return {c["check"]: (c["status"], c["message"]) for c in result["checks"]}


@pytest.fixture
def server(monkeypatch):
    with OllamaServer([FakeModel(MODEL, size=SIZE, family="qwen2"),
                       FakeModel("gemma3:4b", capabilities=["completion", "vision"], family="gemma3")]) as s:
        monkeypatch.setenv("OLLAMA_HOST", s.host)
        yield s


# ---- the Ollama model on the GPU -----------------------------------------------------------------------


def test_a_jetson_with_the_model_wholly_in_gpu_memory_is_all_ok(env, server, machine):
    machine(lambda: gpu_probe.probe_jetson(jetson_root(env)))
    code, result = doctor("--load", "--models", str(models_toml(env)))
    assert (code, result["ok"]) == (0, True)
    got = lines(result)
    assert got["gpu"] == ("ok", "GPU 0 NVIDIA Orin Nano Developer Kit: 6.0 GiB free of 7.4 GiB "
                                "(unified memory, /proc/meminfo)")
    assert got["ollama"] == ("ok", f"Ollama at {server.host} answers; 2 model(s) pulled")
    assert got["model qwen"] == ("ok", "loaded, 100% in GPU memory (5.7 GiB)")
    # --load pre-warmed it with the model's locked settings
    (load,) = [r["json"] for r in server.requests if r["path"] == "/api/chat"]
    assert (load["messages"], load["options"]["num_gpu"], load["options"]["num_ctx"], load["keep_alive"]) == ([], 99, 2048, 300)


def test_a_jetson_running_the_model_on_the_cpu_fails_with_what_to_try(env, server, machine):
    server.models[MODEL].vram_share = 0.0
    machine(lambda: gpu_probe.probe_jetson(jetson_root(env)))
    code, result = doctor("--load", "--models", str(models_toml(env)))
    assert (code, result["ok"]) == (1, False)
    status, message = lines(result)["model qwen"]
    assert status == "fail"
    assert message.startswith("loaded, 0% in GPU memory (5.7 GiB in system memory): Ollama is running it on the CPU "
                              "although this Jetson's GPU is visible, the classic Jetson failure: ")
    # the captured Jetson runs L4T R35.3.1, JetPack 5: the advice names JetPack 5's settings
    for advice in ("JETSON_JETPACK=5", "OLLAMA_LLM_LIBRARY=cuda_jetpack5", "sudo systemctl restart ollama", "num_gpu"):
        assert advice in message
    # the log line it points at is the one Ollama writes in that failure (ollama#9503)
    assert "cudaSetDevice err" in message
    assert "cudaSetDevice err: 35" in fixture_text("jetson_ollama_cpu_fallback_orin_nano_jp6.2__ollama_9503.txt")


def test_a_model_partly_in_gpu_memory_warns(env, server, machine):
    server.models[MODEL].vram_share = 0.5
    machine(lambda: gpu_probe.probe_jetson(jetson_root(env)))
    code, result = doctor("--load", "--models", str(models_toml(env)))
    assert code == 0
    assert lines(result)["model qwen"] == ("warn", "loaded, only 50% in GPU memory (2.8 GiB of 5.7 GiB): the rest "
                                                    "runs on the CPU, slowly; lower n_ctx (now 2048), pick a smaller "
                                                    "quantization, or free GPU memory")


def test_no_gpu_here_and_the_model_on_the_cpu_is_not_a_failure(env, server, machine):
    server.models[MODEL].vram_share = 0.0
    machine(gpu_probe.probe_cpu)
    code, result = doctor("--load", "--models", str(models_toml(env)))
    assert code == 0
    got = lines(result)
    assert got["gpu"][0] == "warn" and got["gpu"][1].startswith("no GPU visible: no GPU found")
    assert got["model qwen"] == ("ok", "loaded, on the CPU (5.7 GiB; no GPU visible here)")


def test_num_gpu_zero_on_the_cpu_is_as_configured(env, server, machine):
    server.models[MODEL].vram_share = 0.0
    machine(lambda: gpu_probe.probe_jetson(jetson_root(env)))
    code, result = doctor("--load", "--models", str(models_toml(env, num_gpu=0)))
    assert code == 0
    assert lines(result)["model qwen"] == ("ok", "loaded, 0% in GPU memory of 5.7 GiB: on the CPU as configured (num_gpu = 0)")


def test_without_load_a_model_not_running_says_how_to_see_where_it_sits(env, server, machine):
    machine(gpu_probe.probe_cpu)
    code, result = doctor("--models", str(models_toml(env)))
    assert code == 0
    assert lines(result)["model qwen"] == ("ok", "pulled, not loaded now: run `hearth doctor --load` to load it and "
                                                 "see how much sits in GPU memory")
    assert [r["path"] for r in server.requests] == ["/api/tags", "/api/show", "/api/ps"]


# ---- what is wrong with the setup ------------------------------------------------------------------------


def test_server_down_fails_and_says_to_start_ollama_serve(env, monkeypatch, machine):
    machine(gpu_probe.probe_cpu)
    with OllamaServer() as s:
        host = s.host
    monkeypatch.setenv("OLLAMA_HOST", host)
    code, result = doctor("--models", str(models_toml(env)))
    assert (code, result["ok"]) == (1, False)
    (check,) = [c for c in result["checks"] if c["check"] == "ollama"]
    assert check == {"check": "ollama", "status": "fail", "details": {"host": host},
                     "message": f"cannot reach the Ollama server at {host}; start it with `ollama serve`, "
                                "or set OLLAMA_HOST to where it runs (used by: qwen)"}


def test_a_model_not_pulled_fails_with_ollama_pull(env, server, machine):
    machine(gpu_probe.probe_cpu)
    code, result = doctor("--models", str(models_toml(env, model="llama3.2:3b")))
    assert code == 1
    assert lines(result)["model qwen"] == ("fail", f"llama3.2:3b is not pulled on {server.host}: run `ollama pull llama3.2:3b`")


def test_a_native_model_without_tools_warns_to_inject(env, server, machine):
    machine(gpu_probe.probe_cpu)
    code, result = doctor("--models", str(models_toml(env, model="gemma3:4b")))
    assert code == 0
    status, message = lines(result)["model qwen"]
    assert status == "warn"
    assert message.endswith('gemma3:4b has no native tool calls (completion, vision): set tool_calling = "inject" in [models.qwen]')


def test_a_plugin_that_did_not_load_is_reported(env, server, machine, monkeypatch):
    machine(gpu_probe.probe_cpu)
    plugins = env / "home" / "plugins"
    plugins.mkdir(parents=True)
    shutil.copy(Path(__file__).parent / "plugins" / "broken_import.py", plugins)
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "ollama,broken_import")
    code, result = doctor("--models", str(models_toml(env)))
    assert code == 0  # a broken plugin costs only itself
    assert lines(result)["plugin broken_import"] == (
        "warn", "did not load and is skipped: import failed: ModuleNotFoundError: No module named 'hearth_no_such_package'")


def test_a_model_whose_backend_is_missing_fails(env, machine, monkeypatch):
    machine(gpu_probe.probe_cpu)
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "shopping_list")
    code, result = doctor("--models", str(models_toml(env)))
    assert code == 1
    assert lines(result)["model qwen"] == ("fail", "backend 'ollama' is not available (backends: none); install its "
                                                   "plugin or check HEARTH_LOAD_PLUGINS")


def test_an_invalid_models_toml_is_the_one_failing_line(env):
    bad = env / "models.toml"
    bad.write_text('[roles]\nmain = "qwen"\n\n[models.qwen]\nbackend = "ollama"\nmodel = "x"\nnum_gpus = 1\n')
    code, result = doctor("--models", str(bad))
    assert (code, result) == (1, {"ok": False, "checks": [
        {"check": "config", "status": "fail", "details": {},
         "message": f"{bad}: [models.qwen] key 'num_gpus': unknown key"}]})


# ---- the command as a user runs it ---------------------------------------------------------------------


def test_the_installed_command_prints_one_line_per_check(env, server):
    r = subprocess.run([HEARTH, "doctor", "--load", "--models", str(models_toml(env))], capture_output=True, text=True,
                       timeout=120, env={**os.environ, "COLUMNS": "200"})
    out = r.stdout.splitlines()
    assert [line.split()[1] for line in out] == ["config", "plugins", "gpu", "ollama", "model"]
    assert out[3] == f"ok    ollama      Ollama at {server.host} answers; 2 model(s) pulled"
    assert out[4] == "ok    model qwen  loaded, 100% in GPU memory (5.7 GiB)"
    assert r.returncode == 0, r.stdout + r.stderr


# ---- llama.cpp models: the planner's plan ---------------------------------------------------------------


def test_a_llamacpp_model_gets_the_planners_plan(env, machine, monkeypatch, models_dir):
    monkeypatch.setenv("HEARTH_MODELS_DIR", str(models_dir))
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "llamacpp")
    machine(lambda: gpu_probe.probe_jetson(jetson_root(env)))
    toml = env / "models.toml"
    toml.write_text('[roles]\nmain = "gemma"\n\n[models.gemma]\nbackend = "llamacpp"\nmodel = "package:gemma3-270m"\n'
                    'n_ctx = 2048\n')
    code, result = doctor("--models", str(toml))
    assert "ollama" not in lines(result)  # no model uses Ollama: no server is asked
    plan = next(c for c in result["checks"] if c["check"] == "model gemma")
    # this llama-cpp-python is built for the CPU: the plan puts no layer on the Jetson's GPU and says why
    assert (plan["details"]["n_gpu_layers"], plan["details"]["n_layers"], plan["details"]["fits"]) == (0, 19, True)
    assert any("built for the CPU only" in w for w in plan["details"]["warnings"])
    assert (plan["status"], plan["message"], code) == (
        "warn", "plan: all layers on the CPU; " + "; ".join(plan["details"]["warnings"]), 0)


def test_a_llamacpp_model_file_that_is_missing_fails(env, machine, monkeypatch):
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "llamacpp")
    machine(gpu_probe.probe_cpu)
    toml = env / "models.toml"
    toml.write_text(f'[roles]\nmain = "m"\n\n[models.m]\nbackend = "llamacpp"\nmodel = "{env}/none.gguf"\n')
    code, result = doctor("--models", str(toml))
    assert code == 1
    assert lines(result)["model m"] == ("fail", f"no plan: model file {env}/none.gguf does not exist; check 'model' in "
                                                "models.toml")


# ---- satellites -------------------------------------------------------------------------------------


async def _fake_satellite(reader, writer):
    """Answers describe as wyoming-satellite does (a real Wyoming event stream on loopback)."""
    from wyoming.event import async_read_event, async_write_event
    from wyoming.info import Attribution, Info, Satellite
    if await async_read_event(reader) is not None:
        att = Attribution(name="test", url="")
        await async_write_event(Info(satellite=Satellite(name="kitchen", area="Kitchen", description="kitchen",
                                                         attribution=att, installed=True, version="1.0.0")).event(), writer)
    writer.close()


def test_satellites_that_answer_and_that_do_not_are_each_a_line(env, server, machine):
    import asyncio
    import threading
    loop = asyncio.new_event_loop()
    srv = loop.run_until_complete(asyncio.start_server(_fake_satellite, "127.0.0.1", 0))
    port = srv.sockets[0].getsockname()[1]
    threading.Thread(target=loop.run_forever, daemon=True).start()
    down = free_port()
    path = models_toml(env)
    path.write_text(path.read_text() + f'\n[[speech.satellites]]\nname = "kitchen"\nuri = "tcp://127.0.0.1:{port}"\n'
                    f'\n[[speech.satellites]]\nname = "attic"\nuri = "tcp://127.0.0.1:{down}"\n')
    try:
        code, result = doctor("--models", str(path))
    finally:
        loop.call_soon_threadsafe(loop.stop)
    found = lines(result)
    assert found["satellite kitchen"] == ("ok", f"tcp://127.0.0.1:{port} answers: kitchen in Kitchen")
    status, message = found["satellite attic"]
    assert status == "fail" and f"tcp://127.0.0.1:{down} does not answer" in message and "retrying" in message
    assert code == 1


def test_a_missing_model_that_no_role_uses_only_warns(env, machine, monkeypatch):
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "llamacpp")
    machine(gpu_probe.probe_cpu)
    toml = env / "models.toml"
    toml.write_text(f'[roles]\nmain = "m"\n\n[models.m]\nbackend = "llamacpp"\nmodel = "package:gemma3-270m"\n\n'
                    f'[models.spare]\nbackend = "llamacpp"\nmodel = "{env}/none.gguf"\n')
    code, result = doctor("--models", str(toml))
    status, message = lines(result)["model spare"]
    assert status == "warn" and message.endswith("(no role uses this model)")
    assert lines(result)["model m"][0] == "ok" and code == 0


# ---- plugins' own checks (the doctor_checks hook) ------------------------------------------------------

CHECKS_PLUGIN = """
import asyncio
from hearth import hookimpl
from hearth.checks import Check

@hookimpl
async def doctor_checks(models, load):
    await asyncio.sleep(0)
    return [Check("warn", "myserver", f"{len(models.models)} model(s) seen, load={load}", {"port": 1})]
"""

RAISING_PLUGIN = """
from hearth import hookimpl

@hookimpl
def doctor_checks(models):
    raise RuntimeError("oops")
"""


def test_a_plugins_async_checks_are_lines_and_a_raising_plugin_is_one_fail_line(env, server, machine, monkeypatch):
    machine(gpu_probe.probe_cpu)
    plugins = env / "home" / "plugins"
    plugins.mkdir(parents=True)
    (plugins / "mychecks.py").write_text(CHECKS_PLUGIN)
    (plugins / "badchecks.py").write_text(RAISING_PLUGIN)
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "ollama,mychecks,badchecks")
    code, result = doctor("--models", str(models_toml(env)))
    got = lines(result)
    assert got["myserver"] == ("warn", "1 model(s) seen, load=False")
    assert next(c for c in result["checks"] if c["check"] == "myserver")["details"] == {"port": 1}
    assert got["plugin badchecks"] == ("fail", "doctor_checks raised RuntimeError: oops")
    assert got["model qwen"][0] == "ok"  # the Ollama checks still ran
    assert code == 1
