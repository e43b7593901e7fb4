"""The timers' writes tell how to undo them, and cancelling every timer is a destructive call."""

from __future__ import annotations

import pytest

from hearth import Agent, ManualClock, Scheduler
from hearth.config import ModelConfig, ModelsFile, Roles
from hearth.pluginmanager import PluginManager
from hearth.storage import Storage


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def agent(tmp_path, monkeypatch, clock):
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path))
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "timers")
    pm = PluginManager()
    pm.load()
    assert pm.errors == {}
    models = ModelsFile(roles=Roles(main="m"), models={"m": ModelConfig(backend="absent", model="x")})
    a = Agent(models=models, plugins=pm, storage=Storage(f"sqlite:///{tmp_path}/t.db"), scheduler=Scheduler(clock))
    await a.start(load_model=False)
    yield a
    await a.stop()


async def _running(agent: Agent) -> list[tuple[str | None, int]]:
    return [(t["name"], t["remaining_s"]) for t in (await agent.run_tool("timer_status", {})).result["timers"]]


async def test_starting_a_timer_is_undone_by_cancelling_that_timer(agent):
    await agent.run_tool("start_timer", {"duration": "5 minutes"})
    started = await agent.run_tool("start_timer", {"duration": "5 minutes"})  # two alike: the id tells them apart
    assert started.undo == ("cancel_timer", {"timer_id": started.result["id"]})
    undone = await agent.run_tool(*started.undo)
    assert undone.ok, undone.result
    assert undone.result["id"] == started.result["id"]
    assert await _running(agent) == [(None, 300)]


async def test_cancelling_a_timer_is_undone_by_starting_it_again_with_the_time_left(agent, clock):
    await agent.run_tool("start_timer", {"duration": "10 minutes", "name": "pasta"})
    await clock.advance(150)
    cancelled = await agent.run_tool("cancel_timer", {"name": "pasta"})
    assert cancelled.undo == ("start_timer", {"duration": "7 minutes 30 seconds", "name": "pasta"})
    assert await _running(agent) == []
    again = await agent.run_tool(*cancelled.undo)
    assert again.say == "Pasta timer set for 7 minutes and 30 seconds."
    assert await _running(agent) == [("pasta", 450)]


async def test_an_unnamed_timer_comes_back_unnamed(agent):
    await agent.run_tool("start_timer", {"duration": "90 seconds"})
    cancelled = await agent.run_tool("cancel_timer", {})
    assert cancelled.undo == ("start_timer", {"duration": "1 minute 30 seconds"})


async def test_a_timer_cancelled_by_its_id_that_no_longer_runs(agent, clock):
    started = await agent.run_tool("start_timer", {"duration": "1 minute"})
    await clock.advance(61)
    await agent.scheduler.settle()
    out = await agent.run_tool(*started.undo)
    assert (out.ok, out.error_code) == (False, "timer_not_found")


def test_cancel_all_timers_is_destructive(agent):
    tools = {t.name: t for t in agent.plugins.tools}
    assert tools["cancel_all_timers"].destructive
    assert not any(tools[n].destructive for n in ("start_timer", "cancel_timer", "timer_status"))


async def test_a_strict_match_cancels_every_timer(agent):
    await agent.run_tool("start_timer", {"duration": "5 minutes"})
    await agent.run_tool("start_timer", {"duration": "8 minutes", "name": "rice"})
    done = await agent.ask("cancel all my timers", session="k")
    assert (done.tier, done.text) == (1, "Cancelled 2 timers.")
    assert await _running(agent) == []
