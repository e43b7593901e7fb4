"""The dialogue's mechanisms, read purely: ``Dialogue.resolve`` over a session's remembered calls, with
the real plugins' tools and the real tier-1 router (no model). Each test remembers what earlier turns
did, as the agent does after each call (real tool results, with the undo each tool reported), then
reads one turn and checks the calls it comes to (or the reply with no call).

The same mechanisms through the whole ``hearth.Agent`` are in test_dialogue_agent.py.
"""

from __future__ import annotations

import pytest
from conftest import new_tier1_agent

from hearth import Agent
from hearth.turn.dialogue import Dialogue, FollowUp
from hearth.turn.router import IntentMatch

S = "k"  # the session


@pytest.fixture
async def agent(tmp_path, monkeypatch):
    """The built-in plugins' tools and router, started without a model (no model is ever asked)."""
    agent = new_tier1_agent(tmp_path, monkeypatch)
    await agent.start(load_model=False)
    yield agent
    await agent.stop()


@pytest.fixture
def dialogue(agent) -> Dialogue:
    d = Dialogue(agent.storage)
    d.load(S)
    return d


def read(agent: Agent, dialogue: Dialogue, text: str) -> FollowUp | None:
    """One turn read against the session (a new turn: what came before is "the last turn")."""
    return dialogue.resolve(S, text, agent.tools, agent.router.match)


async def did(agent: Agent, dialogue: Dialogue, text: str, *calls: tuple[str, dict]) -> None:
    """A turn ``text`` that made ``calls``: run for real, remembered as the agent remembers them."""
    dialogue.resolve(S, text, agent.tools, agent.router.match)
    for name, arguments in calls:
        out = await agent.run_tool(name, arguments, session=S)
        result = out.result if out.ok else {"error": out.error_code, "message": str(out.result)}
        undo = {"name": out.undo[0], "arguments": out.undo[1]} if out.undo else None
        dialogue.remember(S, name, out.arguments, result, undo=undo)


def calls(agent: Agent, follow: FollowUp | None) -> list[tuple[str, dict]]:
    """The calls a reading comes to: its own, or the router's for the sentence it routes instead."""
    if follow is None:
        return []
    if follow.matches:
        return [(m.name, m.arguments) for m in follow.matches]
    return [(m.name, m.arguments) for m in agent.router.match_all(follow.text or "")]


# ---- undo ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["undo", "undo that", "take that back", "never mind", "scratch that",
                                  "oh, cancel that"])
async def test_undo_runs_the_call_the_last_write_reported(agent, dialogue, text):
    await did(agent, dialogue, "add bananas", ("add_to_shopping_list", {"item": "bananas"}))
    assert calls(agent, read(agent, dialogue, text)) == [("remove_from_shopping_list", {"item": "bananas"})]


async def test_an_undone_write_leaves_the_log(agent, dialogue):
    await did(agent, dialogue, "add milk", ("add_to_shopping_list", {"item": "milk"}))
    await did(agent, dialogue, "add eggs", ("add_to_shopping_list", {"item": "eggs"}))
    follow = read(agent, dialogue, "undo")
    assert calls(agent, follow) == [("remove_from_shopping_list", {"item": "eggs"})]
    out = await agent.run_tool("remove_from_shopping_list", {"item": "eggs"}, session=S)
    dialogue.remember(S, out.name, out.arguments, out.result, undo={"name": out.undo[0], "arguments": out.undo[1]})
    # the next undo reverses the write before it, not the undo itself
    assert calls(agent, read(agent, dialogue, "undo")) == [("remove_from_shopping_list", {"item": "milk"})]


async def test_put_it_back_after_a_check_off_unchecks_it(agent, dialogue):
    await did(agent, dialogue, "add apples", ("add_to_shopping_list", {"item": "apples"}))
    await did(agent, dialogue, "check it off", ("check_off_shopping_list", {"item": "apples"}))
    assert calls(agent, read(agent, dialogue, "put it back on the list")) == [
        ("uncheck_shopping_list", {"item": "apples"})]


