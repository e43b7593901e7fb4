"""Parity: every timer request that the old regex phrasing (tools/timers/phrasing.py, 227 regex
alternatives, replaced by sentences/en.yaml) turned into a call still becomes that call, now through
the real pipeline: the core's normaliser, the grammar of the sentence files and the argument checks.

HANDLED is what the old ``match_timer`` returned for each phrasing of the old tests, recorded before
it was deleted (a duration in seconds, "" for a start request that said none). LEFT_ALONE are
sentences it did not read as timer requests; they still start, cancel and ask nothing.
"""

from __future__ import annotations

import pytest

from hearth import Agent, ManualClock, Scheduler
from hearth.config import ModelConfig, ModelsFile, Roles
from hearth.pluginmanager import PluginManager
from hearth.storage import Storage
from hearth.tools.timers import DurationError, clean_name, parse_duration


@pytest.fixture(scope="module")
def timer_router(tmp_path_factory):
    """The router of an agent with the timers plugin alone (no model: tier 1 only)."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HEARTH_HOME", str(home))
        mp.setenv("HEARTH_LOAD_PLUGINS", "timers")
        pm = PluginManager()
        pm.load()
        assert pm.errors == {}
        models = ModelsFile(roles=Roles(main="m"), models={"m": ModelConfig(backend="absent", model="x")})
        agent = Agent(models=models, plugins=pm, storage=Storage(f"sqlite:///{home}/t.db"),
                      scheduler=Scheduler(ManualClock()))
        yield agent.router


def _canonical(name: str, arguments: dict) -> tuple[str, dict]:
    args = dict(arguments)
    if "duration" in args:
        try:
            args["duration"] = parse_duration(args["duration"]) if args["duration"].strip() else ""
        except DurationError:
            args["duration"] = f"unreadable: {args['duration']}"
    if "name" in args:
        args["name"] = clean_name(args["name"])
        if args["name"] is None:
            del args["name"]
    return name, args


def _calls(router, text: str) -> list[tuple[str, dict]]:
    return [_canonical(m.name, m.arguments) for m in router.match_all(text)]


HANDLED = [
    ('10 minute timer for the rice', 'start_timer', {'duration': 600, 'name': 'rice'}),
    ('and another 5 minute timer for the eggs', 'start_timer', {'duration': 300, 'name': 'eggs'}),
    ('and another for the gravy, two minutes', 'start_timer', {'duration': 120, 'name': 'gravy'}),
    ('and another one for the broccoli and 4 minutes', 'start_timer', {'duration': 240, 'name': 'broccoli'}),
    ('and another one for the broccoli, 4 minutes', 'start_timer', {'duration': 240, 'name': 'broccoli'}),
    ('and another timer for the rice, 10 minutes', 'start_timer', {'duration': 600, 'name': 'rice'}),
    ('another 5 minute timer for the eggs', 'start_timer', {'duration': 300, 'name': 'eggs'}),
    ('another 5 minute timer for the rice', 'start_timer', {'duration': 300, 'name': 'rice'}),
    ('another one for 6 minutes for the carrots', 'start_timer', {'duration': 360, 'name': 'carrots'}),
    ('another one for the broccoli, 4 minutes', 'start_timer', {'duration': 240, 'name': 'broccoli'}),
    ('another one, 12 minutes, for the garlic bread', 'start_timer', {'duration': 720, 'name': 'garlic bread'}),
    ('another timer for the rice, 10 minutes', 'start_timer', {'duration': 600, 'name': 'rice'}),
    ('any timers running?', 'timer_status', {}),
    ('anything running right now', 'timer_status', {}),
    ('are any timers still going', 'timer_status', {}),
    ('are there any timers', 'timer_status', {}),
    ('bread countdown 20 minutes thanks', 'start_timer', {'duration': 1200, 'name': 'bread'}),
    ('Can you set a timer for half an hour, please?', 'start_timer', {'duration': 1800}),
    ('can you set a timer for the roast potatoes', 'start_timer', {'duration': '', 'name': 'roast potatoes'}),
    ('cancel my timers', 'cancel_all_timers', {}),
    ('cancel the tea one', 'cancel_timer', {'name': 'tea'}),
    ('check on my timers', 'timer_status', {}),
    ('do I have any timers running', 'timer_status', {}),
    ('do we have a timer on', 'timer_status', {}),
    ('egg timer 7 minutes', 'start_timer', {'duration': 420, 'name': 'egg'}),
    ('egg timer for 7 minutes', 'start_timer', {'duration': 420, 'name': 'egg'}),
    ('egg timer, 7 minutes please', 'start_timer', {'duration': 420, 'name': 'egg'}),
    ('five-minute timer', 'start_timer', {'duration': 300}),
    ('have I got any timers going', 'timer_status', {}),
    ('how are my timers doing', 'timer_status', {}),
    ('how long do the eggs have', 'timer_status', {'name': 'eggs'}),
    ('how long has the pasta got left', 'timer_status', {'name': 'pasta'}),
    ('how long is left on the 10 minute timer', 'timer_status', {'name': '10 minute'}),
    ('how long is left on the pizza timer', 'timer_status', {'name': 'pizza'}),
    ('how long is the chicken timer', 'timer_status', {'name': 'chicken'}),
    ('how long is the lasagne gonna be', 'timer_status', {'name': 'lasagne'}),
    ('how long till my eggs are done', 'timer_status', {'name': 'eggs'}),
    ('how long until the bread is ready', 'timer_status', {'name': 'bread'}),
    ('how long will the rice be', 'timer_status', {'name': 'rice'}),
    ("how long's left for the chicken", 'timer_status', {'name': 'chicken'}),
    ("how long's left on the pasta", 'timer_status', {'name': 'pasta'}),
    ("how long's the egg got", 'timer_status', {'name': 'egg'}),
    ("how long's the pasta got", 'timer_status', {'name': 'pasta'}),
    ('How long’s the pasta got?', 'timer_status', {'name': 'pasta'}),
    ('how many timers are running', 'timer_status', {}),
    ('how many timers have I got', 'timer_status', {}),
    ('how much longer is the pasta going to take', 'timer_status', {'name': 'pasta'}),
    ('how much longer on the rice', 'timer_status', {'name': 'rice'}),
    ('how much time does the rice have left', 'timer_status', {'name': 'rice'}),
    ('how much time has the roast got', 'timer_status', {'name': 'roast'}),
    ('how much time have I got left on the pie', 'timer_status', {'name': 'pie'}),
    ('how much time is left', 'timer_status', {}),
    ('how much time is left on my pizza timer', 'timer_status', {'name': 'pizza'}),
    ('how much time is left on my timers', 'timer_status', {}),
    ("how much time's left on the egg timer", 'timer_status', {'name': 'egg'}),
    ("how's the tea timer doing", 'timer_status', {'name': 'tea'}),
    ('I need a timer for the pizza', 'start_timer', {'duration': '', 'name': 'pizza'}),
    ("I'd like a timer for the eggs", 'start_timer', {'duration': '', 'name': 'eggs'}),
    ('is anything still running', 'timer_status', {}),
    ('is my rice timer still going', 'timer_status', {'name': 'rice'}),
    ('is the pasta timer still running', 'timer_status', {'name': 'pasta'}),
    ('is there a timer running', 'timer_status', {}),
    ('list my timers', 'timer_status', {}),
    ('noodles timer two and a half minutes', 'start_timer', {'duration': 150, 'name': 'noodles'}),
    ('one more for the peas, 3 minutes', 'start_timer', {'duration': 180, 'name': 'peas'}),
    ('pasta timer and ten minutes', 'start_timer', {'duration': 600, 'name': 'pasta'}),
    ('pasta timer, ten minutes please', 'start_timer', {'duration': 600, 'name': 'pasta'}),
    ('put a timer on for 25 minutes', 'start_timer', {'duration': 1500}),
    ('put a timer on for the lasagne', 'start_timer', {'duration': '', 'name': 'lasagne'}),
    ('put the rice timer on', 'start_timer', {'duration': '', 'name': 'rice'}),
    ('roast timer an hour and a half', 'start_timer', {'duration': 5400, 'name': 'roast'}),
    ('set a 12 minute timer for cookies', 'start_timer', {'duration': 720, 'name': 'cookies'}),
    ('set a pasta timer', 'start_timer', {'duration': '', 'name': 'pasta'}),
    ('set a pizza timer for 5 minutes', 'start_timer', {'duration': 300, 'name': 'pizza'}),
    ('set a timer', 'start_timer', {'duration': ''}),
    ('set a timer for 1 hour and 15 minutes', 'start_timer', {'duration': 4500}),
    ('set a timer for 10 minutes for the pasta', 'start_timer', {'duration': 600, 'name': 'pasta'}),
    ('set a timer for 5 minutes', 'start_timer', {'duration': 300}),
    ('set a timer for 8 minutes called noodles', 'start_timer', {'duration': 480, 'name': 'noodles'}),
    ('set a timer for an hour and a half', 'start_timer', {'duration': 5400}),
    ('set a timer for the chicken', 'start_timer', {'duration': '', 'name': 'chicken'}),
    ('set a timer for the chicken for an hour', 'start_timer', {'duration': 3600, 'name': 'chicken'}),
    ('set a timer for twenty five minutes', 'start_timer', {'duration': 1500}),
    ('set a timer for two and a half minutes', 'start_timer', {'duration': 150}),
    ('set a timer named bread', 'start_timer', {'duration': '', 'name': 'bread'}),
    ('set an egg timer for 7 minutes', 'start_timer', {'duration': 420, 'name': 'egg'}),
    ('set another timer', 'start_timer', {'duration': ''}),
    ('set the oven timer', 'start_timer', {'duration': '', 'name': 'oven'}),
    ('set the oven timer for 45 minutes', 'start_timer', {'duration': 2700, 'name': 'oven'}),
    ('show me the timers', 'timer_status', {}),
    ('start a new timer', 'start_timer', {'duration': ''}),
    ('start a new timer for the mac and cheese', 'start_timer', {'duration': '', 'name': 'mac and cheese'}),
    ('start a timer called tea', 'start_timer', {'duration': '', 'name': 'tea'}),
    ('start a timer called tea for 4 minutes', 'start_timer', {'duration': 240, 'name': 'tea'}),
    ('start the chicken timer', 'start_timer', {'duration': '', 'name': 'chicken'}),
    ('sweet potato timer 40 minutes', 'start_timer', {'duration': 2400, 'name': 'sweet potato'}),
    ('switch off the pasta timer', 'cancel_timer', {'name': 'pasta'}),
    ('the rice timer, 15 minutes', 'start_timer', {'duration': 900, 'name': 'rice'}),
    ("there's a timer going?", 'timer_status', {}),
    ('timer for the chicken please', 'start_timer', {'duration': '', 'name': 'chicken'}),
    ('turn off the timer', 'cancel_timer', {}),
    ('what timers are on', 'timer_status', {}),
    ('what timers are there', 'timer_status', {}),
    ('what timers did I set', 'timer_status', {}),
    ('what timers do I have', 'timer_status', {}),
    ('what timers have I got going', 'timer_status', {}),
    ('what timers have we got', 'timer_status', {}),
    ('what timers have you got running', 'timer_status', {}),
    ("what's left on the pizza timer", 'timer_status', {'name': 'pizza'}),
    ("what's running", 'timer_status', {}),
    ('whats running', 'timer_status', {}),
    ('What’s running?', 'timer_status', {}),
    ('which timer is on', 'timer_status', {}),
    ('which timers are running', 'timer_status', {}),
]


@pytest.mark.parametrize("text, tool, arguments", HANDLED)
def test_what_the_regexes_read_the_sentences_read_alike(timer_router, text, tool, arguments):
    assert _calls(timer_router, text) == [(tool, arguments)]


LEFT_ALONE = [
    "add milk", "another 5 minutes on the pasta", "another one for the road", "another one minute",
    "buy an egg timer", "extend the pasta timer by 5 minutes", "is milk on the list", "is the oven on",
    "pasta timer 10 minutes and rice", "put a timer on the shopping list", "remind me in 10 minutes",
    "remind me about the pasta timer in 10 minutes", "reset egg timer 7 minutes", "snooze timer 5 minutes",
    "set a timer for 7 pm", "set a timer for it", "set a timer for later", "set a timer for tomorrow morning",
    "start the timer", "what is going on", "what is the weather", "what timers", "what's left on the list",
    "what's on", "what's on my shopping list", "turn off the oven", "add eggs and set a timer for the chicken",
]


@pytest.mark.parametrize("text", LEFT_ALONE)
def test_what_the_regexes_left_alone_stays_alone(timer_router, text):
    assert _calls(timer_router, text) == []


@pytest.mark.parametrize("text, calls", [
    # the old phrasing left these to the tools' example templates or to a model; the sentences read them
    ("cancel the pizza timer", [("cancel_timer", {"name": "pizza"})]),
    ("stop the chicken timer", [("cancel_timer", {"name": "chicken"})]),
    ("cancel the 5 minute timer", [("cancel_timer", {"duration": 300})]),
    ("cancel every timer", [("cancel_all_timers", {})]),
    ("set a timer for five", [("start_timer", {"duration": 300})]),
    ("can you set a timer", [("start_timer", {"duration": ""})]),  # the tool asks how long
    # two timers in one sentence: both start (the old phrasing read none, a model one)
    ("set a timer for 5 minutes and another for 10 minutes",
     [("start_timer", {"duration": 300}), ("start_timer", {"duration": 600})]),
    # a name that goes on is still a name now: the tool asks how long, nothing starts
    ("set a timer for the chicken in the oven", [("start_timer", {"duration": "", "name": "chicken in the oven"})]),
])
def test_what_the_sentences_read_that_the_regexes_did_not(timer_router, text, calls):
    assert _calls(timer_router, text) == calls
