"""Timer durations as the timers read them: the core's duration reader, a bare number as minutes,
the range a timer runs (more than zero, at most 24 hours), and durations said back."""

from __future__ import annotations

import pytest

from hearth.tools.timers import DurationError, parse_duration
from hearth.tools.timers.durations import DurationOutOfRange, spoken_duration, written_duration


@pytest.mark.parametrize("text, seconds", [
    ("5 minutes", 300), ("1 minute", 60), ("1 hour and 15 minutes", 4500),
    ("1 hour 15 minute and 30 second", 4530), ("1 hour, 15 minutes", 4500), ("90 seconds", 90),
    ("2.5 minutes", 150), ("half an hour", 1800), ("a half hour", 1800), ("an hour", 3600),
    ("a minute and a half", 90), ("an hour and a half", 5400), ("one and a half hours", 5400),
    ("2 and a half minutes", 150), ("a quarter of an hour", 900), ("a couple of minutes", 120),
    ("1:30", 90), ("1:02:03", 3723), ("10 min", 600), ("10 min.", 600), ("3 hrs", 10800), ("45s", 45),
    ("1h30m", 5400), ("an hour thirty", 5400), ("5 minutes 30", 330), ("5", 300), ("1.5", 90),
    ("five", 300), ("five minutes", 300), ("twenty five minutes", 1500), ("twenty-five minutes", 1500),
    ("one minute", 60), ("a hundred seconds", 100), ("one hundred twenty seconds", 120),
    ("for 5 minutes", 300), ("five-minute timer", 300), ("  5   MINUTES ", 300), ("24 hours", 86400),
])
def test_durations_are_understood(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", [
    "", "soon", "minutes", "a", "five five minutes", "5 minutes 3 minutes", "1:75", "5 parsecs",
    "0 minutes", "0:00", "24 hours and 1 second", "25 hours",
])
def test_bad_durations_are_refused(text):
    with pytest.raises(DurationError):
        parse_duration(text)


@pytest.mark.parametrize("text", ["0 minutes", "0:00", "24 hours and 1 second", "25 hours"])
def test_out_of_range_is_understood_but_refused(text):
    with pytest.raises(DurationOutOfRange):
        parse_duration(text)


@pytest.mark.parametrize("seconds, spoken, written", [
    (4512, "1 hour, 15 minutes and 12 seconds", "1 hour 15 minutes 12 seconds"), (60, "1 minute", "1 minute"),
    (5400, "1 hour and 30 minutes", "1 hour 30 minutes"), (90, "1 minute and 30 seconds", "1 minute 30 seconds"),
])
def test_durations_said_back_read_again(seconds, spoken, written):
    assert (spoken_duration(seconds), written_duration(seconds)) == (spoken, written)
    assert parse_duration(written) == seconds
