"""End to end with real llama.cpp inference on the embedded GGUF models (seconds per test)."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import textwrap
from pathlib import Path

import pytest
from conftest import REPO, run_hearth

from hearth import Agent, CallRequest, Delta, Done
from hearth.kit import read_quantity
from hearth.tools.shopping_list import item_key

pytestmark = pytest.mark.slow

CASES = json.loads((REPO / "tests" / "data" / "shopping_requests.json").read_text())


def events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def _effect(name: str, args: dict) -> tuple:
    """What the shopping list does with a call (case, plural and '2 loaves of' folded)."""
    if "item" not in args:
        return name, None, None
    qty, item = read_quantity(str(args["item"]))
    q = args.get("quantity", 1)
    return name, item_key(item), (qty if qty is not None and q == 1 else q) if name == "add_to_shopping_list" else None


# ---- the README's first command, as a new user runs it -----------------------------------------------


def test_chat_adds_bread_and_a_new_process_lists_it(home):
    r = run_hearth("chat", "add bread to my shopping list")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "Added bread to your shopping list."
    r = run_hearth("tools", "run", "get_shopping_list")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"items": [{"name": "bread", "quantity": 1, "checked": False}]}


def test_chat_json_prints_the_turn_events_in_order(home):
    r = run_hearth("chat", "--json", "--tier", "3", "put 3 apples on the shopping list")
    assert r.returncode == 0, r.stderr
    evs = events(r.stdout)
    assert [e["type"] for e in evs] == ["started", "routed", "tool_call", "tool_result", "text_delta", "finished"]
    assert (evs[1]["tier"], evs[1]["reason"], evs[1]["model"]) == (3, "tier 3 chosen", "gemma3-270m")
    assert evs[2]["name"] == "add_to_shopping_list" and evs[2]["arguments"] == {"item": "apples", "quantity": 3}
    assert evs[3]["ok"] is True and evs[3]["result"] == {"name": "apples", "quantity": 3, "checked": False}
    assert evs[-1]["text"] == "Added 3 apples to your shopping list."
    assert evs[-1]["tool_calls"] == 1 and evs[-1]["timings"]["total_ms"] > 0
    assert len({e["session"] for e in evs}) == 1


def test_session_continues_and_history_is_stored(home):
    for text in ("add milk to my shopping list", "add eggs to my shopping list"):
        assert run_hearth("chat", "--session", "kitchen", text).returncode == 0
    db = sqlite3.connect(home / "hearth.db")
    rows = db.execute("select role, content from messages where conversation_id='kitchen' order by id").fetchall()
    assert [r for r in rows if r[0] == "user"] == [("user", "add milk to my shopping list"),
                                                  ("user", "add eggs to my shopping list")]
    calls = db.execute("select name, arguments, ok from tool_calls where conversation_id='kitchen' order by id").fetchall()
    assert calls == [("add_to_shopping_list", '{"item": "milk"}', 1), ("add_to_shopping_list", '{"item": "eggs"}', 1)]


def test_interactive_chat_streams_and_exits_on_eof(home):
    r = run_hearth("chat", input="add honey to my shopping list\nexit\n")
    assert r.returncode == 0, r.stderr
    assert "Added honey to your shopping list." in r.stdout
    assert json.loads(run_hearth("tools", "run", "get_shopping_list").stdout)["items"][0]["name"] == "honey"


# ---- injected tool calling on Gemma 3 270M ----------------------------------------------------------


async def test_injected_path_gets_at_least_8_of_10_requests_right(home):
    agent = Agent()
    backend = agent.backend()
    assert backend.config.tool_calling == "inject"
    await agent.start()
    tools = agent.tool_schemas()
    right = []
    for case in [c for c in CASES if c.get("test")]:
        messages = [{"role": "system", "content": "You are Hearth."}, {"role": "user", "content": case["text"]}]
        calls = [ev async for ev in backend.chat(messages, tools) if isinstance(ev, CallRequest)]
        ok = len(calls) == 1 and _effect(calls[0].name, calls[0].arguments) == _effect(case["name"], case["arguments"])
        right.append((case["text"], ok, calls))
    await agent.stop()
    assert sum(ok for _, ok, _ in right) >= 8, right


async def test_a_request_for_no_tool_gets_text_not_a_call(home):
    agent = Agent()
    await agent.start()
    done = await agent.ask("hello there, thank you", session="s")
    await agent.stop()
    assert done.type == "finished" and done.tool_calls == 0


# ---- cancel: a reply the consumer leaves stops generating and frees the model ------------------------


async def test_cancel_during_a_ranked_path_reply_frees_the_model_within_a_second(home):
    # an instruct model: on the ranked path it words a reply when no tool fits (a base model says a
    # fixed sentence instead, tests/test_model_path.py)
    _models_toml(home, """
        [roles]
        main = "qwen"
        [models.qwen]
        backend = "llamacpp"
        model = "package:qwen2.5-coder-0.5b"
        tool_calling = "inject"
        tool_select = "rank"
        max_tokens = 2000
        n_ctx = 4096
    """)
    agent = Agent()
    await agent.start()
    backend = agent.backend()
    messages = [{"role": "system", "content": "You are Hearth."},
                {"role": "user", "content": "Count from 1 to 300, separated by commas."}]
    first_text = asyncio.Event()
    seen: list[object] = []

    async def reply() -> None:
        async for ev in backend.chat(messages, agent.tool_schemas()):
            seen.append(ev)
            if isinstance(ev, Delta):
                first_text.set()

    task = asyncio.create_task(reply())
    await asyncio.wait_for(first_text.wait(), 120)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    try:
        # the model is free again: counting tokens takes the same lock a generation holds
        counted = await asyncio.wait_for(asyncio.to_thread(backend.count_tokens, messages, []), 1.0)
    finally:
        await agent.stop()
    assert counted > 0
    assert not [ev for ev in seen if isinstance(ev, (CallRequest, Done))]  # no tool chosen, and cut off before the end


# ---- bad input: clear errors, nothing lost ----------------------------------------------------------


def test_empty_message_is_refused(home):
    r = run_hearth("chat", "   ")
    assert r.returncode == 1
    assert "the message is empty" in r.stderr


async def test_empty_message_in_a_turn_fails_with_a_code(home):
    agent = Agent()
    done = await agent.ask("", session="s")
    assert (done.type, done.code) == ("failed", "empty_message")


def _models_toml(home: Path, body: str) -> None:
    (home / "models.toml").write_text(textwrap.dedent(body))


def test_missing_model_file_is_a_clear_error(home):
    _models_toml(home, """
        [roles]
        main = "mine"
        [models.mine]
        backend = "llamacpp"
        model = "/nowhere/llama-3.1-8b-q4_k_m.gguf"
    """)
    r = run_hearth("chat", "--tier", "3", "please add bread")  # tier 1 would answer without the model
    assert r.returncode == 1
    assert "model file /nowhere/llama-3.1-8b-q4_k_m.gguf does not exist" in r.stderr


def test_invalid_models_toml_names_file_table_and_key(home):
    _models_toml(home, """
        [roles]
        main = "mine"
        [models.mine]
        backend = "llamacpp"
        model = "package:gemma3-270m"
        n_gpu = 20
    """)
    r = run_hearth("chat", "hi")
    assert r.returncode == 1
    assert f"{home / 'models.toml'}: [models.mine] key 'n_gpu': unknown key" in r.stderr


def test_a_users_own_gguf_path_loads_the_same_way(home, models_dir):
    gguf = next(models_dir.glob("gemma-3-270m*.gguf"))
    own = home / "my-models" / "gemma.gguf"
    own.parent.mkdir()
    own.symlink_to(gguf)
    _models_toml(home, f"""
        [roles]
        main = "mine"
        [models.mine]
        backend = "llamacpp"
        model = "{own}"
        tool_calling = "inject"
        tool_select = "rank"
        reply = "tool"
    """)
    r = run_hearth("chat", "--tier", "3", "add rice to my shopping list")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "Added rice to your shopping list."


QWEN_RING = """
    [roles]
    main = "qwen"
    [models.qwen]
    backend = "llamacpp"
    model = "package:qwen2.5-coder-0.5b"
    tool_calling = "native"
    reply = "tool"
    system_prompt = '''You control a house. The house also has a bell. To ring it, call the function ring_bell with no arguments, written as {"name": "ring_bell", "arguments": {}} between <tool_call> tags.'''
