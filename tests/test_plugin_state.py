"""Plugin state belongs to one agent: no module globals under plugins/ and tools/, and two agents in one
process, each with its own Home Assistant and MCP settings, share nothing.

The rule is read from the source with ``ast``: no ``global`` statement, and no module-level lower-case name
bound to a container (a dict, list or set literal or comprehension, or a call of dict, list, set,
defaultdict, deque, WeakValueDictionary...) or to an instance of a class (``_matcher = Matcher()``).
UPPER_CASE constants are fine (tables the code only reads). Objects shared across agents on purpose
(loaded weights) live in ``hearth.kit.shared``; state per agent lives on a plugin class's instance or in
``agent.state(cls)``.
"""

from __future__ import annotations

import ast
import asyncio
import sys
import uuid
from pathlib import Path

import pytest
from conftest import REPO, free_port, import_or_skip

from hearth import Agent, Storage, hearth_home
from hearth.config import ModelConfig, ModelsFile, Roles

ROOTS = ("plugins", "tools")
# module-level mutable names allowed anyway, "path:name" -> why (none today: llama.cpp's process-wide log
# callback lives in hearth.kit.shared, as the speech engines' weights do)
EXCEPTIONS: dict[str, str] = {}
CONTAINERS = {"dict", "list", "set", "defaultdict", "OrderedDict", "deque", "Counter", "ChainMap", "bytearray",
              "WeakValueDictionary", "WeakKeyDictionary", "WeakSet"}
# calls that make something the module only reads, or that is process-wide by nature (a logger)
IMMUTABLE_CALLS = {"getLogger", "compile", "TypeVar", "ParamSpec", "frozenset", "tuple", "Path", "NewType",
                   "field", "namedtuple", "NamedTuple", "Literal"}
NOTES = str(REPO / "tests" / "mcp_servers" / "notes_server.py")


def _call_name(node: ast.expr) -> str:
    func = node.func if isinstance(node, ast.Call) else None
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _mutable(value: ast.expr | None) -> bool:
    """Whether a module-level value is a container or an object the code may change."""
    if isinstance(value, (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)):
        return True
    if isinstance(value, ast.Call):
        name = _call_name(value)
        return name in CONTAINERS or (name[:1].isupper() and name not in IMMUTABLE_CALLS)
    return False


def _module_statements(body: list[ast.stmt]):
    """The statements run at import (inside module-level if/try/with blocks too, not in functions)."""
    for node in body:
        yield node
        for block in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(node, block, None)
            if isinstance(inner, list) and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                  ast.ClassDef)):
                yield from _module_statements([n for n in inner if isinstance(n, (ast.stmt, ast.excepthandler))])


