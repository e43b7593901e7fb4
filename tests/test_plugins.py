"""Plugin loading: single files and entry points, HEARTH_LOAD_PLUGINS, and broken plugins costing only themselves.

The single-file plugins live in tests/plugins/; each test copies the ones it wants into its own
folder. One test builds and pip-installs a real package with a ``hearth`` entry point.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hearth import Agent, Storage
from hearth.config import ModelConfig, ModelsFile, Roles
from hearth.pluginmanager import PluginManager

PLUGINS = Path(__file__).with_name("plugins")
HEARTH = str(Path(sys.executable).with_name("hearth"))
SHOPPING_SENTENCES = Path(__file__).resolve().parent.parent / "tools" / "shopping_list" / "sentences"
SHOPPING_TOOLS = ["add_to_shopping_list", "check_off_shopping_list", "clear_shopping_list", "count_shopping_list",
                  "get_shopping_list", "is_on_shopping_list", "remove_from_shopping_list", "restore_shopping_list",
                  "set_shopping_list_quantity", "uncheck_shopping_list"]
REGISTERED = ["add_to_shopping_list", "remove_from_shopping_list", "check_off_shopping_list", "uncheck_shopping_list",
              "get_shopping_list", "count_shopping_list", "clear_shopping_list", "set_shopping_list_quantity",
              "is_on_shopping_list", "restore_shopping_list"]  # the order shopping_list registers them in


@pytest.fixture(autouse=True)
def hearth_env(tmp_path, monkeypatch):
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "shopping_list")


def plugin_dir(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "plugins"
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(PLUGINS / f"{name}.py", folder / f"{name}.py")
    return folder


def load(monkeypatch, folder: Path, *names: str) -> PluginManager:
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", ",".join(("shopping_list",) + names))
    pm = PluginManager()
    pm.load(directory=folder)
    return pm


def run_hearth(home: Path, allowed: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HEARTH_HOME": str(home), "HEARTH_LOAD_PLUGINS": allowed}
    return subprocess.run([HEARTH, *args], env=env, capture_output=True, text=True, timeout=60)


# ---- single-file plugins, in process ----------------------------------------------------------------


def test_good_file_plugin_adds_its_tool(tmp_path, monkeypatch):
    folder = plugin_dir(tmp_path, "coin")

    pm = load(monkeypatch, folder, "coin")

    assert (pm.tools.names(), pm.errors, pm.info["coin"].to_dict()) == (
        sorted(SHOPPING_TOOLS + ["flip_coin"]),
        {},
        {"name": "coin", "source": f"file {folder / 'coin.py'}", "version": "1.0.0", "hooks": ["register_tools"],
         "tools": ["flip_coin"], "backends": [], "stt": [], "tts": [], "settings": [], "sentences": [], "error": None,
         "warnings": [],
         "dist": None, "missing": None},
    )


def test_builtin_shopping_list_is_an_ordinary_entry_point_plugin(tmp_path, monkeypatch):
    pm = load(monkeypatch, plugin_dir(tmp_path))

    assert pm.info["shopping_list"].to_dict() == {
        "name": "shopping_list", "source": "entry point hearth.tools.shopping_list (hearth)", "version": "0.1.0",
        "hooks": ["register_sentences", "register_tools"], "tools": REGISTERED, "backends": [], "stt": [], "tts": [],
        "settings": [], "sentences": [str(SHOPPING_SENTENCES)], "error": None, "warnings": [],
        "dist": "hearth", "missing": None}


def test_plugin_with_a_syntax_error_costs_only_itself(tmp_path, monkeypatch):
    pm = load(monkeypatch, plugin_dir(tmp_path, "broken_syntax"), "broken_syntax")

    assert (pm.errors, pm.tools.names()) == (
        {"broken_syntax": "import failed: SyntaxError: expected ':' (broken_syntax.py, line 7)"}, SHOPPING_TOOLS)


def test_plugin_whose_import_fails_costs_only_itself(tmp_path, monkeypatch):
    pm = load(monkeypatch, plugin_dir(tmp_path, "broken_import"), "broken_import")

    assert (pm.errors, pm.tools.names()) == (
        {"broken_import": "import failed: ModuleNotFoundError: No module named 'hearth_no_such_package'"},
        SHOPPING_TOOLS)


def test_plugin_whose_register_tools_raises_is_blocked_with_no_tools(tmp_path, monkeypatch):
    pm = load(monkeypatch, plugin_dir(tmp_path, "raises_on_register"), "raises_on_register")

    assert (pm.errors, pm.info["raises_on_register"].tools, pm.tools.names()) == (
        {"raises_on_register": "register_tools raised RuntimeError: weather service unreachable"},
        [],
        SHOPPING_TOOLS,
    )


def test_plugin_with_a_misspelled_hook_is_refused(tmp_path, monkeypatch):
    pm = load(monkeypatch, plugin_dir(tmp_path, "misspelled_hook"), "misspelled_hook")

    assert (pm.errors, pm.tools.names()) == (
        {"misspelled_hook": "unknown hook(s) register_tool; see hearth.hookspecs for the hook names"}, SHOPPING_TOOLS)


def test_plugin_duplicating_a_tool_name_costs_only_itself(tmp_path, monkeypatch):
    pm = load(monkeypatch, plugin_dir(tmp_path, "duplicate_tool"), "duplicate_tool")

    assert (pm.errors, pm.tools.names(), pm.tools.get("add_to_shopping_list").plugin) == (
        {"duplicate_tool": "register_tools raised ToolDefinitionError: tool 'add_to_shopping_list' from plugin "
                           "'duplicate_tool' duplicates the one from plugin 'shopping_list'; rename one of them or "
                           "disable a plugin with HEARTH_LOAD_PLUGINS"},
        SHOPPING_TOOLS,
        "shopping_list",
    )


def test_all_broken_plugins_at_once_leave_the_good_ones_working(tmp_path, monkeypatch):
    broken = ("broken_syntax", "broken_import", "raises_on_register", "misspelled_hook")
    pm = load(monkeypatch, plugin_dir(tmp_path, "coin", *broken), "coin", *broken)

    assert (sorted(pm.errors), pm.tools.names()) == (sorted(broken), sorted(SHOPPING_TOOLS + ["flip_coin"]))


def test_file_plugin_not_named_in_hearth_load_plugins_is_not_loaded(tmp_path, monkeypatch):
    pm = load(monkeypatch, plugin_dir(tmp_path, "coin"))

    assert (sorted(pm.info), pm.tools.names()) == (["shopping_list"], SHOPPING_TOOLS)


def test_empty_hearth_load_plugins_loads_nothing(tmp_path, monkeypatch):
    folder = plugin_dir(tmp_path, "coin")
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "")

    pm = PluginManager()
    pm.load(directory=folder)

    assert (pm.info, pm.tools.names(), pm.backends) == ({}, [], {})


def test_file_plugin_named_like_an_entry_point_is_refused(tmp_path, monkeypatch):
    folder = plugin_dir(tmp_path)
    shutil.copy(PLUGINS / "coin.py", folder / "shopping_list.py")

    pm = load(monkeypatch, folder)

    assert (pm.errors, pm.tools.names()) == (
        {f"shopping_list ({folder / 'shopping_list.py'})":
         "a plugin named 'shopping_list' is already loaded from entry point hearth.tools.shopping_list (hearth); "
         "rename the file"},
        SHOPPING_TOOLS,
    )


def test_plugins_load_from_hearth_home_by_default(tmp_path, monkeypatch):
    plugin_dir(tmp_path / "home", "coin")
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "coin")

    pm = PluginManager()
    pm.load(entry_points=False)

    assert pm.tools.names() == ["flip_coin"]


def agent_with(tmp_path, monkeypatch, *names: str) -> Agent:
    """An agent (no model) over shopping_list and the named test plugins from tests/plugins/."""
    pm = load(monkeypatch, plugin_dir(tmp_path, *names), *names)
    placeholder = ModelsFile(roles=Roles(main="none"), models={"none": ModelConfig(backend="none", model="none")})
    return Agent(models=placeholder, plugins=pm, storage=Storage(f"sqlite:///{tmp_path}/t.db"))


def file_plugin(agent: Agent, name: str):
    return agent.plugins.pm.get_plugin(name)


async def test_a_raising_async_startup_blocks_only_its_plugin(tmp_path, monkeypatch):
    agent = agent_with(tmp_path, monkeypatch, "bad_async_startup", "observer")
    observer = file_plugin(agent, "observer")

    await agent.start(load_model=False)
    added = await agent.run_tool("add_to_shopping_list", {"item": "milk"})
    await agent.stop()

    assert (agent.plugins.errors, agent.plugins.info["bad_async_startup"].tools, "ping" in agent.tools) == (
        {"bad_async_startup": "startup raised RuntimeError: the network is down"}, [], False)
    assert (added.ok, observer.calls) == (True, ["startup", "shutdown"])


async def test_a_raising_on_event_is_logged_and_ignored(tmp_path, monkeypatch, caplog):
    agent = agent_with(tmp_path, monkeypatch, "noisy_observer", "observer")
    observer = file_plugin(agent, "observer")
    await agent.start(load_model=False)

    finished = await agent.ask("add bread to my shopping list", session="kitchen")
    echoed = await agent.run_tool("echo_word", {"word": "still here"})

    assert (finished.type, finished.tier, agent.plugins.errors, echoed.result) == ("finished", 1, {}, "still here")
    # the async on_event of the other plugin was awaited for every event of the turn
    assert observer.calls == ["startup", "started", "routed", "tool_call", "tool_result", "text_delta", "finished"]
    assert "plugin noisy_observer: on_event failed (ignored)" in caplog.text
    assert "ValueError: cannot observe finished" in caplog.text


async def test_a_deliberate_async_before_tool_call_blocks_the_call_and_not_the_plugin(tmp_path, monkeypatch):
    agent = agent_with(tmp_path, monkeypatch, "guard")

    blocked = await agent.run_tool("add_to_shopping_list", {"item": "milk"}, session="kitchen")
    listed = await agent.run_tool("get_shopping_list", {}, session="kitchen")
    elsewhere = await agent.run_tool("add_to_shopping_list", {"item": "tea"}, session="hall")

    assert ((blocked.ok, blocked.error_code, blocked.result), listed.result["items"], elsewhere.ok) == (
        (False, "tool_blocked", "The call to add_to_shopping_list was blocked: the list is read-only today"),
        [], True)
    assert agent.plugins.errors == {}


async def test_a_buggy_before_tool_call_is_a_plugin_error_not_a_block(tmp_path, monkeypatch):
    agent = agent_with(tmp_path, monkeypatch, "buggy_guard")

    failed = await agent.run_tool("add_to_shopping_list", {"item": "milk"})
    listed = await agent.run_tool("get_shopping_list", {})

    assert (failed.ok, failed.error_code, failed.result) == (
        False, "plugin_error",
        "The call to add_to_shopping_list was not made: plugin buggy_guard's before_tool_call raised KeyError: "
        "'quantity'. The plugin is now blocked; see hearth plugins.")
    # the plugin is blocked and says why (what hearth plugins shows); later calls run without it
    assert (agent.plugins.info["buggy_guard"].error, listed.ok, listed.result["items"]) == (
        "before_tool_call raised KeyError: 'quantity'", True, [])


# ---- the CLI, in subprocesses ------------------------------------------------------------------------


def test_hearth_plugins_json_reports_each_broken_plugin(tmp_path):
    home = tmp_path / "home"
    broken = ("broken_syntax", "broken_import", "raises_on_register", "misspelled_hook")
    plugin_dir(home, "coin", *broken)

    proc = run_hearth(home, ",".join(("shopping_list", "coin") + broken), "plugins", "--json")

    report = {p["name"]: (p["error"], p["tools"]) for p in json.loads(proc.stdout)}
    assert (proc.returncode, report) == (0, {
        "shopping_list": (None, REGISTERED),
        "coin": (None, ["flip_coin"]),
        "broken_import": ("import failed: ModuleNotFoundError: No module named 'hearth_no_such_package'", []),
        "broken_syntax": ("import failed: SyntaxError: expected ':' (broken_syntax.py, line 7)", []),
        "misspelled_hook": ("unknown hook(s) register_tool; see hearth.hookspecs for the hook names", []),
        "raises_on_register": ("register_tools raised RuntimeError: weather service unreachable", []),
    })


DICE_MODULE = '''
"""Dice: a third-party Hearth plugin installed as a package."""

from hearth import hookimpl

__version__ = "0.1.0"


def roll_die(sides: int = 6) -> int:
    """Roll a die.

    Args:
        sides: How many sides the die has.
    """
    import random
    return random.randint(1, sides)


@hookimpl
def register_tools(register):
    register(roll_die, examples=["roll a {sides} sided die"])
'''

# setuptools in the venv predates its own bdist_wheel and `wheel` is not installed, so the package
# brings a PEP 517 backend of a few lines: pip builds and installs it offline, entry point included.
DICE_BACKEND = '''
import base64, hashlib, zipfile
from pathlib import Path

DIST_INFO = "hearth_test_dice-0.1.0.dist-info"


def _files():
    return {
        "hearth_dice.py": Path("hearth_dice.py").read_bytes(),
        f"{DIST_INFO}/METADATA": b"Metadata-Version: 2.1\\nName: hearth-test-dice\\nVersion: 0.1.0\\n",
        f"{DIST_INFO}/WHEEL": b"Wheel-Version: 1.0\\nGenerator: dice_backend\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
        f"{DIST_INFO}/entry_points.txt": b"[hearth]\\ndice = hearth_dice\\n",
    }


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name = "hearth_test_dice-0.1.0-py3-none-any.whl"
    files = _files()
    record = ""
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record += f"{path},sha256={digest},{len(data)}\\n"
    record += f"{DIST_INFO}/RECORD,,\\n"
    with zipfile.ZipFile(Path(wheel_directory) / name, "w") as zf:
        for path, data in files.items():
            zf.writestr(path, data)
        zf.writestr(f"{DIST_INFO}/RECORD", record)
    return name
'''

DICE_PYPROJECT = '''
[build-system]
requires = []
build-backend = "dice_backend"
backend-path = ["."]

[project]
name = "hearth-test-dice"
version = "0.1.0"

[project.entry-points.hearth]
dice = "hearth_dice"
'''


@pytest.fixture(scope="module")
def dice_installed(tmp_path_factory):
    """The dice package pip-installed into this venv for the module's tests, uninstalled after."""
    src = tmp_path_factory.mktemp("hearth-dice")
    (src / "hearth_dice.py").write_text(textwrap.dedent(DICE_MODULE).lstrip())
    (src / "dice_backend.py").write_text(textwrap.dedent(DICE_BACKEND).lstrip())
    (src / "pyproject.toml").write_text(textwrap.dedent(DICE_PYPROJECT).lstrip())
    pip = [sys.executable, "-m", "pip"]
    try:
        proc = subprocess.run(pip + ["install", "--no-deps", "--no-build-isolation", "--no-index", "-q", str(src)],
                              capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            pytest.fail(f"pip install of the dice package failed:\n{proc.stderr}")
        yield
    finally:
        subprocess.run(pip + ["uninstall", "-y", "-q", "hearth-test-dice"], capture_output=True, timeout=120)


def test_installed_entry_point_plugin_lists_its_tool(tmp_path, dice_installed):
    proc = run_hearth(tmp_path / "home", "dice,shopping_list", "tools", "--json")

    tools = {t["name"]: t for t in json.loads(proc.stdout)}
    assert (proc.returncode, sorted(tools), tools["roll_die"]) == (0, sorted(SHOPPING_TOOLS + ["roll_die"]), {
        "name": "roll_die",
        "description": "Roll a die.",
        "parameters": {"type": "object",
                       "properties": {"sides": {"type": "integer", "description": "How many sides the die has.",
                                                "default": 6}},
                       "required": [], "additionalProperties": False},
        "plugin": "dice", "server": None, "available": True,
        "examples": ["roll a {sides} sided die"],
    })


def test_installed_entry_point_plugin_tool_runs(tmp_path, dice_installed):
    proc = run_hearth(tmp_path / "home", "dice", "tools", "run", "roll_die", "--arg", "sides=1")

    assert (proc.returncode, json.loads(proc.stdout)) == (0, 1)


def test_a_blocked_plugin_loses_its_speech_engines(monkeypatch):
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "faster_whisper,piper")
    pm = PluginManager()
    pm.load(directory=Path("/nonexistent"))
    assert (pm.stt.keys(), pm.info["faster_whisper"].stt, pm.info["piper"].tts) == ({"faster-whisper"}, ["faster-whisper"], ["piper"])
    pm.block("piper", "test")
    assert pm.tts == {} and pm.info["piper"].tts == [] and "faster-whisper" in pm.stt

