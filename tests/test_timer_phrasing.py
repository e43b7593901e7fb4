"""Timer phrasing: start requests in any slot order and questions about timers, as pure functions."""

from __future__ import annotations

import pytest

from hearth.tools.timers.phrasing import (
    TimerRequest,
    canonical_duration,
    duration_seconds,
    match_timer,
    parse_timer_request,
    parse_timer_status,
    parse_timer_without_duration,
)


@pytest.mark.parametrize("text, expected", [
    ("set a timer for 10 minutes for the pasta", ("10 minutes", 600, "pasta")),
    ("set a 12 minute timer for cookies", ("12 minute", 720, "cookies")),
    ("set a timer for 8 minutes called noodles", ("8 minutes", 480, "noodles")),
    ("10 minute timer for the rice", ("10 minute", 600, "rice")),
    ("set the oven timer for 45 minutes", ("45 minutes", 2700, "oven")),
    ("set an egg timer for 7 minutes", ("7 minutes", 420, "egg")),
    ("start a timer called tea for 4 minutes", ("4 minutes", 240, "tea")),
    ("set a timer for the chicken for an hour", ("an hour", 3600, "chicken")),
    ("put a timer on for 25 minutes", ("25 minutes", 1500, None)),
    ("set a timer for twenty five minutes", ("twenty five minutes", 1500, None)),
    ("set a timer for an hour and a half", ("an hour and a half", 5400, None)),
    ("Can you set a timer for half an hour, please?", ("half an hour", 1800, None)),
    ("set a timer for 1 hour and 15 minutes", ("1 hour and 15 minutes", 4500, None)),
    ("set a timer for two and a half minutes", ("two and a half minutes", 150, None)),
])
def test_start_requests_in_any_order(text, expected):
    assert parse_timer_request(text) == TimerRequest(*expected)


@pytest.mark.parametrize("text, expected", [
    ("noodles timer two and a half minutes", ("two and a half minutes", 150, "noodles")),
    ("egg timer 7 minutes", ("7 minutes", 420, "egg")),
    ("pasta timer, ten minutes please", ("ten minutes", 600, "pasta")),
    ("pasta timer and ten minutes", ("ten minutes", 600, "pasta")),  # the router writes a comma as "and"
    ("the rice timer, 15 minutes", ("15 minutes", 900, "rice")),
    ("Tea timer: 4 minutes.", ("4 minutes", 240, "tea")),
    ("egg timer for 7 minutes", ("7 minutes", 420, "egg")),
    ("sweet potato timer 40 minutes", ("40 minutes", 2400, "sweet potato")),
    ("roast timer an hour and a half", ("an hour and a half", 5400, "roast")),
    ("bread countdown 20 minutes thanks", ("20 minutes", 1200, "bread")),
])
def test_a_name_then_timer_then_the_duration(text, expected):
    assert parse_timer_request(text) == TimerRequest(*expected)


@pytest.mark.parametrize("text, expected", [
    ("another one for the broccoli, 4 minutes", ("4 minutes", 240, "broccoli")),
    ("and another one for the broccoli and 4 minutes", ("4 minutes", 240, "broccoli")),
    ("and another timer for the rice, 10 minutes", ("10 minutes", 600, "rice")),
    ("another timer for the rice, 10 minutes", ("10 minutes", 600, "rice")),
    ("another 5 minute timer for the eggs", ("5 minute", 300, "eggs")),
    ("and another 5 minute timer for the eggs", ("5 minute", 300, "eggs")),
    ("one more for the peas, 3 minutes", ("3 minutes", 180, "peas")),
    ("another one, 12 minutes, for the garlic bread", ("12 minutes", 720, "garlic bread")),
    ("and another for the gravy, two minutes", ("two minutes", 120, "gravy")),
    ("another one for 6 minutes for the carrots", ("6 minutes", 360, "carrots")),
])
def test_another_timer(text, expected):
    assert parse_timer_request(text) == TimerRequest(*expected)


@pytest.mark.parametrize("text", [
    "remind me in 10 minutes", "cancel the 5 minute timer", "how long is left on the 10 minute timer",
    "add milk", "set a timer", "set a timer for 5 minutes and another for 10 minutes",
    # a name first is read only as "<name> timer <duration>", with nothing after the duration
    "extend the pasta timer by 5 minutes", "snooze timer 5 minutes", "reset egg timer 7 minutes",
    "pasta timer 10 minutes and rice", "remind me about the pasta timer in 10 minutes",
    # "another" right before a duration is more time, not a new timer; "another one" with no timer
    # word and no duration may be anything ("another one" after "add milk")
    "another 5 minutes on the pasta", "another one minute", "another one for the road",
])
def test_not_a_start_request(text):
    assert parse_timer_request(text) is None


@pytest.mark.parametrize("text, name", [
    ("how much longer on the rice", "rice"), ("how long is left on the pizza timer", "pizza"),
    ("how much time is left", ""), ("what timers do I have", ""), ("any timers running?", ""),
    ("is the pasta timer still running", "pasta"),
])
def test_status_questions(text, name):
    assert parse_timer_status(text) == name


@pytest.mark.parametrize("text", [
    "what timers have I got going", "which timers are running", "what timers are on", "have I got any timers going",
    "what's running", "What’s running?", "whats running", "what timers have we got", "which timer is on",
    "what timers did I set", "what timers are there", "do I have any timers running", "do we have a timer on",
    "are there any timers", "is there a timer running", "there's a timer going?", "are any timers still going",
    "is anything still running", "anything running right now", "how many timers are running",
    "how many timers have I got", "how are my timers doing", "list my timers", "show me the timers",
    "check on my timers", "what timers have you got running", "how much time is left on my timers",
])
def test_questions_about_every_timer(text):
    assert parse_timer_status(text) == ""


