"""The model rounds (tiers 2 and 3) on a whole agent: real tools, runner, storage and events; only the
model is scripted, one list of what it says per round (text pieces and the calls its backend read).

A model that repeats a call is stopped with the results so far; call syntax never reaches the user,
whatever round it is written in; a question never becomes a write."""

from __future__ import annotations

from typing import Any

import pytest

from hearth import Agent, Backend, CallRequest, Delta, Done, Storage, ToolResult, hookimpl
from hearth.pluginmanager import PluginManager
from hearth.turn.rounds import CANT, QUESTION_NOT_A_WRITE

NOTES: list[str] = []


def add_note(text: str) -> ToolResult:
    """Write a note down."""
    NOTES.append(text)
    return ToolResult({"notes": list(NOTES)}, say=f"Noted {text}.")


def get_notes() -> ToolResult:
    """Get the notes written down. Changes nothing."""
    return ToolResult({"notes": list(NOTES)}, say=f"You have {len(NOTES)} notes.")


class Scripted(Backend):
    """A model that says, each round, the next of ``script`` (strings are streamed text, calls are
    what its backend read), and records the messages and tool names each round got."""

    script: list[list[Any]] = []
    rounds: list[tuple[list[dict[str, Any]], list[str]]] = []

    @property
    def loaded(self) -> bool:
        return True

    async def load(self, progress=None) -> None:
        return None

    async def chat(self, messages, tools):
        Scripted.rounds.append(([dict(m) for m in messages], [t["function"]["name"] for t in tools]))
        for item in Scripted.script.pop(0) if Scripted.script else ["I have nothing to add."]:
            yield Delta(item) if isinstance(item, str) else item
        yield Done({"model_ms": 1.0})


class _Plugin:
    @hookimpl
    def register_backends(self, register):
        register("scripted", Scripted)

    @hookimpl
    def register_tools(self, register):
        register(add_note)
        register(get_notes)


@pytest.fixture
def agent(tmp_path, monkeypatch):
    """An agent whose only tools are the notes and whose main model is scripted."""
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path / "home"))

    def make(*script: list[Any], **keys: Any) -> Agent:
        NOTES.clear()
        Scripted.script, Scripted.rounds = [list(r) for r in script], []
        extra = "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in keys.items())
        path = tmp_path / "models.toml"
        path.write_text(f'[roles]\nmain = "m"\n\n[models.m]\nbackend = "scripted"\nmodel = "x"\n{extra}')
        pm = PluginManager()
        pm.register_module(_Plugin(), "scripted")
        pm.collect()
        return Agent(models=path, plugins=pm, storage=Storage(f"sqlite:///{tmp_path}/t.db"))

    return make


def call(name: str, **arguments: Any) -> CallRequest:
    return CallRequest(name, arguments)


async def events(agent: Agent, text: str) -> list:
    try:
        return [e async for e in agent.turn(text, session="s", tier=3)]
    finally:
        await agent.stop()


def said(evs: list) -> str:
    return "".join(e.text for e in evs if e.type == "text_delta")


async def test_a_call_the_model_repeats_is_not_run_again_and_the_reply_is_the_results_so_far(agent):
    a = agent([call("add_note", text="saffron")], [call("add_note", text="saffron")],
              [call("add_note", text="saffron")])
    evs = await events(a, "note saffron")
    assert NOTES == ["saffron"]
    assert [(e.name, e.ok) for e in evs if e.type == "tool_result"] == [("add_note", True)]
    assert len(Scripted.rounds) == 2  # the repeat ended the rounds: no third round was asked for
    assert (evs[-1].type, evs[-1].text, evs[-1].tool_calls) == ("finished", "Noted saffron.", 1)
    assert said(evs) == "Noted saffron."


async def test_a_repeat_within_one_round_runs_once(agent):
    a = agent([call("add_note", text="milk"), call("add_note", text="milk")])
    evs = await events(a, "note milk")
    assert NOTES == ["milk"] and evs[-1].text == "Noted milk." and len(Scripted.rounds) == 1


async def test_the_same_tool_with_other_arguments_is_not_a_repeat(agent):
    a = agent([call("add_note", text="milk")], [call("add_note", text="eggs")], ["Both are noted."])
    evs = await events(a, "note milk and eggs")
    assert NOTES == ["milk", "eggs"] and evs[-1].text == "Both are noted."


