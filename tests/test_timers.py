"""The timers plugin: durations, start/cancel/status, the scheduler's events, restarts, HA intents.

Every agent here runs its scheduler on a ManualClock, so a timer rings when a test moves the clock.
"""

from __future__ import annotations

import json

import pytest
from conftest import run_hearth

from hearth import Agent, CountdownCancelled, CountdownFinished, CountdownStarted, ManualClock, Scheduler
from hearth.config import ModelConfig, ModelsFile, Roles
from hearth.pluginmanager import PluginManager
from hearth.storage import Storage
from hearth.tools.timers import cancel_args, parse_duration, start_args, status_args
from hearth.tools.timers.ringing import SWEEP_KEY, job_key


def _agent(tmp_path, monkeypatch, clock: ManualClock | None = None) -> Agent:
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path))
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "timers")
    pm = PluginManager()
    pm.load()
    assert pm.errors == {}
    # a backend that no plugin provides: nothing here needs a model
    models = ModelsFile(roles=Roles(main="m"), models={"m": ModelConfig(backend="absent", model="x")})
    return Agent(models=models, plugins=pm, storage=Storage(f"sqlite:///{tmp_path}/t.db"),
                 scheduler=Scheduler(clock or ManualClock()))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def agent(tmp_path, monkeypatch, clock):
    a = _agent(tmp_path, monkeypatch, clock)
    await a.start(load_model=False)
    yield a
    await a.stop()


def _finished_events(agent: Agent) -> list[CountdownFinished]:
    seen: list[CountdownFinished] = []
    agent.bus.subscribe(lambda ev: seen.append(ev) if isinstance(ev, CountdownFinished) else None)
    return seen


async def _advance(agent: Agent, clock: ManualClock, seconds: float) -> None:
    """Move the clock and wait until every job that became due has run."""
    await clock.advance(seconds)
    await agent.scheduler.settle()


# ---- durations (readings: test_timer_durations.py) ------------------------------------------


async def test_start_timer_refuses_a_bad_duration_with_a_sentence(agent):
    # no duration at all fails the argument check, before the tool runs (from any tier: a tier-1
    # match with such a "duration" is no match); one out of range reaches the tool, which says why
    outs = [await agent.run_tool("start_timer", {"duration": d}) for d in ("soon", "0 seconds", "25 hours")]
    assert [(o.ok, o.error_code) for o in outs] == [(False, "invalid_arguments")] + [(False, "invalid_duration")] * 2
    assert ('I did not understand "soon" as a duration. Say a duration like "5 minutes", '
            '"1 hour and 15 minutes", "90 seconds", "half an hour" or "1:30".') in outs[0].result
    assert outs[2].result == "A timer can run for at most 24 hours; 25 hours is too long."
    status = await agent.run_tool("timer_status", {})
    assert status.result == {"timers": []}


@pytest.mark.parametrize("args, question", [
    ({"duration": "", "name": "chicken"}, "How long should the chicken timer run?"),
    ({"duration": "  ", "name": "the Roast timer"}, "How long should the Roast timer run?"),
    ({"duration": ""}, "For how long?"),
    # what a model copies from "set a timer" when no duration was said
    ({"duration": "timer", "name": "timer"}, "For how long?"),
    ({"duration": "a timer"}, "For how long?"),
])
async def test_start_timer_without_a_duration_asks_how_long_and_starts_nothing(agent, args, question):
    out = await agent.run_tool("start_timer", args)
    assert (out.ok, out.error_code, out.result) == (False, "duration_missing", question)
    assert (await agent.run_tool("timer_status", {})).result == {"timers": []}
    assert agent.scheduler.pending() == [SWEEP_KEY]


# ---- start and status ---------------------------------------------------------------------------


async def test_start_then_status_tells_the_time_left(agent, clock):
    out = await agent.run_tool("start_timer", {"duration": "10 minutes", "name": " Pizza "}, session="kitchen")
    assert (out.ok, out.say, out.result) == (
        True, "Pizza timer set for 10 minutes.",
        {"id": 1, "name": "Pizza", "duration_s": 600, "ends_at": round(clock.now() + 600, 3)})
    await _advance(agent, clock, 0.5)
    status = await agent.run_tool("timer_status", {"name": "pizza"})
    assert (status.result, status.say) == (
        {"timers": [{"id": 1, "name": "Pizza", "duration_s": 600, "remaining_s": 600,
                     "ends_at": out.result["ends_at"]}]},
        "Your Pizza timer has 10 minutes left.")  # seconds are rounded up
    await _advance(agent, clock, 1)
    status = await agent.run_tool("timer_status", {"name": "pizza"})
    assert status.say == "Your Pizza timer has 9 minutes and 59 seconds left."


