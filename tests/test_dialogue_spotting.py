"""Follow-ups said among remarks with no mark between them, and things said in one breath, through the
real ``hearth.Agent`` on tier 1 (no model: a turn that reached one would fail): an undo found inside
the turn ("nvm undo that", "undo that grace hasn't been to the shop yet"), a correction wrapped in an
apology ("oh no i'm sorry i meant oat milk instead"), "x not y" where y names the last write, a request
after a remark ("... could you tick it off"); and amounts that begin a new thing ("three onions a bulb of
garlic"), come after it ("eggs a dozen") or are misheard ("add for lemons"). Judged by the state left.
"""

from __future__ import annotations

import pytest
from conftest import running_timers, say_on_tier1, shopping_items

from hearth import Agent
from hearth.understanding.normalise import normalise
from hearth.understanding.things import split_things


@pytest.fixture
async def agent(tier1_agent):
    return tier1_agent


async def _items(agent: Agent) -> list[tuple[str, int, bool]]:
    return sorted(await shopping_items(agent))


async def _timers(agent: Agent) -> list[tuple[str | None, int]]:
    return await running_timers(agent)


async def _say(agent: Agent, *turns: str) -> list[str]:
    return await say_on_tier1(agent, *turns)


# ---- an undo among remarks -----------------------------------------------------------------------------


@pytest.mark.parametrize("first, undo", [
    ("add kale", "nvm undo that"),
    ("add kale", "never mind i don't need it after all"),
    ("add kale", "undo that grace hasn't been to the shop yet"),
    ("add kale", "oh goodness i didn't mean that could you undo it please"),
])
async def test_an_undo_said_among_remarks_reverses_the_add(agent, first, undo):
    await _say(agent, "add bread", first, undo)
    assert await _items(agent) == [("bread", 1, False)]


async def test_put_it_back_after_an_interjection_restores_the_item(agent):
    await _say(agent, "add cheese and butter", "remove the cheese please", "oh dear no put it back please")
    assert await _items(agent) == [("butter", 1, False), ("cheese", 1, False)]


async def test_an_undo_beside_a_request_of_its_own_is_not_a_plain_undo(agent):
    """"undo that and add milk" asks two things: milk is never dropped as a remark."""
    await _say(agent, "add kale")
    await agent.ask("nvm undo that and then add milk", session="k")
    items = await _items(agent)
    kale_undone, milk_added = ("kale", 1, False) not in items, ("milk", 1, False) in items
    assert not (kale_undone and not milk_added), items


# ---- corrections wrapped in words -----------------------------------------------------------------------


@pytest.mark.parametrize("turns, items", [
    (["add cow's milk", "oh no i'm sorry i meant oat milk instead"], [("oat milk", 1, False)]),
    (["add bagels", "make it 6 actually"], [("bagels", 6, False)]),
    (["add eggs", "sorry a dozen not one"], [("eggs", 12, False)]),
    (["add two red onions", "no wait white onions not red"], [("white onions", 2, False)]),
])
async def test_a_wrapped_correction_changes_the_last_add(agent, turns, items):
    await _say(agent, *turns)
    assert await _items(agent) == items


async def test_a_duration_correction_with_a_word_of_address_after_it(agent):
    await _say(agent, "set a timer for twenty five minutes for the biscuits", "no no make that thirty five minutes dear")
    assert await _timers(agent) == [("biscuits", 2100)]


async def test_x_not_y_where_y_is_not_what_was_said_changes_nothing(agent):
    """"white onions not red" after bread: red names nothing the last write had, so bread stays."""
    await _say(agent, "add bread")
    done = await agent.ask("white onions not red", session="k")
    assert ("bread", 1, False) in await _items(agent)
    assert not (done.type == "finished" and done.tier == 1 and "onion" in done.text.lower()
                and ("bread", 1, False) not in await _items(agent))


async def test_a_request_after_a_remark_acts_on_the_thing_said_before(agent):
    await _say(agent, "add some custard powder to the list please",
               "oh i've just remembered i already bought that one could you tick it off")
    assert await _items(agent) == [("custard powder", 1, True)]


# ---- things said in one breath -----------------------------------------------------------------------


