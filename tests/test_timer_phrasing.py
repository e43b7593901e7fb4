"""Timer phrasing: the timers plugin's sentence file (tools/timers/sentences/en.yaml) read through the
real pipeline (the core's normaliser, the compiled grammar, the argument checks), and the sentence
file itself. What the old regex phrasing read is checked in test_timer_parity.py."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hassil import Intents, recognize_best

from hearth import Agent, ManualClock, Scheduler
from hearth.config import ModelConfig, ModelsFile, Roles
from hearth.pluginmanager import PluginManager
from hearth.storage import Storage
from hearth.tools.timers import DurationError, clean_name, parse_duration

SENTENCES = Path(__file__).resolve().parent.parent / "tools" / "timers" / "sentences" / "en.yaml"
TOOLS = {"start_timer", "cancel_timer", "cancel_all_timers", "timer_status"}


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    """An agent with the timers plugin alone (no model: tier 1 only)."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HEARTH_HOME", str(home))
        mp.setenv("HEARTH_LOAD_PLUGINS", "timers")
        pm = PluginManager()
        pm.load()
        assert pm.errors == {}
        models = ModelsFile(roles=Roles(main="m"), models={"m": ModelConfig(backend="absent", model="x")})
        yield Agent(models=models, plugins=pm, storage=Storage(f"sqlite:///{home}/t.db"),
                    scheduler=Scheduler(ManualClock()))


def calls(agent: Agent, text: str) -> list[tuple[str, dict]]:
    """The tier-1 calls for ``text``: durations in seconds ("" when none was said), names cleaned."""
    out = []
    for match in agent.router.match_all(text):
        args = dict(match.arguments)
        if "duration" in args:
            try:
                args["duration"] = parse_duration(args["duration"]) if args["duration"].strip() else ""
            except DurationError:
                args["duration"] = f"unreadable: {args['duration']}"
        if "name" in args:
            args["name"] = clean_name(args["name"])
        out.append((match.name, args))
    return out


# ---- the sentence file --------------------------------------------------------------------------


def test_the_sentence_file_is_hassil_and_names_only_the_timer_tools(agent):
    data = yaml.safe_load(SENTENCES.read_text())
    Intents.from_dict(data)  # compiles on its own
    assert set(data["intents"]) == TOOLS
    assert all(n.startswith("timer_") for n in [*data["lists"], *data["expansion_rules"]])
    assert str(SENTENCES.parent) in [str(f) for f in agent.plugins.sentence_folders()]


def test_hassil_reads_the_file_directly():
    intents = Intents.from_dict(yaml.safe_load(SENTENCES.read_text()))
    result = recognize_best("set a pasta timer for ten minutes", intents)
    assert result is not None and result.intent.name == "start_timer"
    assert {k: e.value.strip() for k, e in result.entities.items() if k in ("name", "duration")} == {
        "name": "pasta", "duration": "ten minutes"}


# ---- named timers, status, cancelling -----------------------------------------------------------


@pytest.mark.parametrize("text, name, seconds", [
    ("pasta timer for 10 minutes", "pasta", 600), ("10 minute pasta timer", "pasta", 600),
    ("timer called pasta for 10 minutes", "pasta", 600), ("start a 3 minute egg timer", "egg", 180),
    ("set a 20 minute timer called laundry", "laundry", 1200), ("set a timer for 45 minutes called roast", "roast", 2700),
    ("set the egg timer for three minutes", "egg", 180), ("Pasta timer: ten minutes, please.", "pasta", 600),
])
def test_named_timers_in_any_order(agent, text, name, seconds):
    assert calls(agent, text) == [("start_timer", {"name": name, "duration": seconds})]


@pytest.mark.parametrize("text, seconds", [
    ("set a timer for ten minutes", 600), ("set a timer for ninety seconds", 90),
    ("set a timer for one hour and twenty minutes", 4800), ("set a timer for a minute and a half", 90),
    ("set a timer for a quarter of an hour", 900), ("set a timer for twenty-five minutes", 1500),
    ("set a timer for 1:30", 90), ("set a timer for 2.5 minutes", 150), ("an hour thirty timer", 5400),
    ("set a timer for 1 hour 15 minutes and 30 seconds", 4530), ("set a timer for a couple of minutes", 120),
    ("set timer 5 minutes", 300), ("set a timer for five", 300), ("half an hour timer", 1800),
])
def test_durations_in_words_and_digits(agent, text, seconds):
    assert calls(agent, text) == [("start_timer", {"duration": seconds})]