async def test_status_of_several_timers_says_one_clause_each(agent):
    await agent.run_tool("start_timer", {"duration": "1 hour 15 minutes 30 seconds"})
    await agent.run_tool("start_timer", {"duration": "5 minutes", "name": "eggs"})
    status = await agent.run_tool("timer_status", {})
    assert [(t["name"], t["duration_s"]) for t in status.result["timers"]] == [("eggs", 300), (None, 4530)]
    # the soonest first
    assert status.say == ("Your eggs timer has 5 minutes left, and your 1 hour 15 minute 30 second timer has "
                          "1 hour, 15 minutes and 30 seconds left.")


async def test_status_without_timers_and_with_an_unknown_name(agent):
    empty = await agent.run_tool("timer_status", {})
    assert (empty.ok, empty.result, empty.say) == (True, {"timers": []}, "No timers are running.")
    await agent.run_tool("start_timer", {"duration": "5 minutes", "name": "eggs"})
    unknown = await agent.run_tool("timer_status", {"name": "pizza"})
    assert (unknown.ok, unknown.error_code, unknown.result) == (False, "timer_not_found", "There is no pizza timer.")


async def test_a_second_timer_with_a_running_name_is_refused(agent):
    await agent.run_tool("start_timer", {"duration": "5 minutes", "name": "eggs"})
    again = await agent.run_tool("start_timer", {"duration": "3 minutes", "name": "EGGS"})
    assert (again.ok, again.error_code) == (False, "timer_exists")
    assert again.result in ("You already have a timer named eggs with 5 minutes left.",
                            "You already have a timer named eggs with 4 minutes and 59 seconds left.")


# ---- cancel -------------------------------------------------------------------------------------


def _fixed(timer: dict) -> dict:
    """A timer's data without the fields that depend on the clock."""
    return {k: v for k, v in timer.items() if k not in ("ends_at", "remaining_s")}


async def _names(agent) -> list[str | None]:
    return [t["name"] for t in (await agent.run_tool("timer_status", {})).result["timers"]]


async def test_cancel_by_name_ignores_case_and_spaces(agent):
    await agent.run_tool("start_timer", {"duration": "5 minutes", "name": "pizza"})
    await agent.run_tool("start_timer", {"duration": "10 minutes", "name": "eggs"})
    out = await agent.run_tool("cancel_timer", {"name": "  PIZZA "})
    assert (out.ok, out.say, _fixed(out.result)) == (True, "Pizza timer cancelled.",
                                                    {"id": 1, "name": "pizza", "duration_s": 300})
    assert await _names(agent) == ["eggs"]


async def test_cancel_by_start_duration(agent):
    await agent.run_tool("start_timer", {"duration": "5 minutes"})
    await agent.run_tool("start_timer", {"duration": "10 minutes", "name": "eggs"})
    out = await agent.run_tool("cancel_timer", {"duration": "five minutes"})
    assert (out.ok, out.say) == (True, "Timer cancelled.")
    assert _fixed(out.result) == {"id": 1, "name": None, "duration_s": 300}
    assert await _names(agent) == ["eggs"]


async def test_a_duration_said_as_a_name_cancels_by_duration(agent):
    # "cancel the 5 minute timer" through the template "cancel [the|my] {name} timer"
    await agent.run_tool("start_timer", {"duration": "5 minutes"})
    await agent.run_tool("start_timer", {"duration": "10 minutes", "name": "eggs"})
    out = await agent.run_tool("cancel_timer", {"name": "5 minute"})
    assert (out.ok, out.say) == (True, "Timer cancelled.")
    assert _fixed(out.result) == {"id": 1, "name": None, "duration_s": 300}
    assert await _names(agent) == ["eggs"]


async def test_cancel_the_only_timer(agent):
    await agent.run_tool("start_timer", {"duration": "1 hour", "name": "tea"})
    out = await agent.run_tool("cancel_timer", {})
    assert (out.ok, out.say) == (True, "Tea timer cancelled.")
    assert await _names(agent) == []


