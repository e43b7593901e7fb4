"""MCP servers' tools in Hearth: real SDK servers (tests/mcp_servers) over stdio and streamable HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import import_or_skip  # noqa: E402

import_or_skip("mcp")

from conftest import REPO, free_port, run_hearth  # noqa: E402

from hearth import Agent, ToolResult, TurnFinished  # noqa: E402
from hearth.config import ModelConfig, ModelsFile, Roles  # noqa: E402
from hearth.errors import ConfigError  # noqa: E402
from hearth.plugins import mcp_client  # noqa: E402
from hearth.tooling.tool import SchemaTool, ToolDefinitionError  # noqa: E402

NOTES = str(REPO / "tests" / "mcp_servers" / "notes_server.py")


@pytest.fixture
def mcp_home(home, monkeypatch) -> Path:
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "shopping_list,mcp_client")
    return home


def stdio_server(name: str = "notes", **extra: Any) -> dict[str, Any]:
    return {"name": name, "command": sys.executable, "args": [NOTES], **extra}


def agent_with(*servers: dict[str, Any]) -> Agent:
    """An agent with no model (tools and tier 1 need none) and these [[mcp.servers]]."""
    mf = ModelsFile(roles=Roles(main="none"), models={"none": ModelConfig(backend="none", model="none")},
                    mcp={"servers": list(servers)})
    return Agent(models=mf)


async def until(predicate, what: str, limit: float = 60.0) -> None:
    """Wait for a state (a reconnection), failing after ``limit`` seconds; not a speed check."""
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        await asyncio.sleep(0.1)


# ---- core: tools that arrive at run time ------------------------------------------------------------


async def test_schema_tool_added_at_run_time_validates_and_goes_unavailable(mcp_home):
    calls: list[dict[str, Any]] = []

    async def add(arguments: dict[str, Any]) -> ToolResult:
        calls.append(arguments)
        return ToolResult({"sum": arguments["a"] + arguments.get("b", 0)}, say="Added.")

    schema = {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "required": ["a"]}
    agent = agent_with()
    await agent.start(load_model=False)
    try:
        tool = SchemaTool("add_numbers", "Add two numbers.", schema, add, plugin="test", server="calc")
        agent.tools.add(tool)
        assert agent.tools.free_name("add_numbers", "calc") == "calc_add_numbers"
        assert agent.tools.free_name("other", "calc") == "other"
        ok = await agent.run_tool("add_numbers", {"a": 2, "b": 3})
        assert ok.ok and ok.result == {"sum": 5} and ok.say == "Added."
        bad = await agent.run_tool("add_numbers", {"a": "two", "c": 1})
        assert not bad.ok and bad.error_code == "invalid_arguments" and "'two' is not of type 'integer'" in bad.result
        assert calls == [{"a": 2, "b": 3}]  # refused before the call
        tool.set_available(False, "calc is restarting")
        down = await agent.run_tool("add_numbers", {"a": 1})
        assert (down.ok, down.error_code) == (False, "tool_unavailable") and "calc is restarting" in down.result
        assert agent.tools.remove("add_numbers") is tool and "add_numbers" not in agent.tools
        logged = [r.name for r in agent.storage.tool_calls("cli")]
        assert logged == ["add_numbers"] * 3
    finally:
        await agent.stop()


def test_schema_tool_refuses_a_bad_name_or_schema():
    async def nothing(arguments: dict[str, Any]) -> None:
        return None

    with pytest.raises(ToolDefinitionError, match="letters, digits"):
        SchemaTool("bad-name", "x", {"type": "object"}, nothing)
    with pytest.raises(ToolDefinitionError, match="invalid input schema"):
        SchemaTool("ok_name", "x", {"type": "object", "properties": {"a": {"type": "nonsense"}}}, nothing)


# ---- configuration -----------------------------------------------------------------------------------


def test_mcp_table_errors_name_file_table_and_key():
    with pytest.raises(ConfigError) as err:
        mcp_client.mcp_config({"servers": [{"name": "home", "url": "http://x/api/mcp", "colour": "red"},
                                           {"name": "notes"}]}, "models.toml")
    text = str(err.value)
    assert "models.toml: [[mcp.servers]] #1 (home) key 'colour': unknown key" in text
    assert "[[mcp.servers]] #2 (notes)" in text and "give either command (stdio) or url" in text
    with pytest.raises(ConfigError, match="two servers are named notes"):
        mcp_client.mcp_config({"servers": [stdio_server(), stdio_server()]}, "models.toml")
    with pytest.raises(ConfigError, match="token_env is for a url server"):
        mcp_client.mcp_config({"servers": [stdio_server(token_env="X")]}, "models.toml")


# ---- stdio -------------------------------------------------------------------------------------------


async def test_stdio_server_tools_listed_called_validated_and_relisted(mcp_home):
    agent = agent_with(stdio_server(ping_interval=1))
    await agent.start(load_model=False)
    try:
        by_name = {t.name: t for t in agent.tools}
        assert by_name["add_note"].server == "notes" and by_name["add_note"].plugin == "mcp_client"
        assert by_name["add_note"].parameters["required"] == ["text"]
        # the notes server's get_shopping_list clashes with Hearth's: it gets the server's name as a prefix
        assert by_name["get_shopping_list"].plugin == "shopping_list"
        assert by_name["notes_get_shopping_list"].server == "notes"
        assert "add_note" in agent.plugins.info["mcp_client"].tools
        # offered to the models with the server's schema
        schemas = {s["function"]["name"]: s["function"] for s in agent.tool_schemas()}
        assert schemas["add_note"]["parameters"]["properties"]["text"]["type"] == "string"

        added = await agent.run_tool("add_note", {"text": "milk"})
        assert added.ok and added.result == "Noted: milk" and added.say == "Noted: milk"
        bad = await agent.run_tool("add_note", {"text": 5})
        assert bad.error_code == "invalid_arguments"
        listed = await agent.run_tool("list_notes", {})
        assert listed.result == {"notes": ["milk"], "count": 1}  # structured content; the bad call never ran
        broken = await agent.run_tool("broken", {})
        assert (broken.ok, broken.error_code) == (False, "mcp_tool_error")
        clash = await agent.run_tool("notes_get_shopping_list", {})
        assert clash.result == "the notes server has no shopping list"

        assert "count_notes" not in agent.tools
        await agent.run_tool("enable_counting", {})  # the server adds a tool and says its list changed
        await until(lambda: "count_notes" in agent.tools, "the new tool after notifications/tools/list_changed")
        assert (await agent.run_tool("count_notes", {})).result == 1
        logged = [(r.name, r.ok) for r in agent.storage.tool_calls("cli")]
        assert ("add_note", True) in logged and ("broken", False) in logged
        assert [s.state for s in mcp_client.server_status(agent)] == ["connected"]
    finally:
        await agent.stop()
    assert "add_note" not in agent.tools


async def test_killed_server_comes_back_and_its_tools_are_unavailable_meanwhile(mcp_home):
    agent = agent_with(stdio_server(ping_interval=0.5))
    await agent.start(load_model=False)
    try:
        server = mcp_client.clients(agent).servers[0]  # type: ignore[union-attr]
        first_pid = (await agent.run_tool("whoami", {})).result
        os.kill(first_pid, 9)
        await until(lambda: server.state == "down" or server.connections > 1, "the supervisor to see the death")
        if server.state == "down":
            down = await agent.run_tool("whoami", {})
            assert (down.ok, down.error_code) == (False, "tool_unavailable")
            assert (await agent.run_tool("get_shopping_list", {})).ok  # the rest of Hearth keeps working
        await until(lambda: server.state == "connected" and server.connections == 2, "the server to come back")
        again = await agent.run_tool("whoami", {})
        assert again.ok and again.result != first_pid
    finally:
        await agent.stop()


async def test_server_that_never_starts_is_reported_and_hearth_goes_on(mcp_home):
    missing = {"name": "ghost", "command": str(mcp_home / "no-such-server"), "connect_timeout": 5}
    agent = agent_with(missing, stdio_server())
    await agent.start(load_model=False)
    try:
        ghost, notes = mcp_client.server_status(agent)
        assert ghost.state == "down" and ghost.error and "no-such-server" in ghost.error
        assert notes.state == "connected" and "add_note" in notes.tools
        assert agent.plugins.info["mcp_client"].error is None  # the plugin is not blocked
        assert (await agent.run_tool("add_to_shopping_list", {"item": "eggs"})).ok
    finally:
        await agent.stop()
    checks = await mcp_client.doctor_checks(agent.models, load=False)
    assert [(c.status, c.name) for c in checks] == [("fail", "mcp server ghost"), ("ok", "mcp server notes")]
    assert "did not start" in checks[0].detail


# ---- through a turn and through the CLI -------------------------------------------------------------


async def test_mcp_tool_through_a_tier1_turn(mcp_home):
    agent = agent_with(stdio_server(examples={"add_note": ["note [down] {text}"]}))
    await agent.start(load_model=False)
    try:
        done = await agent.ask("note down buy stamps", session="kitchen")
        assert isinstance(done, TurnFinished) and done.tier == 1, str(done.to_dict())
        assert done.text == "Noted: buy stamps"
        assert (await agent.run_tool("list_notes", {})).result["notes"] == ["buy stamps"]
        assert [r.name for r in agent.storage.tool_calls("kitchen")] == ["add_note"]
    finally:
        await agent.stop()


def test_hearth_tools_run_calls_an_mcp_tool(mcp_home):
    toml = (REPO / "agent" / "models.toml").read_text() + (
        f'\n[[mcp.servers]]\nname = "notes"\ncommand = {json.dumps(sys.executable)}\nargs = [{json.dumps(NOTES)}]\n')
    (mcp_home / "models.toml").write_text(toml)
    r = run_hearth("tools", "run", "add_note", "--arg", "text=call the plumber", timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == "Noted: call the plumber"
    bad = run_hearth("tools", "run", "add_note", "--json-args", '{"text": 7}', timeout=120)
    assert bad.returncode == 1 and json.loads(bad.stdout)["error"] == "invalid_arguments"


# ---- streamable HTTP ---------------------------------------------------------------------------------


@pytest.fixture
def http_notes(tmp_path):
    """The notes server over streamable HTTP on 127.0.0.1, requiring a bearer token."""
    port = free_port()
    env = {**os.environ, "NOTES_TOKEN": "s3cret"}
    proc = subprocess.Popen([sys.executable, NOTES, "--http", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/mcp"
    import socket
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("the notes HTTP server did not start")
            time.sleep(0.1)
    yield url
    proc.kill()
    proc.wait()


async def test_http_server_with_bearer_token(mcp_home, http_notes, monkeypatch):
    monkeypatch.setenv("NOTES_TOKEN", "s3cret")
    monkeypatch.setenv("WRONG_TOKEN", "guess")
    agent = agent_with({"name": "home", "url": http_notes, "token_env": "NOTES_TOKEN"},
                       {"name": "intruder", "url": http_notes, "token_env": "WRONG_TOKEN", "connect_timeout": 5})
    await agent.start(load_model=False)
    try:
        home, intruder = mcp_client.server_status(agent)
        assert home.state == "connected" and "add_note" in home.tools
        assert intruder.state == "down" and intruder.tools == []
        added = await agent.run_tool("add_note", {"text": "over http"})
        assert added.ok and added.result == "Noted: over http"
        assert (await agent.run_tool("add_note", {})).error_code == "invalid_arguments"
        assert (await agent.run_tool("list_notes", {})).result["notes"] == ["over http"]
    finally:
        await agent.stop()


def test_a_server_that_never_starts_shows_in_doctor_and_plugins(mcp_home):
    ghost = mcp_home / "no-such-server"
    toml = (REPO / "agent" / "models.toml").read_text() + (
        f'\n[[mcp.servers]]\nname = "ghost"\ncommand = {json.dumps(str(ghost))}\nconnect_timeout = 3\n'
        f'\n[[mcp.servers]]\nname = "notes"\ncommand = {json.dumps(sys.executable)}\nargs = [{json.dumps(NOTES)}]\n')
    (mcp_home / "models.toml").write_text(toml)
    doctor = run_hearth("doctor", "--json", timeout=180)
    assert doctor.returncode == 1, doctor.stderr  # a failing check
    lines = {c["check"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert lines["mcp server ghost"]["status"] == "fail" and "did not start" in lines["mcp server ghost"]["message"]
    assert lines["mcp server notes"]["status"] == "ok"
    plugins = run_hearth("plugins", "--json", timeout=180)
    assert plugins.returncode == 0, plugins.stderr
    info = {p["name"]: p for p in json.loads(plugins.stdout)}["mcp_client"]
    assert info["error"] is None and "add_note" in info["tools"]
    assert [w.split(":")[0] for w in info["warnings"]] == ["MCP server ghost did not start"]
    # and the rest of Hearth works meanwhile
    added = run_hearth("tools", "run", "add_to_shopping_list", "--arg", "item=eggs", timeout=120)
    assert added.returncode == 0, added.stderr
