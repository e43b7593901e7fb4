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


@pytest.mark.parametrize("text", [
    "remind me in 10 minutes", "cancel the 5 minute timer", "how long is left on the 10 minute timer",
    "add milk", "set a timer", "set a timer for 5 minutes and another for 10 minutes",
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
    assert canonical_duration(5400) == "1 hour 30 minutes"
