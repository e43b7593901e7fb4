"""Which requests read as questions and which tools only read (``hearth.tooling.calls.questions``), the
rule that a question never becomes a write, and the ranked path's copy of the same rule."""

from __future__ import annotations

import pytest

from hearth.plugins.llamacpp import reading
from hearth.tooling.calls.questions import is_question, is_read_tool, writes_for_a_question


def tool(name: str, description: str = "") -> dict:
    return {"type": "function", "function": {"name": name, "description": description,
                                             "parameters": {"type": "object", "properties": {}}}}


ADD = tool("add_to_shopping_list", "Add an item to the shopping list.")
GET = tool("get_shopping_list", "Get the shopping list.")

QUESTIONS = ["is milk on the list", "Is milk on the list?", "do we have eggs", "so what's on my list",
             "ok, any timers running?", "okay how long is left", "tell me if the pasta timer is done",
             "can you tell me what time it is", "could you check whether we have bread", "milk?",
             "isn't the timer done", "i wonder what's left", "whats on the list", "  how many eggs  "]
COMMANDS = ["add milk", "please add bread?", "can you add milk", "could u set a timer for 5 minutes",
            "would you remove eggs?", "will you, add milk", "can you please tell me a joke", "", "   ",
            "hey add milk", "okaywhat", "island holiday", "anyway add tea", "so add milk",
            "canyou add milk", "what", "put a question mark after this?"]


@pytest.mark.parametrize("text", QUESTIONS)
def test_questions_read_as_questions(text):
    assert is_question(text) and reading.is_question(text)


@pytest.mark.parametrize("text", COMMANDS[:-2])
def test_commands_do_not(text):
    assert not is_question(text) and not reading.is_question(text)


@pytest.mark.parametrize("text", COMMANDS[-2:])
def test_a_bare_question_word_or_a_question_mark_is_a_question(text):
    assert is_question(text) and reading.is_question(text)


@pytest.mark.parametrize("t", [GET, tool("is_on_shopping_list"), tool("timer_status"), tool("look_up_word"),
                               tool("weather", "Tells the weather."), tool("x", "Plays nothing; changes nothing."),
                               tool("y", "A read-only view of the lights."), tool("count"),
                               tool("z", "  Returns the time.")])
def test_tools_that_only_read(t):
    assert is_read_tool(t) and reading.is_read_tool(t)


@pytest.mark.parametrize("t", [ADD, tool("getaway"), tool("start_timer", "Start a timer (it tells you when)."),
                               tool("Get_list"), tool("set_status_light"), tool("q", "Unchanges nothingness."),
                               tool("r", "Forgets everything; ready only for new input.")])
def test_tools_that_write(t):
    assert not is_read_tool(t) and not reading.is_read_tool(t)


def test_a_question_never_becomes_a_write_while_a_tool_that_reads_is_offered():
    assert writes_for_a_question("is milk on the list?", ADD, [ADD, GET])
    assert not writes_for_a_question("is milk on the list?", GET, [ADD, GET])
    assert not writes_for_a_question("add milk", ADD, [ADD, GET])


def test_with_no_tool_that_reads_the_write_is_left_alone():
    assert not writes_for_a_question("is milk on the list?", ADD, [ADD])


def test_an_unknown_tool_is_the_runners_to_report():
    assert not writes_for_a_question("is milk on the list?", None, [ADD, GET])


def test_the_ranked_path_uses_the_cores_rule():
    """One rule, offered to engines by ``hearth.kit``: the ranker has no copy of its own to drift."""
    assert reading.is_question is is_question and reading.is_read_tool is is_read_tool


def test_the_ranked_path_drops_polite_openings_before_its_first_word():
    assert reading.first_word("ok so, please add milk") == "add"
    assert reading.first_word("can you, put eggs on the list") == "put"
    assert reading.first_word("okay") == "okay" and reading.first_word("") == ""
    assert reading.first_word("Could  you add tea") == "could"  # "could you" is one phrase: one space


def test_the_ranked_path_reads_a_templates_lead_words():
    t = {"examples": ["(put|stick) {item} on <list>", "  add {item}", "(a(b)|c) d", "{item} please",
                      "[please] remove {item}", "(|scratch|{x}) y", "'tis {item}", "9 lives"]}
    assert reading.lead_words(t) == {"put", "stick", "add", "scratch", "'tis"}
