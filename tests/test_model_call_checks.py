"""A model's call is checked against the request before it runs, through the real runner and tools of a
tier-1 agent (``ctx.said`` is what a model's call carries): an amount the request never says is refused,
a thing that is only an amount is asked for, and a write said with none of its tool's words ("three
timers rice eighteen minutes ...", "scrap the nappies off ...") waits for a yes. Judged by the outcome's code and by the list and timers left unchanged."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import running_timers, shopping_items

from hearth.understanding.numbers import amounts_in, durations_in


@pytest.fixture
async def agent(tier1_agent):
    tier1_agent.router.route("add milk", tier=1)  # the grammar is built on first use
    assert await shopping_items(tier1_agent) == []  # and the tools' tables on the first call
    return tier1_agent


async def _run(agent, name, arguments, said):
    ctx = dataclasses.replace(agent.tool_context("s", "t"), said=said)
    return await agent.runner.run(name, arguments, ctx)


@pytest.mark.parametrize("name, arguments, said", [
    ("start_timer", {"name": "rice", "duration": "3 minutes"},
     "three timers rice eighteen minutes eggs six and a half and bread forty minutes"),
    ("add_to_shopping_list", {"item": "rice", "quantity": 10}, "add rice"),
    ("add_to_shopping_list", {"item": "eggs", "quantity": 3}, "add another half a dozen eggs"),
    ("add_to_shopping_list", {"item": "bananas"}, "stick her usual on the list would you"),
])
async def test_an_amount_or_a_thing_the_request_never_says_is_refused(agent, name, arguments, said):
    outcome = await _run(agent, name, arguments, said)
    assert (outcome.ok, outcome.error_code) == (False, "not_what_was_said")
    assert await shopping_items(agent) == [] and await running_timers(agent) == []


@pytest.mark.parametrize("name, arguments, said", [
    ("start_timer", {"name": "rice", "duration": "18 minutes"}, "set three timers rice eighteen minutes eggs six"),
    ("start_timer", {"duration": "90 minutes"}, "set a timer for an hour and a half"),
    ("add_to_shopping_list", {"item": "eggs", "quantity": 12}, "add a dozen eggs"),
    ("add_to_shopping_list", {"item": "rice", "quantity": 1}, "add rice"),
    ("add_to_shopping_list", {"item": "green chillies"}, "add coriander and green chilly to the list"),
])
async def test_an_amount_the_request_says_runs(agent, name, arguments, said):
    outcome = await _run(agent, name, arguments, said)
    assert outcome.ok, outcome.result


async def test_a_thing_that_is_only_an_amount_is_asked_for(agent):
    outcome = await _run(agent, "add_to_shopping_list", {"item": "three"}, "add three more of those")
    assert (outcome.ok, outcome.error_code) == (False, "item_missing")
    assert await shopping_items(agent) == []


async def test_a_write_said_with_none_of_its_tools_words_waits_for_a_yes(agent):
    outcome = await _run(agent, "add_to_shopping_list", {"item": "nappies"},
                         "scrap the nappies off the list my mum's bringing some round")
    assert (outcome.ok, outcome.error_code) == (False, "confirm_first")
    assert "nappies" in str(outcome.result) and str(outcome.result).endswith("?")
    assert await shopping_items(agent) == []
    said = await _run(agent, "add_to_shopping_list", {"item": "nappies"}, "put nappies on the list")
    assert said.ok


def test_amounts_and_durations_inside_a_request():
    text = "three timers rice eighteen minutes eggs six and a half and bread forty minutes"
    assert {3, 18, 40, 6.5} <= amounts_in(text)
    assert {1080, 2400} <= durations_in(text)
    assert durations_in("add milk") == set()


async def test_a_thing_holding_its_own_amount_is_asked_for(agent):
    """"celery root two of them": a model put the amount into the name."""
    outcome = await _run(agent, "add_to_shopping_list", {"item": "celery root two of them", "quantity": 2},
                         "add uh fennel no wait celery root two of em")
    assert (outcome.ok, outcome.error_code) == (False, "item_missing")
    assert await shopping_items(agent) == []


@pytest.mark.parametrize("said", ["we need bread", "need a dozen eggs n 2 loaves of bread", "i want some bread"])
async def test_a_write_said_with_a_subject_and_its_tools_word_runs(agent, said):
    """"we need bread": "need" after "we" is the add's own word, so the model's add runs."""
    outcome = await _run(agent, "add_to_shopping_list", {"item": "bread"}, said)
    assert outcome.ok, outcome.result