async def test_cancel_with_several_and_nothing_to_choose_asks_which(agent):
    await agent.run_tool("start_timer", {"duration": "5 minutes", "name": "pizza"})
    await agent.run_tool("start_timer", {"duration": "3 minutes", "name": "eggs"})
    await agent.run_tool("start_timer", {"duration": "1 hour 30 minutes"})
    out = await agent.run_tool("cancel_timer", {})
    assert (out.ok, out.error_code, out.result) == (
        False, "timer_ambiguous", "You have 3 timers: eggs, pizza and a 1 hour 30 minute timer. Which one?")
    assert await _names(agent) == ["eggs", "pizza", None]


async def test_cancel_an_unknown_timer(agent):
    none = await agent.run_tool("cancel_timer", {})
    assert (none.ok, none.error_code, none.result) == (False, "timer_not_found", "No timers are running.")
    await agent.run_tool("start_timer", {"duration": "3 minutes", "name": "eggs"})
    unknown = await agent.run_tool("cancel_timer", {"name": "pizza"})
    assert (unknown.ok, unknown.error_code, unknown.result) == (False, "timer_not_found", "There is no pizza timer.")
    by_duration = await agent.run_tool("cancel_timer", {"duration": "7 minutes"})
    assert (by_duration.error_code, by_duration.result) == ("timer_not_found", "There is no 7 minute timer.")
    assert await _names(agent) == ["eggs"]


async def test_cancel_all_timers(agent):
    none = await agent.run_tool("cancel_all_timers", {})
    assert (none.ok, none.result, none.say) == (True, {"cancelled": 0, "timers": []}, "No timers are running.")
    await agent.run_tool("start_timer", {"duration": "5 minutes", "name": "pizza"})
    await agent.run_tool("start_timer", {"duration": "3 minutes"})
    out = await agent.run_tool("cancel_all_timers", {})
    assert (out.ok, out.result["cancelled"], out.say) == (True, 2, "Cancelled 2 timers.")
    assert await _names(agent) == []


# ---- the scheduler ------------------------------------------------------------------------------


async def test_a_finished_timer_is_announced_once_to_its_session(tmp_path, monkeypatch, clock):
    agent = _agent(tmp_path, monkeypatch, clock)
    await agent.start(load_model=False)
    seen = _finished_events(agent)
    out = await agent.run_tool("start_timer", {"duration": "1 second", "name": "eggs"}, session="satellite-1")
    await _advance(agent, clock, 0.9)
    assert seen == []
    await _advance(agent, clock, 0.1)
    assert [(e.type, e.kind, e.session, e.turn_id, e.id, e.name, e.duration_s, e.late_s, e.say) for e in seen] == [
        ("countdown_finished", "timer", "satellite-1", "", out.result["id"], "eggs", 1, 0.0, "Your eggs timer is done.")]
    await _advance(agent, clock, 90)  # nothing else follows, also after a sweep of the table
    await agent.stop()
    assert len(seen) == 1

    again = _agent(tmp_path, monkeypatch, clock)  # a restart on the same database
    seen_again = _finished_events(again)
    await again.start(load_model=False)
    await again.scheduler.settle()
    status = await again.run_tool("timer_status", {})
    await again.stop()
    assert (seen_again, status.result) == ([], {"timers": []})


async def test_a_cancelled_timer_never_fires(agent, clock):
    seen = _finished_events(agent)
    out = await agent.run_tool("start_timer", {"duration": "1 second"})
    assert job_key(out.result["id"]) in agent.scheduler.pending()
    await agent.run_tool("cancel_timer", {})
    assert agent.scheduler.pending() == [SWEEP_KEY]
    await _advance(agent, clock, 60)
    assert seen == []


async def test_a_timer_that_ended_while_hearth_was_off_fires_at_startup(tmp_path, monkeypatch, clock):
    first = _agent(tmp_path, monkeypatch, clock)
    await first.start(load_model=False)
    out = await first.run_tool("start_timer", {"duration": "1 second", "name": "tea"}, session="kitchen")
    await first.stop()  # before it ends
    await clock.advance(5)  # Hearth is off

    second = _agent(tmp_path, monkeypatch, clock)
    seen = _finished_events(second)
    await second.start(load_model=False)
    await second.scheduler.settle()
    await second.stop()
    assert [(e.session, e.id, e.name, e.duration_s, e.late_s) for e in seen] == [
        ("kitchen", out.result["id"], "tea", 1, 4.0)]


