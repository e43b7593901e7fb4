"""The injected-call parser is total and linear: any input gives calls and prose (or its own
ToolCallParseError), never another exception, and adversarial megabytes are read in linear time."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hearth.tooling.calls import ToolCallParseError, parse_calls
from hearth.tooling.calls.parse import MAX_CALLS, MAX_TEXT

# the pieces models (and attackers) write: call syntax, JSON, fences, tags, quotes, deep brackets
TOKENS = ["f(", "g(", "add_to_shopping_list(", ")", "(", "[", "]", "{", "}", ",", ":", "=", '"', "'", "\\",
          "x=", "item=", "1", "-", "2.5", "true", "null", "None", "```", "```json\n", "```tool_code\n",
          "<tool_call>", "</tool_call>", '{"name": "f", "arguments": ', '"arguments"', "\n", " ", "milk",
          "\x00", "\u202e", "Ω", "[]: 1", "**", "lambda", "#", "\ud800"]
texts = st.one_of(st.text(max_size=400), st.lists(st.sampled_from(TOKENS), max_size=120).map("".join))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts, st.sampled_from([None, {"f"}, {"f", "g", "add_to_shopping_list"}]))
def test_any_text_gives_calls_and_prose(text, known):
    calls, prose = parse_calls(text, known)
    assert isinstance(prose, str) and len(calls) <= MAX_CALLS
    for c in calls:
        assert isinstance(c.name, str) and isinstance(c.arguments, dict)


@pytest.mark.parametrize("text", [
    "[f(x={[]: 1})]",                                   # TypeError in literal_eval
    "```json\n" + "[" * 993 + "\n```",                  # RecursionError in json
    '{"a":' * 995,
    "<tool_call>" + "[" * 993,
    "f(x=" + "-" * 100000 + "1)",                       # MemoryError / recursion in the compiler
    "f(x=" + "-" * 2979 + "1)",
    "f(x='\x00')",                                       # a NUL in Python source
    "1[2.5(```" + " " * 2203,                           # found by bench/parser_fuzz.py: 19 s of regex backtracking
    "<tool_call>x" + " " * 200000,                      # a lazy group between two runs of whitespace
], ids=["unhashable-key", "deep-fence", "deep-json", "deep-tag", "minus-100k", "minus-2979", "nul", "fence-spaces",
        "tag-spaces"])
def test_the_fuzzed_crashes_are_text_now(text):
    calls, prose = parse_calls(text, {"f"})
    assert calls == [] and isinstance(prose, str)


@pytest.mark.parametrize("unit", ["{", "a(", "f(\"", '{"a":', "[", "(", "a(b)", "f('", "```", "<tool_call>", "a",
                                  "f(x=1) ", '{"name":"f","arguments":{}} '])
def test_a_megabyte_of_a_pattern_is_read(unit):
    # what used to take a minute or more (quadratic scans, a regex backtracking over a long word);
    # timings are in bench/parser_fuzz.py, this only checks the answer
    text = (unit * ((1 << 20) // len(unit)))[: 1 << 20]
    calls, prose = parse_calls(text, {"f", "a"})
    assert len(calls) <= MAX_CALLS and len(prose) <= MAX_TEXT


def test_many_calls_stop_at_the_limit_and_a_normal_reply_still_parses():
    calls, _ = parse_calls("[f(x=1)] " * 500, {"f"})
    assert len(calls) == MAX_CALLS
    calls, prose = parse_calls('Sure. [f(x="a (b)")] Done.', {"f"})
    assert [(c.name, c.arguments) for c in calls] == [("f", {"x": "a (b)"})] and prose == "Sure. Done."


def test_not_text_is_the_parsers_own_error():
    with pytest.raises(ToolCallParseError):
        parse_calls(b"f(x=1)", {"f"})  # type: ignore[arg-type]
