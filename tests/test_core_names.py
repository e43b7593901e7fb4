"""The core names no tool, and no plugin names another plugin.

Collected from the real thing: every tool the built-in plugins register, and every entry point of the
``hearth`` group (importlib.metadata). Checked with Python's own parser (docstrings are excluded:
they may keep examples):

- the core (``agent/**/*.py``): no string literal or identifier holds a tool's name, no string literal
  a tool's or plugin's name spoken ("shopping list" for ``shopping_list``), and no string literal is
  an entry point's name (``"smalltalk"``) or its module (``hearth.tools.smalltalk``);
- each plugin's files: no string literal holds another plugin's tool names, is another plugin's
  entry-point name or names its module.

Names match case-sensitively as whole words: the scheduler's ``Clock`` is not the ``clock`` plugin,
"Ollama" the product is not ``"ollama"`` the plugin, and a plugin may say "timers" or "o'clock".

``ALLOWED`` lists the exceptions, each with its reason; a stale one fails, so the list only shrinks.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import re
from pathlib import Path

import pytest

from hearth.pluginmanager import ENTRY_POINT_GROUP, PluginManager

REPO = Path(__file__).resolve().parent.parent
CORE = REPO / "agent"

# (file relative to the repository, name) -> why it may be named there
ALLOWED: dict[tuple[str, str], str] = {
    # the shipped default engines: models.toml's and the voice settings' defaults name them
    ("agent/config.py", "llamacpp"): "the default backend of a [models.NAME] table",
    ("agent/cli/fit.py", "llamacpp"): "hearth fit plans llama.cpp models only",
    ("agent/voice/speech.py", "piper"): "the default TTS engine",
    # the protocol the face serves has the name the OpenAI-compatible backend plugin took
    ("agent/faces/openai_api.py", "openai"): "OpenAI's API (the /v1 face), not the plugin",
}
# an example in a help text ("..., e.g. 'add eggs to my shopping list'") is documentation, as in a docstring
EXAMPLE = re.compile(r"\be\.g\.")
# (no file is left out: understanding requests lives in data files, issue 24)
NOT_YET: set[str] = set()  # issue 24 moved the English of the dialogue and the router into data files


def _docstrings(tree: ast.AST) -> set[int]:
    nodes = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {id(n.body[0].value) for n in ast.walk(tree) if isinstance(n, nodes) and n.body
            and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)
            and isinstance(n.body[0].value.value, str)}


def _identifiers(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return [node.attr]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.arg):
        return [node.arg]
    if isinstance(node, ast.alias):
        return [node.name, node.asname or ""]
    if isinstance(node, ast.keyword):
        return [node.arg or ""]
    return []


def _holds(text: str, name: str) -> bool:
    """``name`` as a whole word of ``text`` (``start_timer`` is in "call start_timer(", not in "restart_timers")."""
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", text) is not None


def _is_entry(text: str, name: str) -> bool:
    """``text`` is the entry point's name, or names its module (``hearth.tools.NAME``, ``hearth.plugins.NAME``)."""
    return text == name or re.search(rf"\bhearth\.(?:plugins|tools)\.{re.escape(name)}\b", text) is not None