async def test_a_timer_set_by_another_process_rings_after_the_next_sweep(tmp_path, monkeypatch, clock):
    serving = _agent(tmp_path, monkeypatch, clock)
    await serving.start(load_model=False)
    seen = _finished_events(serving)
    cli = _agent(tmp_path, monkeypatch, clock)  # as `hearth tools run start_timer` on the same database
    out = await cli.run_tool("start_timer", {"duration": "90 seconds", "name": "tea"}, session="kitchen")
    await cli.stop()
    await _advance(serving, clock, 30)  # the sweep finds it
    assert job_key(out.result["id"]) in serving.scheduler.pending()
    await _advance(serving, clock, 60)
    await serving.stop()
    assert [(e.session, e.name, e.late_s) for e in seen] == [("kitchen", "tea", 0.0)]


async def test_each_agent_has_its_own_scheduler(tmp_path, monkeypatch):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    clock_a, clock_b = ManualClock(), ManualClock()
    a, b = _agent(tmp_path / "a", monkeypatch, clock_a), _agent(tmp_path / "b", monkeypatch, clock_b)
    await a.start(load_model=False)
    await b.start(load_model=False)
    seen_a, seen_b = _finished_events(a), _finished_events(b)
    await b.run_tool("start_timer", {"duration": "1 second", "name": "b"}, session="sb")
    await _advance(a, clock_a, 5)
    assert (seen_a, seen_b) == ([], [])
    await _advance(b, clock_b, 5)
    await a.stop()
    await b.stop()
    assert ([e.name for e in seen_a], [(e.session, e.name) for e in seen_b]) == ([], [("sb", "b")])


def test_a_timer_survives_a_restart_of_the_cli(tmp_path):
    env = {"HEARTH_HOME": str(tmp_path), "HEARTH_LOAD_PLUGINS": "timers",
           "HEARTH_DATABASE_URL": f"sqlite:///{tmp_path}/hearth.db"}
    started = run_hearth("tools", "run", "start_timer", "--arg", "duration=10 minutes", "--arg", "name=pizza",
                         env=env, timeout=60)
    assert started.returncode == 0, started.stderr
    assert {k: v for k, v in json.loads(started.stdout).items() if k != "ends_at"} == {
        "id": 1, "name": "pizza", "duration_s": 600}
    status = run_hearth("tools", "run", "timer_status", env=env, timeout=60)
    assert status.returncode == 0, status.stderr
    [timer] = json.loads(status.stdout)["timers"]
    assert (timer["name"], timer["duration_s"]) == ("pizza", 600)
    assert 590 <= timer["remaining_s"] <= 600


# ---- Home Assistant intents ---------------------------------------------------------------------


@pytest.mark.parametrize("slots, args, seconds", [
    ({"hours": 1}, {"duration": "1 hour"}, 3600),
    ({"hours": 1, "minutes": 15}, {"duration": "1 hour 15 minutes"}, 4500),
    ({"hours": 1, "minutes": 15, "seconds": 30}, {"duration": "1 hour 15 minutes 30 seconds"}, 4530),
    ({"minutes": 30}, {"duration": "30 minutes"}, 1800),  # "half an hour"
    ({"minutes": 5, "seconds": 30.0}, {"duration": "5 minutes 30 seconds"}, 330),  # "5 and a half minutes"
    ({"seconds": 45}, {"duration": "45 seconds"}, 45),
    ({"minutes": 5, "name": "pizza "}, {"duration": "5 minutes", "name": "pizza"}, 300),
    ({"minutes": 5, "name": "  ", "area": "Kitchen"}, {"duration": "5 minutes"}, 300),
])
def test_start_timer_intent_slots_become_arguments(slots, args, seconds):
    assert start_args(slots) == args
    assert parse_duration(args["duration"]) == seconds


@pytest.mark.parametrize("slots", [{"minutes": 5, "conversation_command": "turn off the oven"}, {"name": "pizza"}])
def test_start_timer_intent_without_a_plain_duration_is_refused(slots):
    # a command to run when the timer ends is not supported: a model answers instead of tier 1
    with pytest.raises(ValueError):
        start_args(slots)


