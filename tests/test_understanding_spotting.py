"""Tier 1 reading requests people wrap in other words, through the real router: a request spotted
inside a clause from a tool's verb to a remark ("ben's just back from the shop tick off the milk and the
bread"), never after a negation or in a question ("don't add milk", "should we add eggs"); a thing said
after the first request ended ("put ibuprofen on the list and a couple of bananas"); "them" for the
things the clause before named; an amount alone after a request; two named timers said without "for";
words a recognizer split ("a time or for ten minutes"); and slots that are no things ("at the hospital").
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hearth import Agent
from hearth.config import ModelConfig, ModelsFile, Roles
from hearth.pluginmanager import PluginManager
from hearth.storage import Storage


@pytest.fixture(scope="module")
def agent(tmp_path_factory) -> Iterator[Agent]:
    home = tmp_path_factory.mktemp("home")
    mp = pytest.MonkeyPatch()
    mp.setenv("HEARTH_HOME", str(home))
    mp.setenv("HEARTH_LOAD_PLUGINS", "shopping_list,timers,clock,smalltalk")
    pm = PluginManager()
    pm.load()
    models = ModelsFile(roles=Roles(main="m"), models={"m": ModelConfig(backend="absent", model="x")})
    yield Agent(models=models, plugins=pm, storage=Storage(f"sqlite:///{home}/t.db"))
    mp.undo()


def _routed(agent: Agent, text: str) -> tuple[int, list[tuple[str, dict]]]:
    route = agent.router.route(text)
    return route.tier, [(m.name, m.arguments) for m in (route.match, *route.more) if m is not None]


def _items(calls: list[tuple[str, dict]]) -> list[tuple[str, str]]:
    """(tool, thing) of each call, articles aside."""
    return [(name, str(a.get("item") or a.get("name") or "").removeprefix("the ")) for name, a in calls]


@pytest.mark.parametrize("text, expected", [
    ("ben's just back from the shop tick off the milk and the bread",
     [("check_off_shopping_list", "milk"), ("check_off_shopping_list", "bread")]),
    ("please remove the biscuits and the marmalade from the list the doctor says i really must cut down on sugar",
     [("remove_from_shopping_list", "biscuits"), ("remove_from_shopping_list", "marmalade")]),
    ("delete ice cream off the list mom said no", [("remove_from_shopping_list", "ice cream")]),
    ("i got the peppers and the sour cream on the way home so check those off",
     [("check_off_shopping_list", "peppers"), ("check_off_shopping_list", "sour cream")]),
    ("remove the fish fingers and the peas we've got loads in the freezer",
     [("remove_from_shopping_list", "fish fingers"), ("remove_from_shopping_list", "peas")]),
    ("we're out of washing up liquid add it", [("add_to_shopping_list", "washing up liquid")]),
    ("we need milk so add it to the list", [("add_to_shopping_list", "milk")]),
    ("dont need tomatoes anymore take em off", [("remove_from_shopping_list", "tomatoes")]),
])
def test_a_request_among_remarks_without_marks_is_read(agent, text, expected):
    tier, calls = _routed(agent, text)
    assert tier == 1
    assert _items(calls) == expected


@pytest.mark.parametrize("text", ["don't add milk", "should we add eggs", "i did not remove the milk",
                                  "did you remove the milk yesterday"])
def test_no_request_is_spotted_after_a_negation_or_in_a_question(agent, text):
    tier, calls = _routed(agent, text)
    assert not any(name in ("add_to_shopping_list", "remove_from_shopping_list") for name, _ in calls), calls


@pytest.mark.parametrize("text, expected", [
    ("put ibuprofen on the list and a couple of bananas",
     [("add_to_shopping_list", {"item": "ibuprofen"}), ("add_to_shopping_list", {"item": "bananas", "quantity": 2})]),
    ("i'd like you to put two bags of sugar on the list dear and also some baking powder if you would",
     [("add_to_shopping_list", {"item": "sugar", "quantity": 2}), ("add_to_shopping_list", {"item": "baking powder"})]),
    ("add eggs. dozen.", [("add_to_shopping_list", {"item": "eggs", "quantity": 12})]),
    ("we'll need another milk actually, plus a dozen eggs",
     [("add_to_shopping_list", {"item": "milk"}), ("add_to_shopping_list", {"item": "eggs", "quantity": 12})]),
    ("okay so add milk and bread oh and also eggs like a dozen eggs",
     [("add_to_shopping_list", {"item": "milk"}), ("add_to_shopping_list", {"item": "bread"}),
      ("add_to_shopping_list", {"item": "eggs", "quantity": 12})]),
    ("add onions x3, garlic and a bag of spinach",
     [("add_to_shopping_list", {"item": "onions", "quantity": 3}), ("add_to_shopping_list", {"item": "garlic"}),
      ("add_to_shopping_list", {"item": "spinach", "quantity": 1})]),
])
def test_things_joined_to_the_request_before_them(agent, text, expected):
    assert _routed(agent, text) == (1, expected)


@pytest.mark.parametrize("text", ["add milk and clear out the fridge please", "add milk, I think", "add milk and remove"])
def test_a_verb_after_and_is_never_a_thing(agent, text):
    _, calls = _routed(agent, text)
    assert all(a.get("item") == "milk" for name, a in calls if name == "add_to_shopping_list"), calls


@pytest.mark.parametrize("text, expected", [
    ("nap timer twenty minutes and an oven one for thirty five", [("nap", "twenty minutes"), ("oven", "thirty five")]),
    ("i need a timer for my tablets in two hours and another one for the scones in twelve minutes",
     [("tablets", "two hours"), ("scones", "twelve minutes")]),
    ("timer for soup twenty five minutes", [("soup", "twenty five minutes")]),
    ("set a timer for like uh 20 no 25 min", [(None, "25 min")]),
    ("set a time or for ten minutes", [(None, "ten minutes")]),
    ("set a laundry time or for 45 minutes", [("laundry", "45 minutes")]),
])
def test_timers_said_loosely(agent, text, expected):
    tier, calls = _routed(agent, text)
    assert tier == 1
    assert [(a.get("name"), a.get("duration")) for name, a in calls if name == "start_timer"] == expected


@pytest.mark.parametrize("text", ["got some at the hospital", "another one", "please put in the list"])
def test_words_that_name_no_thing_are_no_item(agent, text):
    _, calls = _routed(agent, text)
    things = [str(a.get("item", "")) for _, a in calls]
    assert not any(t.split()[:1] and t.split()[0] in ("at", "one", "list") for t in things), calls


def test_a_models_thing_that_is_a_verb_or_no_thing_is_vacant(agent):
    vacant = agent.intents.vacant
    assert vacant({"item": "put"}) == "item"
    assert vacant({"item": "list"}) == "item"
    assert vacant({"item": "can"}) == "item"
    assert vacant({"item": "spring onions"}) is None


def test_a_models_thing_with_a_hesitation_in_it_is_vacant(agent):
    """A model that copies "pears and erm tom" did not read the request: the item is asked for."""
    assert agent.intents.vacant({"item": "pears and erm tom"}) == "item"


@pytest.mark.parametrize("text, tool, fits", [
    ("text jo the list so she has it", "add_to_shopping_list", False),
    ("order more milk", "add_to_shopping_list", False),
    ("milk please", "add_to_shopping_list", True),
    ("we need milk", "add_to_shopping_list", True),
    ("put a timer on for 5 minutes", "start_timer", True),
])
def test_a_write_for_a_request_that_opens_with_another_tools_verb_does_not_fit(agent, text, tool, fits):
    agent.router.route("add milk", tier=1)  # the grammar is built on first use
    assert (agent.intents.disagrees(text, agent.tools.get(tool)) is None) == fits


@pytest.mark.parametrize("text, expected", [
    ("Remove the, um, the coriander. I mean the parsley.", [("remove_from_shopping_list", {"item": "the parsley"})]),
    ("I need a couple of lemons for Thursday's salmon; please put them on the list.",
     [("add_to_shopping_list", {"item": "lemons", "quantity": 2})]),
    ("add a bottle brush and dish soap please",
     [("add_to_shopping_list", {"item": "bottle brush", "quantity": 1}), ("add_to_shopping_list", {"item": "dish soap"})]),
    ("add another pack of nappies we're going through them like", [("add_to_shopping_list", {"item": "nappies"})]),
    ("okay add bibs to it", [("add_to_shopping_list", {"item": "bibs"})]),
    ("add half a dozen eggs tae the list", [("add_to_shopping_list", {"item": "eggs", "quantity": 6})]),
    ("gie us a timer for half an hour", [("start_timer", {"duration": "half an hour"})]),
    ("Please add two cans of chickpeas, a bag of brown rice and one red onion to the shopping list.",
     [("add_to_shopping_list", {"item": "chickpeas", "quantity": 2}),
      ("add_to_shopping_list", {"item": "brown rice", "quantity": 1}),
      ("add_to_shopping_list", {"item": "red onion", "quantity": 1})]),
])
def test_repairs_restatements_dialect_and_counts(agent, text, expected):
    assert _routed(agent, text) == (1, expected)


@pytest.mark.parametrize("text", ["add milk and another one", "add the one in the blue packet"])
def test_a_count_or_a_pointer_alone_is_no_item(agent, text):
    _, calls = _routed(agent, text)
    assert all(a.get("item") not in ("another", "one") for _, a in calls), calls
    assert not any("blue" in str(a.get("item", "")) for _, a in calls), calls