@pytest.mark.parametrize("said, items", [
    ("add three onions a bulb of garlic and a couple of lemons",
     [("garlic", 1, False), ("lemons", 2, False), ("onions", 3, False)]),
    ("add two tins of chickpeas a bag of rice and some coriander",
     [("chickpeas", 2, False), ("coriander", 1, False), ("rice", 1, False)]),
    ("add add eggs uh a dozen", [("eggs", 12, False)]),
    ("add pasta 2 packs", [("pasta", 2, False)]),
    ("add milk and like a dozen eggs", [("eggs", 12, False), ("milk", 1, False)]),
    ("add for lemons please", [("lemons", 4, False)]),
    ("add size 4 nappies", [("size 4 nappies", 1, False)]),
    ("add a couple of frozen pizzas thx", [("frozen pizzas", 2, False)]),
    ("add ramen n hot cheetos rn before i forget", [("hot cheetos", 1, False), ("ramen", 1, False)]),
    ("can you add a bag of um a bag of basmati rice and er two no four cans of coconut milk",
     [("basmati rice", 1, False), ("coconut milk", 4, False)]),
])
async def test_things_said_in_one_breath(agent, said, items):
    await _say(agent, said)
    assert await _items(agent) == items


async def test_another_adds_one_more_of_a_listed_item(agent):
    await _say(agent, "add milk", "another milk. we went through it")
    assert await _items(agent) == [("milk", 2, False)]


async def test_another_one_alone_is_never_an_item_called_one(agent):
    await _say(agent, "add milk")
    await agent.ask("another one", session="k")
    assert all(name != "one" for name, _, _ in await _items(agent))


def test_a_phrase_said_twice_is_read_once():
    assert normalise("add a bag of um a bag of rice") == "add a bag of rice"
    assert normalise("add a bag of rice and a bag of beans") == "add a bag of rice and a bag of beans"


def test_a_number_inside_a_name_does_not_begin_a_thing():
    assert split_things("size 4 nappies") == ["size 4 nappies"]
    assert split_things("onions a bulb of garlic") == ["onions", "a bulb of garlic"]


# ---- hesitant speech repairs itself; corrections said first, remarks after --------------------------------


@pytest.mark.parametrize("said, text", [
    ("add uh red bull no monster", "add monster"),
    ("add um a dozen no half a dozen eggs", "add half a dozen eggs"),
    ("add um uh bananas no wait make that apples", "add apples"),
    ("take off the uh the what was it the eggs", "take off the eggs"),
    ("remove the eggs er the bread i mean", "remove the bread"),
    ("add um chips and uh no scratch the chips add pretzels", "scratch the chips add pretzels"),
    ("set a timer for um 10 minutes i mean", "set a timer for 10 minutes i mean"),
    ("add milk, make it two", "add milk and make it two"),
])
def test_hesitant_speech_repairs(said, text):
    assert normalise(said) == text


@pytest.mark.parametrize("turns, items", [
    (["put semi skimmed milk on the list", "actually oat milk instead priya's gone vegan"], [("oat milk", 1, False)]),
    (["add 4 energy drinks", "*6"], [("energy drinks", 6, False)]),
    (["add um chips and uh no scratch the chips add pretzels"], [("pretzels", 1, False)]),
])
async def test_corrections_typed_or_said_with_a_remark(agent, turns, items):
    for text in turns:
        await agent.ask(text, session="k")
    assert await _items(agent) == items


async def test_a_duration_correction_with_words_after_it(agent):
    await _say(agent, "set a timer for ten minutes for the fish", "no fifteen minutes sorry love")
    assert await _timers(agent) == [("fish", 900)]


async def test_two_listed_things_in_one_name_are_asked_about(agent):
    """"the eggs the bread" names two things on the list: a question, nothing removed."""
    for name in ("eggs", "bread"):
        assert (await agent.run_tool("add_to_shopping_list", {"item": name})).ok
    done = await agent.run_tool("remove_from_shopping_list", {"item": "the eggs the bread"})
    assert not done.ok and done.error_code == "item_ambiguous"
    assert await _items(agent) == [("bread", 1, False), ("eggs", 1, False)]


async def test_a_timer_name_holding_a_second_timer_is_refused(agent):
    done = await agent.run_tool("start_timer", {"name": "noodles and 30", "duration": "8 minutes"})
    assert not done.ok
    assert await _timers(agent) == []