@pytest.mark.parametrize("slots, args", [
    ({}, {}),
    ({"start_minutes": 5}, {"duration": "5 minutes"}),
    ({"start_hours": 1, "start_seconds": 30}, {"duration": "1 hour 30 seconds"}),
    ({"name": "pizza "}, {"name": "pizza"}),
    ({"area": "Kitchen"}, {"name": "kitchen"}),
    ({"name": "eggs", "area": "Kitchen"}, {"name": "eggs"}),
])
def test_cancel_timer_intent_slots_become_arguments(slots, args):
    assert cancel_args(slots) == args


@pytest.mark.parametrize("slots, args", [
    ({}, {}), ({"name": " pizza "}, {"name": "pizza"}), ({"area": "Living Room"}, {"name": "living room"}),
])
def test_timer_status_intent_slots_become_arguments(slots, args):
    assert status_args(slots) == args


async def test_intent_arguments_drive_the_tools(agent):
    start = await agent.run_tool("start_timer", start_args({"minutes": 5, "name": "pizza "}))
    assert (start.say, start.result["duration_s"]) == ("Pizza timer set for 5 minutes.", 300)
    assert (await agent.run_tool("cancel_timer", cancel_args({"start_minutes": 5}))).say == "Pizza timer cancelled."


async def test_spoken_requests_reach_the_timer_tools_without_a_model(agent):
    started = await agent.ask("set a pizza timer for 5 minutes", session="kitchen")
    status = await agent.ask("how much time is left on my pizza timer", session="kitchen")
    cancelled = await agent.ask("cancel the pizza timer", session="kitchen")
    assert (started.type, started.tier, started.text) == ("finished", 1, "Pizza timer set for 5 minutes.")
    assert status.text == "Your pizza timer has 5 minutes left."
    assert (cancelled.tier, cancelled.text) == (1, "Pizza timer cancelled.")


async def test_everyday_timer_phrasings_reach_the_tools_on_tier_1(agent):
    async def say(text: str) -> str:
        done = await agent.ask(text, session="kitchen")
        assert (done.type, done.tier) == ("finished", 1), (text, done)
        return done.text

    assert await say("noodles timer two and a half minutes") == "Noodles timer set for 2 minutes and 30 seconds."
    assert await say("egg timer, 7 minutes please") == "Egg timer set for 7 minutes."
    assert await say("and another one for the broccoli, 4 minutes") == "Broccoli timer set for 4 minutes."
    assert await say("another 5 minute timer for the rice") == "Rice timer set for 5 minutes."
    assert await say("how long's the egg got") == "Your egg timer has 7 minutes left."
    assert await say("how much longer on the rice") == "Your rice timer has 5 minutes left."
    assert (await say("what timers have I got going")).startswith("Your noodles timer has 2 minutes and 30 seconds left")
    assert await say("what's running") == await say("have I got any timers going")
    # a name and no duration: a question, and no timer starts
    assert await say("set a timer for the chicken") == "How long should the chicken timer run?"
    assert await say("start the chicken timer") == "How long should the chicken timer run?"
    assert await _names(agent) == ["noodles", "broccoli", "rice", "egg"]


async def test_setting_and_cancelling_timers_are_events_for_their_session(agent):
    seen: list = []
    agent.bus.subscribe(lambda ev: seen.append(ev) if isinstance(ev, (CountdownStarted, CountdownCancelled)) else None)
    pizza = await agent.run_tool("start_timer", {"duration": "5 minutes", "name": "pizza"}, session="kitchen")
    await agent.run_tool("start_timer", {"duration": "10 minutes"}, session="hall")
    await agent.run_tool("cancel_timer", {"name": "pizza"}, session="hall")
    await agent.run_tool("cancel_all_timers", {}, session="hall")
    assert [(e.type, e.kind, e.session, e.name, getattr(e, "duration_s", None)) for e in seen] == [
        ("countdown_started", "timer", "kitchen", "pizza", 300), ("countdown_started", "timer", "hall", None, 600),
        ("countdown_cancelled", "timer", "kitchen", "pizza", None), ("countdown_cancelled", "timer", "hall", None, None)]
    assert seen[0].id == seen[2].id and seen[1].id == seen[3].id
    assert seen[0].ends_at == pizza.result["ends_at"]