async def test_a_write_without_an_undo_cannot_be_undone_and_nothing_is_nothing(agent, dialogue):
    assert read(agent, dialogue, "undo").say == "There's nothing to undo."
    dialogue.resolve(S, "set a timer", agent.tools, agent.router.match)
    dialogue.remember(S, "start_timer", {"duration": "5 minutes"}, {"id": 1, "duration_s": 300}, undo=None)
    follow = read(agent, dialogue, "undo")
    assert (follow.say, follow.matches) == ("I can't undo that.", ())


async def test_never_mind_long_after_a_write_is_not_an_undo(agent, dialogue):
    await did(agent, dialogue, "add milk", ("add_to_shopping_list", {"item": "milk"}))
    await did(agent, dialogue, "what time is it", ("get_current_time", {}))
    assert calls(agent, read(agent, dialogue, "never mind")) == []
    # "undo" said outright still reaches back to the last write
    assert calls(agent, read(agent, dialogue, "undo")) == [("remove_from_shopping_list", {"item": "milk"})]


# ---- corrections --------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, quantity", [("make that a dozen", 12), ("no, I said three", 3), ("actually 6", 6),
                                            ("make it 2", 2), ("no wait, make it two cans", 2),
                                            ("make that half a dozen", 6), ("actually make that two", 2)])
async def test_a_new_amount_changes_the_quantity_of_the_last_add(agent, dialogue, text, quantity):
    await did(agent, dialogue, "add eggs", ("add_to_shopping_list", {"item": "eggs"}))
    follow = read(agent, dialogue, text)
    assert calls(agent, follow) == [("remove_from_shopping_list", {"item": "eggs"}),
                                    ("add_to_shopping_list", {"item": "eggs", "quantity": quantity})]
    assert follow.quiet == 1  # the undo is a step; the corrected call is what is said


@pytest.mark.parametrize("text, thing", [("oat milk instead", "oat milk"), ("I meant pears", "pears"),
                                         ("wait, I meant turkey", "turkey"), ("no, I said bread", "bread")])
async def test_a_new_thing_changes_what_the_last_add_added(agent, dialogue, text, thing):
    await did(agent, dialogue, "add ham", ("add_to_shopping_list", {"item": "ham"}))
    assert calls(agent, read(agent, dialogue, text)) == [("remove_from_shopping_list", {"item": "ham"}),
                                                         ("add_to_shopping_list", {"item": thing})]


@pytest.mark.parametrize("text, duration", [("make it 7", "7 minutes"), ("no, make it 10 minutes", "10 minutes"),
                                            ("actually 1", "1 minute")])
async def test_a_number_for_a_timer_keeps_the_old_unit(agent, dialogue, text, duration):
    await did(agent, dialogue, "set a timer for 5 minutes", ("start_timer", {"duration": "5 minutes"}))
    found = calls(agent, read(agent, dialogue, text))
    assert [name for name, _ in found] == ["cancel_timer", "start_timer"]
    assert found[1][1] == {"duration": duration}


async def test_a_named_thing_is_corrected_even_when_it_was_not_the_last_write(agent, dialogue):
    await did(agent, dialogue, "add sugar", ("add_to_shopping_list", {"item": "sugar"}))
    await did(agent, dialogue, "and flour", ("add_to_shopping_list", {"item": "flour"}))
    assert calls(agent, read(agent, dialogue, "and make the sugar two bags")) == [
        ("remove_from_shopping_list", {"item": "sugar"}), ("add_to_shopping_list", {"item": "sugar", "quantity": 2})]
    # a thing no write named is no correction
    assert not calls(agent, read(agent, dialogue, "make the rice two bags"))


