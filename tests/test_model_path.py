"""The model path on the ranked tool choice: questions are never turned into writes, and a base model
never writes free prose to the user (a deterministic sentence instead)."""

from __future__ import annotations

import json
import sqlite3

import pytest

from hearth import Agent, CallRequest, Delta, Done
from hearth.plugins.llamacpp.backend import CANT, no_prose
from hearth.plugins.llamacpp.ranker import is_question, is_read_tool
from hearth.tooling.calls import fn_schema

QUESTIONS = ["any timers running?", "is milk on the list?", "do we have eggs", "how many bananas do we need?",
             "did I already check off the milk?", "what's on my list", "how long is left on the pasta timer",
             "are bananas on the list?", "have we got butter", "can you tell me what is on the list",
             "check if we have eggs", "what about eggs?", "is there anything on my list?"]
COMMANDS = ["add milk", "can you add milk to the list", "could you set a timer for 5 minutes?", "cancel it",
            "remember to get dish soap", "check off eggs", "make that a dozen", "would you remove the eggs",
            "we're out of coffee", "put eggs on the list", "stop the pasta timer", "please add bread?"]


@pytest.mark.parametrize("text", QUESTIONS)
def test_questions_read_as_questions(text):
    assert is_question(text)


@pytest.mark.parametrize("text", COMMANDS)
def test_commands_do_not_read_as_questions(text):
    assert not is_question(text)


def _tools(plugins: str, monkeypatch) -> list[dict]:
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", plugins)
    return Agent().tool_schemas()


def test_the_read_tools_are_the_ones_that_change_nothing(home, monkeypatch):
    tools = _tools("llamacpp,shopping_list,timers,clock,smalltalk", monkeypatch)
    reads = {fn_schema(t)["name"] for t in tools if is_read_tool(t)}
    assert reads == {"get_shopping_list", "count_shopping_list", "is_on_shopping_list", "timer_status", "get_current_time",
                     "get_current_date", "small_talk"}


def test_no_prose_after_a_failed_call_says_the_tools_message():
    messages = [{"role": "user", "content": "cancel the tea timer"},
                {"role": "assistant", "content": "", "tool_calls": [{"id": "1", "name": "cancel_timer"}]},
                {"role": "tool", "tool_call_id": "1", "name": "cancel_timer",
                 "content": json.dumps({"error": "not_found", "message": "There is no timer called tea."})}]
    said = no_prose(messages, [])
    assert isinstance(said, Delta) and said.text == "There is no timer called tea."


def test_no_prose_after_calls_that_worked_says_done():
    messages = [{"role": "user", "content": "add milk"},
                {"role": "tool", "tool_call_id": "1", "name": "add_to_shopping_list", "content": '{"name": "milk"}'}]
    assert no_prose(messages, []) == Delta("Done.")


def test_no_prose_without_a_fitting_tool_is_cant_or_the_small_talk_tools_sentence(home, monkeypatch):
    messages = [{"role": "user", "content": "what's the weather tomorrow"}]
    assert no_prose(messages, _tools("llamacpp,shopping_list", monkeypatch)) == Delta(CANT)
    call = no_prose(messages, _tools("llamacpp,shopping_list,smalltalk", monkeypatch))
    assert isinstance(call, CallRequest) and (call.name, call.arguments) == ("small_talk", {"kind": "out_of_scope"})


# ---- real Gemma 3 270M base on the ranked path -------------------------------------------------------


@pytest.mark.slow
async def test_a_question_about_timers_on_the_model_path_never_cancels_one(home, monkeypatch):
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "llamacpp,shopping_list,timers,clock,smalltalk")
    agent = Agent()
    await agent.start()
    try:
        assert (await agent.run_tool("start_timer", {"duration": "10 minutes", "name": "pasta"})).ok
        assert (await agent.run_tool("add_to_shopping_list", {"item": "milk"})).ok
        replies = {}
        for text in ("any timers running?", "is the pasta timer still going?", "how many milk do we need?",
                     "do we have eggs?", "is milk on the list?"):
            done = await agent.ask(text, session="q", tier=3)
            assert done.type == "finished", done
            replies[text] = done.text
        timers = (await agent.run_tool("timer_status", {})).result["timers"]
        items = (await agent.run_tool("get_shopping_list", {})).result["items"]
    finally:
        await agent.stop()
    assert [t["name"] for t in timers] == ["pasta"], replies
    assert [(i["name"], i["quantity"]) for i in items] == [("milk", 1)], replies
    db = sqlite3.connect(home / "hearth.db")
    called = {r[0] for r in db.execute("select name from tool_calls where conversation_id='q'")}
    assert called and not called - {"timer_status", "is_on_shopping_list", "get_shopping_list",
                                                 "small_talk", "get_current_time", "get_current_date"}


@pytest.mark.slow
async def test_a_base_model_says_a_fixed_sentence_when_no_tool_fits(home):
    agent = Agent()
    await agent.start()
    try:
        backend = agent.backend()
        assert backend.is_base_model
        one_tool = [t for t in agent.tool_schemas() if fn_schema(t)["name"] == "clear_shopping_list"]
        for tools in ([], one_tool):
            messages = [{"role": "system", "content": "You are Hearth."},
                        {"role": "user", "content": "hello there, tell me a story about dragons"}]
            out = [ev async for ev in backend.chat(messages, tools)]
            assert [type(ev) for ev in out] == [Delta, Done], out
            assert out[0].text == CANT
    finally:
        await agent.stop()


def test_optional_strings_are_free_strings_too(home, monkeypatch):
    from hearth.plugins.llamacpp.backend import is_free_string
    tools = {fn_schema(t)["name"]: fn_schema(t)["parameters"]["properties"]
             for t in _tools("llamacpp,shopping_list,timers,smalltalk", monkeypatch)}
    assert is_free_string(tools["start_timer"]["duration"]) and is_free_string(tools["start_timer"]["name"])
    assert is_free_string(tools["add_to_shopping_list"]["item"])
    assert not is_free_string(tools["small_talk"]["kind"]) and not is_free_string(tools["add_to_shopping_list"]["quantity"])


@pytest.mark.slow
async def test_a_timer_name_on_the_model_path_is_copied_from_the_request_never_invented(home, monkeypatch):
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "llamacpp,shopping_list,timers")
    agent = Agent()
    await agent.start()
    try:
        said = {}
        for text in ("set a timer for 10 minutes", "set the oven timer for 45 minutes"):
            done = await agent.ask(text, session="t", tier=3)
            said[text] = done.text
        timers = (await agent.run_tool("timer_status", {})).result["timers"]
    finally:
        await agent.stop()
    words = set("set a timer for 10 minutes set the oven timer for 45 minutes".split())
    assert all(set((t.get("name") or "").lower().split()) <= words for t in timers), (timers, said)


def test_a_verb_only_one_tools_examples_open_with_picks_that_tool():
    from hearth.plugins.llamacpp.ranker import _first_word, lead_words
    add = {"function": {"name": "add"}, "examples": ["add {item} [to my list]", "(put|stick) {item} on my list",
                                                     "[please] buy {item}"]}
    remove = {"function": {"name": "remove"}, "examples": ["(remove|delete) {item}", "take {item} off"]}
    assert lead_words(add) == {"add", "put", "stick"} and lead_words(remove) == {"remove", "delete", "take"}
    assert [_first_word(t) for t in ("Please, add salt", "could you put eggs on", "  Scratch milk")] == \
        ["add", "put", "scratch"]