@pytest.mark.parametrize("text, expected", [
    ("timer called pasta", ("start_timer", {"name": "pasta", "duration": ""})),  # the tool asks how long
    ("how long is left on the pasta timer", ("timer_status", {"name": "pasta"})),
    ("how much time left", ("timer_status", {})), ("how much time is left on the pasta timer", ("timer_status", {"name": "pasta"})),
    ("cancel the pasta timer", ("cancel_timer", {"name": "pasta"})), ("cancel the tea one", ("cancel_timer", {"name": "tea"})),
    ("turn the pasta timer off", ("cancel_timer", {"name": "pasta"})), ("stop the timer", ("cancel_timer", {})),
    ("cancel the 5 minute timer", ("cancel_timer", {"duration": 300})),
    ("cancel all timers", ("cancel_all_timers", {})), ("cancel all my timers", ("cancel_all_timers", {})),
    ("stop every timer", ("cancel_all_timers", {})), ("turn off all the timers", ("cancel_all_timers", {})),
])
def test_status_and_cancelling(agent, text, expected):
    assert calls(agent, text) == [expected]


# ---- two timers in one sentence -----------------------------------------------------------------


@pytest.mark.parametrize("text", [
    # the second request as the core hands it over, its verb carried over from the first
    "set another for 10 minutes", "set another one for 10", "set a 10 minute one",
    # and without the verb
    "another for 10 minutes", "and a 10 minute one", "one more for 10 minutes",
])
def test_the_second_of_two_timers_reads_on_its_own(agent, text):
    assert calls(agent, text) == [("start_timer", {"duration": 600})]


@pytest.mark.parametrize("text, expected", [
    ("set a timer for 5 minutes and another for 10", [{"duration": 300}, {"duration": 600}]),
    ("set a timer for five minutes and another for ten", [{"duration": 300}, {"duration": 600}]),
    ("set a timer for 5 minutes and a 10 minute one", [{"duration": 300}, {"duration": 600}]),
    ("set a 5 minute timer and a 10 minute timer", [{"duration": 300}, {"duration": 600}]),
    ("start a pasta timer for ten minutes and a rice timer for twenty minutes",
     [{"name": "pasta", "duration": 600}, {"name": "rice", "duration": 1200}]),
])
def test_two_timers_in_one_sentence_both_start(agent, text, expected):
    assert calls(agent, text) == [("start_timer", e) for e in expected]


# ---- what is no timer request -------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    # a name that is a request about a timer, a time of day, a pronoun: the argument check refuses it
    "reset egg timer 7 minutes", "snooze timer 5 minutes", "set a timer for later", "set a timer for it",
    "start the timer", "set a timer for 7 pm",
    # more time on a timer, or something else entirely
    "another 5 minutes on the pasta", "another one minute", "another one for the road", "a 10 minute walk",
    "remind me in 10 minutes", "what's left on the list", "buy an egg timer",
    # "5 minutes and 10 minutes" is no duration; "for 5 and 10" names two timers it cannot tell apart
    "set a timer for 5 minutes and 10 minutes",
])
def test_no_timer_call(agent, text):
    assert calls(agent, text) == []


def test_timer_alone_is_no_name():
    assert [clean_name(n) for n in ("timer", " the Timer ", "my timers", "egg timer", "Timer Tom")] == [
        None, None, None, "egg", "Timer Tom"]


@pytest.mark.parametrize("name", ["reset egg", "snooze", "later", "it", "five", "5 minutes and another",
                                  "pasta timer for 10 minutes and a rice", "one two three four five six"])
async def test_the_argument_check_refuses_what_names_no_timer(agent, name):
    out = await agent.run_tool("start_timer", {"duration": "5 minutes", "name": name})
    assert (out.ok, out.error_code) == (False, "invalid_arguments")
    assert (await agent.run_tool("timer_status", {})).result == {"timers": []}


@pytest.mark.parametrize("name", ["pasta", "mac and cheese", "Sweet Potato", "the roast timer", "timer"])
async def test_the_argument_check_lets_names_through(agent, name):
    out = await agent.run_tool("start_timer", {"duration": "5 minutes", "name": name})
    assert out.ok, out.result
    await agent.run_tool("cancel_all_timers", {})
