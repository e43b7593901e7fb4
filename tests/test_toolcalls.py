"""The core tool-call layer: holding back streamed text that may be a call, binding, raw-call errors."""

from __future__ import annotations

from hearth import CallRequest
from hearth.tooling.calls import HoldBack, bind_positional, call_error, format_calls, parse_calls

KNOWN = {"add_to_shopping_list", "get_shopping_list"}
ADD = {"type": "function", "function": {"name": "add_to_shopping_list", "description": "Add an item.", "parameters": {
    "type": "object", "properties": {"item": {"type": "string"}, "quantity": {"type": "integer", "default": 1}},
    "required": ["item"]}}}


def stream(pieces: list[str], anywhere: bool = False) -> tuple[list[str], list[CallRequest], str]:
    hold = HoldBack(KNOWN, anywhere=anywhere)
    shown = [s for p in pieces if (s := hold.feed(p))]
    calls, rest = hold.finish()
    return shown, calls, rest


def test_plain_text_streams_as_it_comes():
    assert stream(["Nothing ", "to do."]) == (["Nothing ", "to do."], [], "")


def test_a_bracketed_call_is_held_back_and_returned():
    assert stream(["[add_to_shopping", '_list(item="milk")]']) == (
        [], [CallRequest("add_to_shopping_list", {"item": "milk"})], "")


def test_text_before_a_tool_call_tag_streams_and_the_tag_is_held():
    shown, calls, rest = stream(["Sure. <tool", '_call>{"name": "get_shopping_list", "arguments": {}}</tool_call>'])
    assert (shown, calls, rest) == (["Sure. "], [CallRequest("get_shopping_list", {})], "")


def test_a_less_than_sign_that_is_no_tag_is_released():
    shown, calls, rest = stream(["3 <", " 4 is true"])
    assert ("".join(shown) + rest, calls) == ("3 < 4 is true", [])


def test_anywhere_a_call_after_prose_is_held_back_and_returned():
    shown, calls, rest = stream(["Sure, I'll add it. ", "[add_to_", 'shopping_list(item="milk")]'], anywhere=True)
    assert (shown, calls, rest) == (["Sure, I'll add it. "], [CallRequest("add_to_shopping_list", {"item": "milk"})], "")


def test_anywhere_a_bare_call_after_prose_is_held_from_its_name():
    shown, calls, _ = stream(["Okay: add", "_to_shopping_list", '(item="eggs")'], anywhere=True)
    assert "".join(shown) == "Okay: " and calls == [CallRequest("add_to_shopping_list", {"item": "eggs"})]


def test_anywhere_a_word_that_only_starts_like_a_tool_name_is_released_once_it_is_not_one():
    shown, calls, rest = stream(["I will add", "ed the milk. You can get", " it later"], anywhere=True)
    assert shown == ["I will ", "added the milk. You can ", "get it later"] and (calls, rest) == ([], "")


def test_anywhere_prose_with_brackets_is_held_to_the_end_and_released_whole():
    shown, calls, rest = stream(["The list: ", "[milk, eggs]", " and more."], anywhere=True)
    assert (shown, calls, rest) == (["The list: "], [], "[milk, eggs] and more.")


def test_anywhere_an_unreadable_call_after_prose_becomes_a_raw_call():
    shown, calls, rest = stream(["Adding. ", "[add_to_shopping_list(item=milk)]"], anywhere=True)
    assert shown == ["Adding. "] and rest == ""
    assert calls == [CallRequest("add_to_shopping_list", raw="[add_to_shopping_list(item=milk)]")]


def test_quotes_a_chat_template_escaped_are_read_as_quotes():
    """llama-cpp-python's chatml templates escape messages; a model copying its history writes &#34;
    (and escapes of escapes, one more each round it copies)."""
    for text in ['[add_to_shopping_list(item=&#34;saffron&#34;)]', '[add_to_shopping_list(item=&amp;#34;saffron&amp;amp;#34;)]',
                 '{&quot;name&quot;: &quot;add_to_shopping_list&quot;, &quot;arguments&quot;: {&quot;item&quot;: &quot;saffron&quot;}}']:
        assert parse_calls(text, KNOWN) == ([CallRequest("add_to_shopping_list", {"item": "saffron"})], "")


def test_prose_with_character_references_is_left_as_written():
    assert parse_calls("salt &amp; pepper &#34;fresh&#34;", KNOWN) == ([], "salt &amp; pepper &#34;fresh&#34;")


def test_a_fence_that_holds_no_call_is_released_at_the_end():
    assert stream(["```", "\nprint(1)\n```"]) == ([], [], "```\nprint(1)\n```")


def test_an_unreadable_call_to_a_known_tool_comes_back_raw():
    assert stream(["[add_to_shopping_list(", "item=bread)]"]) == (
        [], [CallRequest("add_to_shopping_list", raw="[add_to_shopping_list(item=bread)]")], "")


def test_positional_values_beyond_the_parameters_stay_positional_and_are_an_error():
    (call,), _ = parse_calls('[add_to_shopping_list("bread", 2, "extra")]', KNOWN)
    bound = bind_positional(call, ADD)
    assert (bound.arguments, bound.positional) == ({"item": "bread", "quantity": 2}, ("extra",))
    assert call_error(bound, ADD) == (
        "add_to_shopping_list got 1 positional argument(s) more than it takes ('extra'). "
        "Write the call as [add_to_shopping_list(item: str, quantity: int = 1)].")


def test_a_raw_call_error_says_how_to_write_the_call():
    assert call_error(CallRequest("add_to_shopping_list", raw="[add_to_shopping_list(item=bread)]"), ADD) == (
        "Could not read the arguments of this call to add_to_shopping_list: [add_to_shopping_list(item=bread)]. "
        "Write the call as [add_to_shopping_list(item: str, quantity: int = 1)], with strings in double quotes.")


def test_a_readable_call_or_an_unknown_tool_has_no_binding_error():
    assert (call_error(CallRequest("add_to_shopping_list", {"item": "x"}), ADD),
            call_error(CallRequest("order_pizza", raw="order_pizza(("), None)) == (None, None)


def test_a_raw_call_is_replayed_to_the_model_as_it_wrote_it():
    assert format_calls([{"name": "add_to_shopping_list", "arguments": {}, "raw": "[add_to_shopping_list(item=bread)]"}]) \
        == "[add_to_shopping_list(item=bread)]"


def test_json_arguments_that_are_not_an_object_come_back_raw():
    assert parse_calls('{"name": "get_shopping_list", "arguments": "not json"}', KNOWN)[0] == [
        CallRequest("get_shopping_list", raw="not json")]
