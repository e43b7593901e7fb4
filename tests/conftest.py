"""Shared fixtures: every test gets its own HEARTH_HOME; model files are assembled once per run."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# Under CI (.ci/run sets HEARTH_CI) a part a test needs that is missing is a failure, never a skip:
# a green run must mean every test ran.
IN_CI = bool(os.environ.get("HEARTH_CI"))


def import_or_skip(module: str):
    """``pytest.importorskip`` on a developer's machine; a plain import (an error if missing) in CI."""
    if IN_CI:
        import importlib
        return importlib.import_module(module)
    return pytest.importorskip(module)
HEARTH = shutil.which("hearth", path=str(Path(sys.executable).parent)) or "hearth"


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    """Model files assembled from their packages once for the whole run."""
    d = Path(os.environ.get("HEARTH_TEST_MODELS_DIR") or tmp_path_factory.mktemp("models"))
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.fixture
def home(tmp_path, monkeypatch, models_dir) -> Path:
    """A fresh HEARTH_HOME with only the built-in plugins."""
    h = tmp_path / "home"
    h.mkdir()
    monkeypatch.setenv("HEARTH_HOME", str(h))
    monkeypatch.setenv("HEARTH_MODELS_DIR", str(models_dir))
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "llamacpp,shopping_list")
    monkeypatch.delenv("HEARTH_MODELS", raising=False)
    monkeypatch.delenv("HEARTH_DATABASE_URL", raising=False)
    return h


def run_hearth(*args: str, env: dict | None = None, timeout: float = 300, input: str | None = None) -> subprocess.CompletedProcess:
    """Run the installed ``hearth`` command in a subprocess, as a user would."""
    return subprocess.run([HEARTH, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, input=input)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound and released: a server to start, or one that is down)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def new_tier1_agent(tmp_path, monkeypatch):
    """An agent of the everyday plugins whose model cannot run (a backend no plugin provides): a turn that
    reaches a model fails with ``backend_missing``, so what it changes was done on tier 1. Not started."""
    from hearth import Agent
    from hearth.config import ModelConfig, ModelsFile, Roles
    from hearth.pluginmanager import PluginManager
    from hearth.storage import Storage
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path))
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "shopping_list,timers,clock,smalltalk")
    pm = PluginManager()
    pm.load()
    assert pm.errors == {}
    models = ModelsFile(roles=Roles(main="m"), models={"m": ModelConfig(backend="absent", model="x")})
    return Agent(models=models, plugins=pm, storage=Storage(f"sqlite:///{tmp_path}/t.db"))


@pytest.fixture
async def tier1_agent(tmp_path, monkeypatch):
    """:func:`new_tier1_agent`, stopped after the test."""
    agent = new_tier1_agent(tmp_path, monkeypatch)
    yield agent
    await agent.stop()


async def shopping_items(agent) -> list[tuple[str, int, bool]]:
    """The shopping list as (name, quantity, checked), in list order."""
    items = (await agent.run_tool("get_shopping_list", {})).result["items"]
    return [(i["name"], i["quantity"], i["checked"]) for i in items]


async def running_timers(agent) -> list[tuple[str | None, int]]:
    """The running timers as (name, duration_s), sorted."""
    timers = (await agent.run_tool("timer_status", {})).result["timers"]
    return sorted((t.get("name"), t["duration_s"]) for t in timers)


async def say_on_tier1(agent, *turns: str, session: str = "k") -> list[str]:
    """Each turn's reply in one session; every turn must be answered on tier 1."""
    replies = []
    for text in turns:
        done = await agent.ask(text, session=session)
        assert (done.type, getattr(done, "tier", None)) == ("finished", 1), (text, done)
        replies.append(done.text)
    return replies


@pytest.fixture(scope="session")
def ha_python(tmp_path_factory) -> Path:
    """Home Assistant's virtual environment, made once per run for every module that starts one
    (``HEARTH_TEST_HA_VENV`` reuses one made earlier)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from homeassistant_server import make_venv
    where = os.environ.get("HEARTH_TEST_HA_VENV")
    return make_venv(Path(where) if where else tmp_path_factory.mktemp("ha-venv"))
