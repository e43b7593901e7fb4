"""A turn's clauses (hearth.understanding.clauses) and the router reading a turn clause by clause: a
request wrapped in remarks is the request alone, and a clause that may ask for something is never
dropped as a remark (the turn then goes to a model rather than half done on tier 1).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import new_tier1_agent

from hearth import Agent
from hearth.config import ModelConfig, ModelsFile, Roles
from hearth.pluginmanager import PluginManager
from hearth.storage import Storage
from hearth.understanding.clauses import clauses, remark_cut

# ---- clauses -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, parts", [
    ("in aldi now. got eggs, butter, cheese", ["in aldi now", "got eggs, butter, cheese"]),
    ("what time is it? need to get to the shop before it shuts",
     ["what time is it", "need to get to the shop before it shuts"]),
    ("add milk! and eggs; then bread: done", ["add milk", "and eggs", "then bread", "done"]),
    ("veg done - carrots and leeks", ["veg done", "carrots and leeks"]),
    ("veg done \u2014 carrots", ["veg done", "carrots"]),
    ("all done, clear the whole list", ["all done, clear the whole list"]),
    ("add milk", ["add milk"]),
])
def test_clauses_are_sentences(text, parts):
    assert clauses(text) == parts


@pytest.mark.parametrize("text, parts", [
    ("all done, clear the whole list", ["all done", "clear the whole list"]),
    ("in aldi now. got eggs, butter", ["in aldi now", "got eggs", "butter"]),
    ("add milk", ["add milk"]),
])
def test_clauses_with_commas(text, parts):
    assert clauses(text, commas=True) == parts


@pytest.mark.parametrize("text", ["add 3.5 kg of flour", "a well-done steak", "add milk,eggs", "ready?set"])
def test_a_mark_inside_a_word_is_no_end(text):
    assert clauses(text) == [text]
    assert clauses(text, commas=True) == [text]


@pytest.mark.parametrize("text", ["", "   ", " . ", "?!", " - "])
def test_no_clauses_in_marks_alone(text):
    assert clauses(text) == []
    assert clauses(text, commas=True) == []


# ---- remark_cut --------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, cut", [
    ("undo that i didn't get it yet", ("undo that", "i didn't get it yet")),
    ("add coffee we're basically out", ("add coffee", "we're basically out")),
    ("add coffee because we're basically out", ("add coffee", "because we're basically out")),
    ("add milk I'm out", ("add milk", "I'm out")),
    ("add milk, i think", ("add milk,", "i think")),
    ("check off the cheese she got it", ("check off the cheese", "she got it")),
])
def test_a_remark_begins_at_a_subject_pronoun(text, cut):
    assert remark_cut(text) == cut


@pytest.mark.parametrize("text", ["add milk", "i need milk", "we need eggs", "put it back jo wants it", ""])
def test_no_remark_without_a_pronoun_after_two_words(text):
    # a pronoun that begins the text (or follows one word) is the request's own subject
    assert remark_cut(text) is None


def test_min_words_is_how_many_words_a_request_keeps():
    assert remark_cut("buy I") is None
    assert remark_cut("buy I", min_words=1) == ("buy", "I")
    assert remark_cut("add milk we're out", min_words=3) is None
    assert remark_cut("i need milk we're out", min_words=1) == ("i need milk", "we're out")


def test_the_first_remark_is_where_the_cut_is():
    assert remark_cut("add bread we're out so i said") == ("add bread", "we're out so i said")


# ---- the router, clause by clause ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def agent(tmp_path_factory) -> Iterator[Agent]:
    """One agent for the routing checks (routing changes nothing); the plugins of everyday speech."""
    home = tmp_path_factory.mktemp("clauses")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HEARTH_HOME", str(home))
        mp.setenv("HEARTH_LOAD_PLUGINS", "shopping_list,timers,clock,smalltalk")
        pm = PluginManager()
        pm.load()
        assert pm.errors == {}
        # a backend no plugin provides: a turn that reaches a model fails with backend_missing
        models = ModelsFile(roles=Roles(main="m"), models={"m": ModelConfig(backend="absent", model="x")})
        yield Agent(models=models, plugins=pm, storage=Storage(f"sqlite:///{home}/t.db"))


def _calls(agent: Agent, text: str) -> list[tuple[str, dict]]:
    return [(m.name, m.arguments) for m in agent.router.match_all(text)]


def _routed(agent: Agent, text: str) -> tuple[int, list[tuple[str, dict]]]:
    route = agent.router.route(text)
    return route.tier, [(m.name, m.arguments) for m in (route.match, *route.more) if m is not None]


@pytest.mark.parametrize("text, calls", [
    ("add coffee we're basically out", [("add_to_shopping_list", {"item": "coffee"})]),
    ("add coffee because we're basically out", [("add_to_shopping_list", {"item": "coffee"})]),
    ("add bread. i think we're out", [("add_to_shopping_list", {"item": "bread"})]),
    ("add milk, I think", [("add_to_shopping_list", {"item": "milk"})]),
    ("what time is it? need to get to the shop before it shuts", [("get_current_time", {})]),
    ("in aldi now. got eggs, butter, cheese", [("check_off_shopping_list", {"item": "eggs"}),
                                               ("check_off_shopping_list", {"item": "butter"}),
                                               ("check_off_shopping_list", {"item": "cheese"})]),
    ("the bread, remove it please", [("remove_from_shopping_list", {"item": "the bread"})]),
    ("add coffee we're basically out, and set a timer for 5 minutes",
     [("add_to_shopping_list", {"item": "coffee"}), ("start_timer", {"duration": "5 minutes"})]),
])
def test_a_request_among_remarks_is_read_on_tier_1(agent, text, calls):
    assert _routed(agent, text) == (1, calls)


@pytest.mark.parametrize("text", [
    "all done, clear the whole list",
    "ok that's everything, clear the whole list",
    "all done. clear the whole list",
])
def test_a_remark_before_a_request_still_clears_the_list(agent, text):
    tier, calls = _routed(agent, text)
    assert tier == 1
    assert calls[-1] == ("clear_shopping_list", {})


@pytest.mark.xfail(strict=True, reason="'all done' / 'that's everything' before a request is read as a goodbye: "
                                       "the turn says 'Bye! Talk to you later.' and then clears the list")
@pytest.mark.parametrize("text", ["all done, clear the whole list", "ok that's everything, clear the whole list"])
def test_a_remark_before_a_request_is_no_goodbye(agent, text):
    assert _calls(agent, text) == [("clear_shopping_list", {})]


@pytest.mark.parametrize("text, calls", [
    ("add milk, clear the list please", [("add_to_shopping_list", {"item": "milk"}), ("clear_shopping_list", {})]),
    ("add milk. set a timer for ten minutes",
     [("add_to_shopping_list", {"item": "milk"}), ("start_timer", {"duration": "ten minutes"})]),
    ("add milk, remove the bread please",
     [("add_to_shopping_list", {"item": "milk"}), ("remove_from_shopping_list", {"item": "the bread"})]),
])
def test_every_clause_that_is_a_request_is_kept(agent, text, calls):
    assert _calls(agent, text) == calls


@pytest.mark.parametrize("text", [
    "add milk, clear out the fridge please",  # begins with a tool's verb, but no request the tools read
    "add milk, check whether the oven is on",
    "add milk, set a timr for 5 minits",  # a request once the near-misses are corrected
    "add milk, remove",
])
def test_a_clause_that_may_ask_something_is_not_dropped(agent, text):
    # neither "add milk" alone on tier 1 nor the clause taken as part of an item: the turn is a model's
    assert _calls(agent, text) == []
    assert _routed(agent, text)[0] in (2, 3)


@pytest.mark.parametrize("text", ["clear out the fridge please", "set a timr for 5 minits", "remove"])
def test_asks_something(agent, text):
    assert agent.router.asks_something(text)


@pytest.mark.parametrize("text", ["need to get to the shop before it shuts", "I think", "in aldi now", ""])
def test_a_remark_asks_nothing(agent, text):
    assert not agent.router.asks_something(text)


@pytest.mark.parametrize("text", ["add milk. clear out the fridge please", "add milk. remember to call mum",
                                  "add milk! clear out the fridge"])
def test_a_sentence_that_may_ask_something_is_not_part_of_an_item(agent, text):
    assert _calls(agent, text) == []


async def test_a_turn_with_a_remark_does_only_the_request(tmp_path, monkeypatch):
    agent = new_tier1_agent(tmp_path, monkeypatch)
    done = await agent.ask("add coffee we're basically out", session="k")
    assert (done.type, done.tier, done.text) == ("finished", 1, "Added coffee to your shopping list.")
    await agent.run_tool("add_to_shopping_list", {"item": "eggs"})
    done = await agent.ask("all done, clear the whole list", session="k")
    assert (done.type, done.tier) == ("finished", 1)
    assert (await agent.run_tool("get_shopping_list", {})).result["items"] == []
    await agent.stop()
