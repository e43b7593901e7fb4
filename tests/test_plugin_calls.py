"""How the plugin manager calls hooks and loads plugins written for an older layout.

Every hook goes through one isolated path; ``first_result`` (``match_intent``) takes the first
answer of the right shape and blocks a plugin that answers wrongly. A plugin that imports a module
the core moved fails to load with an error naming the new place. Real plugin files in a temp
folder, real plugin objects; nothing is mocked.
"""

from __future__ import annotations

import asyncio

import pytest

# the same plugin folder, loader and environment as test_plugins.py (hearth_env is its autouse fixture)
from test_plugins import SHOPPING_TOOLS, hearth_env, load, plugin_dir  # noqa: F401

from hearth import hookimpl
from hearth.pluginmanager import PluginManager

# ---- modules the core moved ---------------------------------------------------------------------------


@pytest.mark.parametrize(("line", "old", "new"), [
    ("from hearth.toolrunner import ToolRunner", "hearth.toolrunner", "hearth.tooling.runner"),
    ("from hearth.turn import Agent", "hearth.turn", "hearth.agent"),  # hearth.turn is a package now
    ("import hearth.server_guard", "hearth.server_guard", "hearth.faces.guard"),
])
def test_a_plugin_importing_a_moved_module_is_told_where_it_went(tmp_path, monkeypatch, line, old, new):
    folder = plugin_dir(tmp_path)
    (folder / "old_style.py").write_text(f"{line}\nfrom hearth import hookimpl\n")

    pm = load(monkeypatch, folder, "old_style")

    error = pm.errors["old_style"]
    assert error.startswith(f"import failed: {old} moved to {new}; a plugin imports from hearth or hearth.kit only"), error
    assert pm.tools.names() == SHOPPING_TOOLS


# ---- match_intent: one answer, the right shape --------------------------------------------------------


class WrongShape:
    @hookimpl
    def match_intent(self, text):
        return ["add_to_shopping_list", {"item": text}]


class AsyncMatcher:
    @hookimpl
    async def match_intent(self, text):
        await asyncio.sleep(0.01)
        return {"name": "add_to_shopping_list", "arguments": {"item": text}}


class Buyer:
    @hookimpl
    def match_intent(self, text, tools):
        return {"name": "add_to_shopping_list", "arguments": {"item": text}, "reason": "it buys"}


async def test_first_result_skips_matchers_that_answer_wrongly_and_blocks_them(tmp_path, monkeypatch):
    """In the event loop, as in a turn: an async matcher that waits is blocked with a sentence, not run."""
    pm = load(monkeypatch, plugin_dir(tmp_path))
    for name, plugin in (("wrong", WrongShape()), ("waits", AsyncMatcher()), ("buyer", Buyer())):
        pm.register_module(plugin, name)

    match = pm.match_intent("tea")

    assert (match.name, match.arguments, match.source) == ("add_to_shopping_list", {"item": "tea"}, "plugin buyer: it buys")
    assert pm.errors == {
        "wrong": "match_intent returned ['add_to_shopping_list', {'item': 'tea'}], not {'name': ..., 'arguments': {...}}",
        "waits": "match_intent raised TypeError: it awaited something; match_intent must answer at once (a plain def, "
                 "not async)",
    }
    assert pm.match_intent("milk").source == "plugin buyer: it buys"  # the blocked ones are not asked again


# ---- one path for every hook --------------------------------------------------------------------------


def shout(word: str) -> str:
    """Say a word louder.

    Args:
        word: The word.
    """
    return word.upper()


class AsyncRegistrar:
    @hookimpl
    async def register_tools(self, register):  # async, but answers at once: it runs like a plain def
        register(shout)


class RefusesAtStartup:
    @hookimpl
    def startup(self):
        from hearth import ToolBlocked
        raise ToolBlocked("not a call to refuse")


async def test_an_async_hook_that_answers_at_once_registers_and_toolblocked_outside_a_call_blocks():
    pm = PluginManager()
    pm.register_module(AsyncRegistrar(), "loud")
    pm.register_module(RefusesAtStartup(), "refuser")
    pm.collect()

    started = await pm.call_each("startup", agent=None)

    assert ("shout" in pm.tools, pm.info["loud"].tools, started) == (True, ["shout"], [])
    assert pm.errors == {"refuser": "startup raised ToolBlocked: not a call to refuse"}