def violations(path: Path) -> list[str]:
    """``path:line: what`` for each global statement and each lower-case module-level container."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    rel = path.relative_to(REPO).as_posix()
    found = [f"{rel}:{n.lineno}: global {', '.join(n.names)}" for n in ast.walk(tree) if isinstance(n, ast.Global)]
    for node in _module_statements(tree.body):
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets, value = [node.target], node.value
        else:
            continue
        names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        for name in names:
            if name.startswith("__") or name == name.upper() or f"{rel}:{name}" in EXCEPTIONS:
                continue
            if _mutable(value):
                found.append(f"{rel}:{node.lineno}: module-level {name} = {ast.unparse(value)[:60]}")
    return found


def test_no_module_state_in_plugins_and_tools():
    files = sorted(p for root in ROOTS for p in (REPO / root).rglob("*.py"))
    assert len(files) > 20  # the scan sees the plugins
    found = [v for p in files for v in violations(p)]
    assert found == [], "state per agent belongs on a plugin class or in agent.state(cls):\n" + "\n".join(found)


def test_the_rule_can_fail(tmp_path):
    bad = REPO / "tests" / "data" / "_module_state_example.py"
    bad.write_text("import logging\nfrom collections import defaultdict\nlog = logging.getLogger('x')\n"
                   "TABLE = {'a': 1}\n_cache = {}\nseen: list[str] = []\n_by = defaultdict(list)\n"
                   "_matcher = Matcher()\ntry:\n    _late = set()\nexcept ImportError:\n    pass\n"
                   "def f():\n    global _cache\n    local = {}\n")
    try:
        found = violations(bad)
    finally:
        bad.unlink()
    names = [v.split(": ", 1)[1].split(" =")[0] for v in found]
    assert names == ["global _cache", "module-level _cache", "module-level seen", "module-level _by",
                     "module-level _matcher", "module-level _late"], found


# ---- two agents in one process ------------------------------------------------------------------------


def _agent(**tables) -> Agent:
    """An agent with no model and these plugin tables, with a database of its own."""
    models = ModelsFile(roles=Roles(main="none"), models={"none": ModelConfig(backend="none", model="none")},
                        **tables)
    return Agent(models=models, storage=Storage(f"sqlite:///{hearth_home()}/{uuid.uuid4().hex}.db"))


def _notes(name: str) -> dict:
    return {"servers": [{"name": name, "command": sys.executable, "args": [NOTES]}]}


@pytest.fixture
def two_agents_env(home, monkeypatch):
    import_or_skip("mcp")
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "shopping_list,smalltalk,homeassistant,mcp_client")
    for name in ("HASS_URL", "HASS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return home


async def test_two_agents_share_no_plugin_state(two_agents_env):
    from hearth.plugins import mcp_client
    ports = free_port(), free_port()
    a = _agent(homeassistant={"url": f"http://127.0.0.1:{ports[0]}"}, mcp=_notes("notes_a"))
    b = _agent(homeassistant={"url": f"http://127.0.0.1:{ports[1]}"}, mcp=_notes("notes_b"))
    c = _agent()  # neither Home Assistant nor MCP
    await asyncio.gather(a.start(load_model=False), b.start(load_model=False), c.start(load_model=False))
    try:
        # Home Assistant: each agent's tools reach its own (here unreachable) Home Assistant
        for agent, port in ((a, ports[0]), (b, ports[1])):
            out = await agent.run_tool("HassTurnOn", {"name": "Kitchen Lights"})
            assert not out.ok and out.error_code in ("ha_unavailable", "ha_auth_failed"), out.result
            assert f"127.0.0.1:{port}" in str(out.result) and f":{ports[0] + ports[1] - port}" not in str(out.result)
        assert "HassTurnOn" not in c.tools and (await c.run_tool("HassTurnOn", {"name": "x"})).error_code != "ha_unavailable"
        # MCP: each agent's notes server is its own process with its own notes
        assert (await a.run_tool("add_note", {"text": "call the plumber"})).ok
        listed_a = await a.run_tool("list_notes", {})
        listed_b = await b.run_tool("list_notes", {})
        assert listed_a.result["notes"] == ["call the plumber"] and listed_b.result["notes"] == [], (listed_a, listed_b)
        assert [s.name for s in mcp_client.server_status(a)] == ["notes_a"]
        assert [s.name for s in mcp_client.server_status(b)] == ["notes_b"]
        assert mcp_client.server_status(c) == [] and "add_note" not in c.tools
        # small talk: each agent's capability sentence names its own tools
        said_a = (await a.run_tool("small_talk", {"kind": "capabilities"})).say or ""
        said_c = (await c.run_tool("small_talk", {"kind": "capabilities"})).say or ""
        assert "home assistant" in said_a.lower() and "turn" in said_a, said_a
        assert "home assistant" not in said_c.lower() and "shopping list" in said_c.lower(), said_c
        # stopping one leaves the other working
        await a.stop()
        assert mcp_client.server_status(a) == []
        assert (await b.run_tool("add_note", {"text": "milk"})).ok
        assert (await b.run_tool("list_notes", {})).result["notes"] == ["milk"]
        out = await b.run_tool("HassTurnOn", {"name": "Kitchen Lights"})
        assert out.error_code == "ha_unavailable" and f"127.0.0.1:{ports[1]}" in str(out.result)
    finally:
        await asyncio.gather(a.stop(), b.stop(), c.stop())


def test_shared_loads_once_per_key_and_keeps_no_failed_load():
    import threading

    from hearth.kit import forget, shared
    loads: list[str] = []

    def load(key: str):
        def make():
            loads.append(key)
            if key == "bad" and loads.count("bad") == 1:
                raise OSError("first load fails")
            return object()
        return make

    results: list[tuple] = []
    threads = [threading.Thread(target=lambda: results.append(shared(("test", "k"), load("k")))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert loads == ["k"] and len({id(v) for v, _ in results}) == 1 and len({id(lk) for _, lk in results}) == 1
    with pytest.raises(OSError):
        shared(("test", "bad"), load("bad"))
    value, lock = shared(("test", "bad"), load("bad"))  # a failed load is tried again
    assert loads.count("bad") == 2 and not lock.locked()
    assert forget(("test", "k")) and not forget(("test", "k"))
    forget(("test", "bad"))


# ---- with a real Home Assistant: one agent with the right token, one with a wrong one -------------------


@pytest.mark.slow
async def test_two_agents_two_tokens_one_home_assistant(two_agents_env, monkeypatch, tmp_path_factory):
    sys.path.insert(0, str(Path(__file__).parent))
    import os

    from homeassistant_server import HomeAssistant, make_venv
    where = os.environ.get("HEARTH_TEST_HA_VENV")
    ha = HomeAssistant(make_venv(Path(where) if where else tmp_path_factory.mktemp("ha-venv")),
                       tmp_path_factory.mktemp("ha-config")).start()
    monkeypatch.setenv("TOKEN_A", ha.token)
    monkeypatch.setenv("TOKEN_B", "not-a-token")
    a = _agent(homeassistant={"url": ha.url, "token_env": "TOKEN_A"})
    b = _agent(homeassistant={"url": ha.url, "token_env": "TOKEN_B"})
    try:
        await asyncio.gather(a.start(load_model=False), b.start(load_model=False))
        ha.call("light", "turn_off", entity_id="light.bed_light")
        refused = await b.run_tool("HassTurnOn", {"name": "Bed Light"})
        assert refused.error_code == "ha_auth_failed" and "$TOKEN_B" in str(refused.result)
        assert (await a.run_tool("HassTurnOn", {"name": "Bed Light"})).ok
        assert ha.state("light.bed_light")["state"] == "on"
        assert a.router.route("turn off the bed light").match is not None  # a's tier 1 knows a's home
        await b.stop()
        assert (await a.run_tool("HassTurnOff", {"name": "Bed Light"})).ok
        assert ha.state("light.bed_light")["state"] == "off"
    finally:
        await asyncio.gather(a.stop(), b.stop())
        ha.stop()