"""


def test_unknown_tool_from_a_real_model_is_an_error_result_and_the_turn_finishes(home):
    # Qwen is told of a tool that no plugin provides; it calls it in its native format.
    _models_toml(home, QWEN_RING)
    r = run_hearth("chat", "--json", "ring the bell")
    assert r.returncode == 0, r.stderr
    evs = events(r.stdout)
    result = next(e for e in evs if e["type"] == "tool_result")
    assert (result["name"], result["ok"], result["error_code"]) == ("ring_bell", False, "unknown_tool")
    assert evs[-1]["type"] == "finished"
    assert evs[-1]["text"] == "Sorry, I can't do that yet."  # the model is told of the unknown tool, not the person


def test_native_tool_calls_on_qwen(home):
    _models_toml(home, QWEN_RING.replace("system_prompt", "# system_prompt"))
    r = run_hearth("chat", "--json", "--tier", "3", "add milk to my shopping list")
    assert r.returncode == 0, r.stderr
    call = next(e for e in events(r.stdout) if e["type"] == "tool_call")
    assert call["name"] == "add_to_shopping_list" and call["arguments"]["item"] == "milk"
    assert json.loads(run_hearth("tools", "run", "get_shopping_list").stdout)["items"][0]["name"] == "milk"


FAULTY_PLUGIN = '''
import time
from hearth import hookimpl, ToolError

def sound_the_alarm() -> str:
    """Sound the house alarm."""
    raise RuntimeError("the siren is unplugged")

def water_the_plants() -> str:
    """Water the plants in the garden."""
    time.sleep(30)
    return "watered"

@hookimpl
def register_tools(register):
    register(sound_the_alarm, examples=["sound the alarm", "(start|ring) the alarm", "alarm now"])
    register(water_the_plants, timeout=1.0,
             examples=["water the plants", "water the garden", "give the plants some water"])
'''


@pytest.mark.parametrize("text, name, code", [
    ("sound the alarm", "sound_the_alarm", "tool_failed"),
    ("water the plants", "water_the_plants", "tool_timeout"),
])
def test_a_tool_that_raises_or_hangs_fails_cleanly_and_the_turn_finishes(home, text, name, code):
    (home / "plugins").mkdir()
    (home / "plugins" / "faulty.py").write_text(FAULTY_PLUGIN)
    r = run_hearth("chat", "--json", text, env={"HEARTH_LOAD_PLUGINS": "llamacpp,faulty"})
    assert r.returncode == 0, r.stderr
    evs = events(r.stdout)
    result = next(e for e in evs if e["type"] == "tool_result")
    assert (result["name"], result["ok"], result["error_code"]) == (name, False, code)
    assert evs[-1]["type"] == "finished"


# ---- the README's plugin example, installed as written -----------------------------------------------


def readme_plugin_code() -> str:
    readme = (REPO / "README.md").read_text()
    m = re.search(r"<!-- plugin-example -->\s*```python\n(.*?)```", readme, re.S)
    assert m, "README has no plugin example block"
    return m.group(1)


def test_readme_plugin_example_as_a_single_file_is_called_by_the_model(home):
    (home / "plugins").mkdir()
    (home / "plugins" / "dice.py").write_text(readme_plugin_code())
    env = {"HEARTH_LOAD_PLUGINS": "llamacpp,shopping_list,dice"}
    r = run_hearth("tools", "--json", env=env)
    assert "roll_dice" in [t["name"] for t in json.loads(r.stdout)]
    r = run_hearth("chat", "--json", "--tier", "3", "roll 3 dice", env=env)
    assert r.returncode == 0, r.stderr
    evs = events(r.stdout)
    call = next(e for e in evs if e["type"] == "tool_call")
    result = next(e for e in evs if e["type"] == "tool_result")
    assert (call["name"], call["arguments"]) == ("roll_dice", {"count": 3})
    assert result["ok"] and len(result["result"]["rolls"]) == 3
    assert all(1 <= x <= 6 for x in result["result"]["rolls"])


@pytest.fixture
def readme_plugin_package(tmp_path):
    """The README's example, pip-installed as a package with a `hearth` entry point."""
    import subprocess
    import sys

    from test_plugins import DICE_BACKEND, DICE_PYPROJECT
    src = tmp_path / "readme-dice"
    src.mkdir()
    (src / "hearth_dice.py").write_text(readme_plugin_code())
    (src / "dice_backend.py").write_text(textwrap.dedent(DICE_BACKEND).lstrip().replace("hearth_test_dice", "hearth_readme_dice").replace("hearth-test-dice", "hearth-readme-dice"))
    (src / "pyproject.toml").write_text(textwrap.dedent(DICE_PYPROJECT).lstrip().replace("hearth-test-dice", "hearth-readme-dice"))
    pip = [sys.executable, "-m", "pip"]
    try:
        r = subprocess.run(pip + ["install", "--no-deps", "--no-build-isolation", "--no-index", "-q", str(src)],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        yield
    finally:
        subprocess.run(pip + ["uninstall", "-y", "-q", "hearth-readme-dice"], capture_output=True, timeout=120)


def test_readme_plugin_example_as_a_package_is_called_by_the_model_beside_a_broken_plugin(home, readme_plugin_package):
    (home / "plugins").mkdir()
    (home / "plugins" / "broken.py").write_text("from hearth import hookimpl\nimport no_such_module\n")
    env = {"HEARTH_LOAD_PLUGINS": "llamacpp,shopping_list,dice,broken"}
    r = run_hearth("chat", "--json", "--tier", "3", "roll 2 dice", env=env)
    assert r.returncode == 0, r.stderr
    assert "plugin broken skipped: import failed: ModuleNotFoundError: No module named 'no_such_module'" in r.stderr
    evs = events(r.stdout)
    call = next(e for e in evs if e["type"] == "tool_call")
    assert (call["name"], call["arguments"]) == ("roll_dice", {"count": 2})
    plugins = {p["name"]: p for p in json.loads(run_hearth("plugins", "--json", env=env).stdout)}
    assert plugins["dice"]["tools"] == ["roll_dice"] and plugins["dice"]["error"] is None
    assert plugins["broken"]["tools"] == [] and "no_such_module" in plugins["broken"]["error"]
    # the built-ins still answer
    assert run_hearth("chat", "add rice to my shopping list", env=env).stdout.strip() == "Added rice to your shopping list."