def findings(source: str, words: set[str], identifiers: set[str] = frozenset(),
             entries: set[str] = frozenset()) -> list[tuple[int, str, str]]:
    """(line, name, the text) for each name found: ``words`` in string literals (docstrings excluded),
    ``identifiers`` in string literals and identifiers, ``entries`` as a whole string literal or module."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            text = node.value
            found += [(line, n, text) for n in sorted(words | identifiers) if _holds(text, n)]
            found += [(line, n, text) for n in sorted(entries) if _is_entry(text, n)]
        elif isinstance(node, ast.Constant):
            continue
        else:
            found += [(line, n, t[:80]) for t in _identifiers(node) for n in sorted(identifiers) if _holds(t, n)]
    return sorted(found)


def _spoken(name: str) -> str:
    return name.replace("_", " ")


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """(tool name -> its plugin, entry-point name -> its source files) of every built-in plugin."""
    import os
    old = {k: os.environ.pop(k, None) for k in ("HEARTH_LOAD_PLUGINS", "HEARTH_HOME")}
    os.environ["HEARTH_HOME"] = str(tmp_path_factory.mktemp("home"))
    try:
        pm = PluginManager()
        pm.load(directory=tmp_path_factory.mktemp("no-plugins"))
    finally:
        for k, v in old.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    assert not pm.errors
    tools = {t.name: t.plugin for t in pm.tools}
    files: dict[str, list[Path]] = {}
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        origin = Path(importlib.util.find_spec(ep.value.split(":")[0]).origin)
        files[ep.name] = sorted(origin.parent.rglob("*.py")) if origin.name == "__init__.py" else [origin]
    assert {"shopping_list", "timers", "llamacpp"} <= set(files) and "start_timer" in tools
    return tools, files


def test_the_checker_finds_a_planted_name_and_only_where_it_counts():
    planted = 'x = "add_to_shopping_list"\n'
    assert findings(planted, {"add_to_shopping_list"}) == [(1, "add_to_shopping_list", "add_to_shopping_list")]
    assert findings('def f():\n    """Call add_to_shopping_list."""\n', {"add_to_shopping_list"}) == []
    assert findings("start_timer = 1\n", set(), {"start_timer"}) == [(1, "start_timer", "start_timer")]
    assert findings("start_timer = 1\n", {"start_timer"}) == []  # identifiers only where asked
    assert findings('s = "restart_timers"\n', {"start_timer"}) == []  # whole words only
    assert findings('s = f"say {x} to your shopping list"\n', {"shopping list"}) != []
    assert findings('s = "Shopping List"\n', {"shopping list"}) == []  # case-sensitive
    assert findings('load("timers")\nm = "hearth.tools.timers"\n', set(), entries={"timers"}) == [
        (1, "timers", "timers"), (2, "timers", "hearth.tools.timers")]
    assert findings('s = "cancel all timers"\n', set(), entries={"timers"}) == []


def _core_problems(tools: dict[str, str | None], files: dict[str, list[Path]]) -> list[str]:
    names = set(tools)
    spoken = {_spoken(n) for n in [*files, *names] if "_" in n}
    problems = []
    for path in sorted(CORE.rglob("*.py")):
        rel = path.relative_to(REPO).as_posix()
        if rel in NOT_YET:
            continue
        for line, name, text in findings(path.read_text(), spoken, names, set(files)):
            example = (m := EXAMPLE.search(text)) is not None and name in text[m.end():]
            if (rel, name) not in ALLOWED and not example:
                problems.append(f"{rel}:{line}: {name!r} in {text[:100]!r}")
    return problems


def test_the_core_names_no_tool_and_no_plugin(registry):
    tools, files = registry
    assert _core_problems(tools, files) == []


def test_every_allowed_exception_is_still_needed(registry):
    tools, files = registry
    for (rel, name), why in ALLOWED.items():
        found = findings((REPO / rel).read_text(), {_spoken(name)}, {name}, {name})
        assert found, f"{rel} no longer names {name} ({why}): drop it from ALLOWED"


def _plugin_problems(tools: dict[str, str | None], files: dict[str, list[Path]]) -> list[str]:
    problems = []
    for plugin, paths in files.items():
        other_tools = {n for n, p in tools.items() if p != plugin}
        other_entries = {e for e in files if e != plugin}
        for path in paths:
            rel = path.relative_to(REPO).as_posix()
            for line, name, text in findings(path.read_text(), other_tools, entries=other_entries):
                if (rel, name) not in ALLOWED:
                    problems.append(f"{rel}:{line}: {name!r} in {text[:100]!r}")
    return problems


def test_no_plugin_names_another_plugins_tools_or_entry_point(registry):
    tools, files = registry
    assert _plugin_problems(tools, files) == []