async def test_make_it_a_thing_is_a_correction_but_make_a_thing_is_a_request(agent, dialogue):
    await did(agent, dialogue, "add ham", ("add_to_shopping_list", {"item": "ham"}))
    assert calls(agent, read(agent, dialogue, "make that turkey")) == [
        ("remove_from_shopping_list", {"item": "ham"}), ("add_to_shopping_list", {"item": "turkey"})]
    for text in ("make coffee", "turn it off", "you too", "me too"):
        follow = read(agent, dialogue, text)
        assert follow is None or all(m.arguments.get("item") != "ham" for m in follow.matches), (text, follow)


async def test_a_correction_of_a_write_without_an_undo(agent, dialogue):
    dialogue.resolve(S, "set a timer for 5 minutes", agent.tools, agent.router.match)
    dialogue.remember(S, "start_timer", {"duration": "5 minutes"}, {"id": 1, "duration_s": 300}, undo=None)
    follow = read(agent, dialogue, "make it 7")
    assert (follow.say, follow.matches) == ("I can't change that.", ())


async def test_a_new_amount_after_a_question_is_said_plainly(agent, dialogue):
    await agent.run_tool("add_to_shopping_list", {"item": "eggs"}, session=S)
    await did(agent, dialogue, "are eggs on the list", ("is_on_shopping_list", {"item": "eggs"}))
    follow = read(agent, dialogue, "make it 12")
    assert follow.text == "change eggs to 12"
    assert calls(agent, follow) == [("set_shopping_list_quantity", {"item": "eggs", "quantity": 12})]


# ---- references and more of the same --------------------------------------------------------------------


@pytest.mark.parametrize("before, text, after", [
    ([("add_to_shopping_list", {"item": "apples"})], "remove it", [("remove_from_shopping_list", {"item": "apples"})]),
    ([("add_to_shopping_list", {"item": "milk"}), ("add_to_shopping_list", {"item": "eggs"})], "actually remove them",
     [("remove_from_shopping_list", {"item": "milk"}), ("remove_from_shopping_list", {"item": "eggs"})]),
    ([("add_to_shopping_list", {"item": "milk"}), ("add_to_shopping_list", {"item": "eggs"})], "remove the last thing",
     [("remove_from_shopping_list", {"item": "eggs"})]),
    ([("is_on_shopping_list", {"item": "butter"})], "add it", [("add_to_shopping_list", {"item": "butter"})]),
    ([("add_to_shopping_list", {"item": "butter"})], "no wait, take it off again",
     [("remove_from_shopping_list", {"item": "butter"})]),
    ([("start_timer", {"duration": "10 minutes", "name": "pasta"})], "how long is left on it",
     [("timer_status", {"name": "pasta"})]),
])
async def test_a_reference_means_what_the_last_turn_was_about(agent, dialogue, before, text, after):
    if before[0][0] == "is_on_shopping_list":
        await agent.run_tool("add_to_shopping_list", {"item": "bread"}, session=S)
    await did(agent, dialogue, "before", *before)
    assert calls(agent, read(agent, dialogue, text)) == after


@pytest.mark.parametrize("before, text, after", [
    (("add_to_shopping_list", {"item": "flour"}), "and sugar too", ("add_to_shopping_list", {"item": "sugar"})),
    (("add_to_shopping_list", {"item": "bread"}), "also butter", ("add_to_shopping_list", {"item": "butter"})),
    (("add_to_shopping_list", {"item": "butter"}), "oh and two lemons",
     ("add_to_shopping_list", {"item": "lemons", "quantity": 2})),
    (("is_on_shopping_list", {"item": "milk"}), "what about eggs?", ("is_on_shopping_list", {"item": "eggs"})),
])
async def test_more_of_the_same_is_the_last_tool_with_a_new_thing(agent, dialogue, before, text, after):
    await did(agent, dialogue, "before", before)
    assert calls(agent, read(agent, dialogue, text)) == [after]


