"""A plugin as a class (one instance per agent) with its own models.toml table: the README's example,
run in two agents of one process that must not share state or settings."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from hearth import Agent, ConfigError, hookimpl
from hearth.config import load_models
from hearth.pluginmanager import PluginManager

REPO = Path(__file__).resolve().parent.parent
SHIPPED = (REPO / "agent" / "models.toml").read_text()


def readme_example() -> dict:
    """The code block under the README's "State and settings of a plugin", executed as a module."""
    text = (REPO / "README.md").read_text()
    section = text[text.index("### State and settings of a plugin"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec("from pydantic import BaseModel, ConfigDict\nfrom hearth import hookimpl\n" + code, namespace)
    return namespace


class Rolls:
    """Per-agent state of a module-style plugin, reached through agent.state()."""

    def __init__(self) -> None:
        self.count = 0


def agent_with(tmp_path: Path, name: str, table: str, plugin: type) -> Agent:
    path = tmp_path / f"{name}.toml"
    path.write_text(SHIPPED + textwrap.dedent(table))
    pm = PluginManager()
    pm.register_module(plugin, "dice")
    pm.collect()
    return Agent(models=load_models(path)[1], models_path=path, plugins=pm)


async def test_the_readme_plugin_class_gets_its_own_instance_and_settings_per_agent(home, tmp_path):
    Dice = readme_example()["Dice"]
    a = agent_with(tmp_path, "a", "\n[dice]\nsides = 20\n", Dice)
    b = agent_with(tmp_path, "b", "\n", Dice)  # no table: the model's defaults
    await a.start(load_model=False)
    await b.start(load_model=False)
    try:
        dice_a, dice_b = a.plugins.pm.get_plugin("dice"), b.plugins.pm.get_plugin("dice")
        assert isinstance(dice_a, Dice) and isinstance(dice_b, Dice) and dice_a is not dice_b
        assert (dice_a.sides, dice_b.sides) == (20, 6)
        assert a.plugins.info["dice"].settings == ["dice"] and a.plugins.info["dice"].error is None
    finally:
        await a.stop()
        await b.stop()


def test_a_bad_plugin_table_names_the_file_the_table_and_the_key(home, tmp_path):
    Dice = readme_example()["Dice"]
    with pytest.raises(ConfigError) as err:
        agent_with(tmp_path, "bad", '\n[dice]\nsides = "many"\nside = 3\n', Dice)
    message = str(err.value)
    assert f"{tmp_path / 'bad.toml'}: [dice] key 'sides':" in message
    assert f"{tmp_path / 'bad.toml'}: [dice] key 'side': unknown key" in message


def test_a_table_no_plugin_declares_is_an_error_once_every_plugin_is_loaded(home, tmp_path, monkeypatch):
    monkeypatch.delenv("HEARTH_LOAD_PLUGINS", raising=False)
    path = tmp_path / "m.toml"
    path.write_text(SHIPPED + "\n[dcie]\nsides = 3\n")
    pm = PluginManager()
    pm.load(entry_points=True, directory=tmp_path / "no-plugins")
    if pm.errors:
        pytest.skip(f"some plugins did not load here: {sorted(pm.errors)}")
    with pytest.raises(ConfigError, match=r"\[dcie\]: unknown table; no installed plugin declares it"):
        Agent(models=path, plugins=pm)


async def test_module_plugins_keep_state_per_agent_through_agent_state(home, tmp_path):
    class Plugin:  # a module-style plugin's functions, with their state asked of the agent
        @staticmethod
        @hookimpl
        def register_tools(register):
            def roll(ctx: ToolContext) -> int:  # noqa: F821
                """Roll once and say how many rolls this agent made."""
                rolls = ctx.state(Rolls)
                rolls.count += 1
                return rolls.count
            import hearth
            roll.__annotations__["ctx"] = hearth.ToolContext
            register(roll)

    a = agent_with(tmp_path, "a", "\n", Plugin)
    b = agent_with(tmp_path, "b", "\n", Plugin)
    for _ in range(3):
        out = await a.run_tool("roll", {}, session="s")
    out_b = await b.run_tool("roll", {}, session="s")
    assert (out.result, out_b.result) == (3, 1)
    assert a.state(Rolls) is not b.state(Rolls) and a.state(Rolls) is a.state(Rolls)