async def test_a_call_written_on_the_last_round_is_never_said_and_the_results_are_the_reply(agent):
    """The last round offers no tools; a looping model writes its call as text there (the issue's
    ``[add_to_shopping_list(item="saffron", ...)]``): it is not said, and not run."""
    a = agent([call("add_note", text="saffron")], ['[add_note(', 'text="saffron", ', '...)]'],
              max_tool_rounds=1)
    evs = await events(a, "note saffron")
    assert Scripted.rounds[1][1] == []  # the last round had no tools
    assert NOTES == ["saffron"]
    assert (evs[-1].type, evs[-1].text) == ("finished", "Noted saffron.")
    assert "add_note" not in said(evs) and "[" not in said(evs)
    assert a.storage.history("s")[-1] == {"role": "assistant", "content": "Noted saffron."}


async def test_a_new_call_written_on_the_last_round_is_not_run(agent):
    a = agent([call("add_note", text="milk")], ['add_note(text="eggs")'], max_tool_rounds=1)
    evs = await events(a, "note milk")
    assert NOTES == ["milk"] and evs[-1].text == "Noted milk." and "add_note" not in said(evs)


async def test_with_no_result_to_tell_a_written_call_becomes_i_cant(agent):
    """Round 0's call cannot be read (only the model hears why); the last round writes one as JSON."""
    a = agent(["[add_note(text=milk)]"], ['{"name": "add_note", "arguments": {"text": "milk"}}'],
              max_tool_rounds=1)
    evs = await events(a, "note milk")
    assert NOTES == [] and evs[-1].text == CANT and said(evs) == CANT


async def test_a_call_written_in_the_middle_of_prose_is_held_back_and_run(agent):
    a = agent(["Sure, ", "I'll note that. [add_", 'note(text="milk")]'], ["It is noted."])
    evs = await events(a, "note milk")
    assert NOTES == ["milk"]
    assert said(evs) == "Sure, I'll note that. It is noted." and evs[-1].text == "It is noted."


async def test_prose_that_only_looks_like_a_call_is_said_whole(agent):
    a = agent(["You can add_", "note things, ", "[or not]."])
    evs = await events(a, "what can you do")
    assert said(evs) == "You can add_note things, [or not]." == evs[-1].text and NOTES == []


async def test_with_tool_replies_an_unreadable_call_is_not_said_and_the_model_retries(agent):
    """The model is told how to write the call (call syntax: never for the user); its retry's sentence is the reply."""
    a = agent(["[add_note(text=milk)]"], [call("add_note", text="milk")], reply="tool")
    evs = await events(a, "note milk")
    results = [(e.ok, e.error_code) for e in evs if e.type == "tool_result"]
    assert results == [(False, "invalid_arguments"), (True, None)]
    assert NOTES == ["milk"] and evs[-1].text == "Noted milk." and said(evs) == "Noted milk."
    told = Scripted.rounds[1][0][-1]
    assert told["role"] == "tool" and "Write the call as [add_note(" in told["content"]


@pytest.mark.parametrize("request_text", ["is milk in my notes?", "do I have a note about milk",
                                          "so what's noted"])
async def test_a_question_never_becomes_a_write(agent, request_text):
    a = agent([call("add_note", text="milk")], [call("get_notes")], ["No, milk is not noted."])
    evs = await events(a, request_text)
    results = [(e.name, e.ok, e.error_code) for e in evs if e.type == "tool_result"]
    assert results == [("add_note", False, QUESTION_NOT_A_WRITE), ("get_notes", True, None)]
    assert NOTES == [] and evs[-1].text == "No, milk is not noted."
    told = Scripted.rounds[1][0][-1]
    assert told["role"] == "tool" and "question" in told["content"] and "get_notes" in told["content"]


async def test_a_refused_write_is_not_said_with_tool_replies(agent):
    a = agent([call("add_note", text="milk")], [call("get_notes")], reply="tool")
    evs = await events(a, "is milk in my notes?")
    assert NOTES == [] and evs[-1].text == "You have 0 notes."


@pytest.mark.parametrize("request_text", ["note milk", "please note milk?", "can you note milk",
                                          "could you please note milk?"])
async def test_a_command_writes(agent, request_text):
    a = agent([call("add_note", text="milk")], ["Noted."])
    evs = await events(a, request_text)
    assert NOTES == ["milk"] and evs[-1].text == "Noted."