@pytest.mark.parametrize("text, name", [
    ("how long's left on the pasta", "pasta"), ("how long's the pasta got", "pasta"),
    ("how much longer on the rice", "rice"), ("how long has the pasta got left", "pasta"),
    ("how much time has the roast got", "roast"), ("how much time does the rice have left", "rice"),
    ("how long do the eggs have", "eggs"), ("how long will the rice be", "rice"),
    ("how much longer is the pasta going to take", "pasta"), ("how long is the lasagne gonna be", "lasagne"),
    ("how much time's left on the egg timer", "egg"), ("how long's left for the chicken", "chicken"),
    ("how long until the bread is ready", "bread"), ("how long till my eggs are done", "eggs"),
    ("what's left on the pizza timer", "pizza"), ("how's the tea timer doing", "tea"),
    ("is my rice timer still going", "rice"), ("how much time have I got left on the pie", "pie"),
    ("How long’s the pasta got?", "pasta"),
])
def test_questions_about_one_timer(text, name):
    assert parse_timer_status(text) == name


@pytest.mark.parametrize("text", [
    "what's on my shopping list", "what's left on the list", "what is going on", "is the oven on",
    "what's on", "set a timer for 5 minutes", "is milk on the list", "what timers",
])
def test_not_a_timer_question(text):
    assert parse_timer_status(text) is None


@pytest.mark.parametrize("text, name", [
    ("set a timer for the chicken", "chicken"), ("start the chicken timer", "chicken"),
    ("can you set a timer for the roast potatoes", "roast potatoes"), ("set a pasta timer", "pasta"),
    ("start a timer called tea", "tea"), ("set a timer named bread", "bread"), ("set the oven timer", "oven"),
    ("put a timer on for the lasagne", "lasagne"), ("put the rice timer on", "rice"),
    ("I'd like a timer for the eggs", "eggs"), ("I need a timer for the pizza", "pizza"),
    ("timer for the chicken please", "chicken"), ("start a new timer for the mac and cheese", "mac and cheese"),
])
def test_a_start_request_with_a_name_and_no_duration(text, name):
    assert parse_timer_without_duration(text) == name
    assert parse_timer_request(text) is None


@pytest.mark.parametrize("text", [
    # no name: tier 1 cannot tell "start a timer" from the same words in "add eggs and start a timer"
    "set a timer", "can you set a timer", "start the timer", "start a new timer", "set another timer",
    # a duration the templates read ("for 5" is five minutes), or a time of day that is no name
    "set a timer for 5", "set a timer for five", "set a timer for later", "set a timer for tomorrow morning",
    "set a timer for 7 pm", "set a timer for me", "set a timer for it",
    # more than a name: left to the templates and the models
    "set a timer for the chicken in the oven", "set a timer for 10 minutes for the pasta",
    "add eggs and set a timer for the chicken", "stop the chicken timer", "how long is the chicken timer",
    "buy an egg timer", "put a timer on the shopping list",
])
def test_not_a_start_request_without_a_duration(text):
    assert parse_timer_without_duration(text) is None


@pytest.mark.parametrize("text, seconds", [("10 minutes", 600), ("1:30", 90), ("half an hour", 1800),
                                           ("ninety seconds", 90), ("2 hours and 5 minutes", 7500)])
def test_duration_seconds(text, seconds):
    assert duration_seconds(text) == seconds


def test_match_timer_gives_the_hook_shape_with_a_duration_every_parser_reads():
    def call(text):
        found = match_timer(text)
        return found and {k: v for k, v in found.items() if k != "reason"}

    assert call("set a timer for 10 minutes for the pasta") == {
        "name": "start_timer", "arguments": {"duration": "10 minutes", "name": "pasta"}}
    assert call("how much longer on the rice") == {"name": "timer_status", "arguments": {"name": "rice"}}
    assert call("what is the weather") is None
    assert call("add milk and set a timer for 5 minutes") is None  # two requests: the router splits them
    assert call("cancel my timers") == {"name": "cancel_all_timers", "arguments": {}}
    assert call("cancel the tea one") == {"name": "cancel_timer", "arguments": {"name": "tea"}}
    assert call("turn off the timer") == {"name": "cancel_timer", "arguments": {}}
    assert call("switch off the pasta timer") == {"name": "cancel_timer", "arguments": {"name": "pasta"}}
    assert match_timer("cancel my timers")["reason"] == "cancel every timer"
    assert call("egg timer 7 minutes") == {"name": "start_timer", "arguments": {"duration": "7 minutes", "name": "egg"}}
    assert call("what's running") == {"name": "timer_status", "arguments": {}}
    assert call("how long's the pasta got") == {"name": "timer_status", "arguments": {"name": "pasta"}}
    assert call("another one for the broccoli, 4 minutes") == {
        "name": "start_timer", "arguments": {"duration": "4 minutes", "name": "broccoli"}}
    # no duration: an empty one, and the tool asks how long
    assert call("set a timer for the chicken") == {"name": "start_timer", "arguments": {"duration": "", "name": "chicken"}}
    assert call("set a timer") == {"name": "start_timer", "arguments": {"duration": ""}}  # the tool asks how long
    assert canonical_duration(5400) == "1 hour 30 minutes"