async def test_a_request_of_its_own_is_not_more_of_the_same(agent, dialogue):
    await did(agent, dialogue, "add bread", ("add_to_shopping_list", {"item": "bread"}))
    assert read(agent, dialogue, "and set a timer for 5 minutes") is None
    await did(agent, dialogue, "set a pasta timer", ("start_timer", {"duration": "10 minutes", "name": "pasta"}))
    # a timer needs a duration: "and rice" alone is not a call of it
    assert read(agent, dialogue, "and rice") is None


# ---- what the dialogue waits for ------------------------------------------------------------------------


async def test_a_missing_argument_waits_for_the_next_turn(agent, dialogue):
    await did(agent, dialogue, "set a timer for the chicken", ("start_timer", {"duration": "", "name": "chicken"}))
    assert dialogue.waiting(S) == {"kind": "argument", "question": "How long should the chicken timer run?",
                                   "tool": "start_timer", "slot": "duration"}
    follow = read(agent, dialogue, "40 minutes please")
    assert calls(agent, follow) == [("start_timer", {"duration": "40 minutes", "name": "chicken"})]
    assert dialogue.waiting(S) is None


async def test_never_mind_lets_a_question_go(agent, dialogue):
    await did(agent, dialogue, "start the rice timer", ("start_timer", {"duration": "", "name": "rice"}))
    assert read(agent, dialogue, "never mind") is None
    assert dialogue.waiting(S) is None
    assert read(agent, dialogue, "7 minutes") is None  # no longer an answer


async def test_a_destructive_call_waits_for_yes(agent, dialogue):
    clear = IntentMatch("clear_shopping_list", {}, "fuzzy: clear the list")
    dialogue.ask(S, clear, "Clear your whole shopping list?")
    assert dialogue.waiting(S) == {"kind": "confirm", "question": "Clear your whole shopping list?",
                                   "tool": "clear_shopping_list", "slot": None}
    assert read(agent, dialogue, "yes please").matches == (clear,)
    dialogue.ask(S, clear, "Clear your whole shopping list?")
    follow = read(agent, dialogue, "no")
    assert (follow.say, follow.matches) == ("Okay, I won't.", ())
    dialogue.ask(S, clear, "Clear your whole shopping list?")
    assert read(agent, dialogue, "what time is it") is None  # a request of its own: the question goes
    assert dialogue.waiting(S) is None and read(agent, dialogue, "yes") is None


async def test_a_call_the_runner_held_back_waits_for_yes(agent, dialogue):
    dialogue.resolve(S, "empty my shoping lisst", agent.tools, agent.router.match)
    out = await agent.runner.run("clear_shopping_list", {}, agent.tool_context(S, "t"))
    assert out.error_code == "confirm_first"
    dialogue.remember(S, out.name, out.arguments, {"error": out.error_code, "message": out.result})
    assert dialogue.waiting(S)["kind"] == "confirm"
    follow = read(agent, dialogue, "yes")
    assert [(m.name, m.arguments, m.strict) for m in follow.matches] == [("clear_shopping_list", {}, True)]


# ---- a restart ------------------------------------------------------------------------------------------


async def test_the_state_comes_back_from_the_stored_messages(agent):
    agent.storage.add_messages(S, "t1", [
        {"role": "user", "content": "add eggs"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "c1", "name": "add_to_shopping_list", "arguments": {"item": "eggs"},
             "undo": {"name": "remove_from_shopping_list", "arguments": {"item": "eggs"}}}]},
        {"role": "tool", "tool_call_id": "c1", "name": "add_to_shopping_list",
         "content": '{"name": "eggs", "quantity": 1, "checked": false}'},
        {"role": "assistant", "content": "Added eggs to your shopping list."}])
    again = Dialogue(agent.storage)
    assert not again.known(S)
    again.load(S)
    follow = again.resolve(S, "make that a dozen", agent.tools, agent.router.match)
    assert calls(agent, follow) == [("remove_from_shopping_list", {"item": "eggs"}),
                                    ("add_to_shopping_list", {"item": "eggs", "quantity": 12})]
