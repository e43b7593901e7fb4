"""Small talk's sentence file (tools/smalltalk/sentences/en.yaml), read with hassil: every utterance of
tests/data/smalltalk_utterances.yaml gets the kind (and topic) the regex reader gave it before issue 24, the
requests listed there are left to other tools, and the core's grammar (which does not pass the out-of-scope
blocks' context) reads the small-talk kinds the same way and no request at all."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from hassil import Intents, recognize_all, recognize_best

from hearth.tools.smalltalk import reading
from hearth.tools.smalltalk.reading import CONTEXT, classify, name_words, normalise, tool_words

ROOT = Path(__file__).resolve().parent.parent
DATA = yaml.safe_load((ROOT / "tests/data/smalltalk_utterances.yaml").read_text(encoding="utf-8"))
SMALL_TALK = [(text, kind, None) for kind, texts in DATA["small_talk"].items() for text in texts] + [
    (text, "out_of_scope", topic) for topic, texts in DATA["out_of_scope"].items() for text in texts]
NOT_SMALL_TALK = DATA["not_small_talk"]
FILE = yaml.safe_load((reading.SENTENCES / "en.yaml").read_text(encoding="utf-8"))


def _read(intents: Intents, text: str, context: dict | None = None) -> tuple[str, str | None] | None:
    """hassil's best reading of ``text`` (normalised) as (kind, topic), the file's metadata not applied."""
    found = recognize_best(normalise(text), intents, intent_context=context)
    if found is None:
        return None
    topic = found.entities.get("topic")
    return found.entities["kind"].value, topic.value if topic is not None else None


def test_the_sets_are_large_enough():
    assert len(SMALL_TALK) >= 150 and len(NOT_SMALL_TALK) >= 40
    assert len({kind for _, kind, _ in SMALL_TALK}) == 11  # every kind, out_of_scope included
    assert len({topic for *_, topic in SMALL_TALK if topic}) >= 18


@pytest.mark.parametrize("text, kind, topic", SMALL_TALK)
def test_small_talk_reads_as_before(text, kind, topic):
    assert classify(text) == (kind, topic), text


@pytest.mark.parametrize("text", NOT_SMALL_TALK)
def test_requests_of_other_tools_are_left_alone(text):
    assert classify(text) is None, text


def test_the_core_grammar_reads_the_small_talk_kinds_and_no_out_of_scope():
    """As the core compiles the file: hassil's own ranking, no context (the out-of-scope blocks stay shut
    until the core applies unless_words and unless_tool)."""
    intents = Intents.from_dict(FILE)
    for text, kind, topic in SMALL_TALK:
        assert _read(intents, text) == (None if topic else (kind, None)), text
    for text in NOT_SMALL_TALK:
        assert _read(intents, text) is None, text


def test_the_metadata_checks_void_what_hassil_alone_would_claim():
    intents = Intents.from_dict(FILE)
    # a timer, the clock, a list: other tools' words
    assert _read(intents, "turn the oven on for 20 minutes", CONTEXT) == ("out_of_scope", "control lights or devices")
    assert classify("turn the oven on for 20 minutes") is None
    assert _read(intents, "why is the list empty", CONTEXT) == ("out_of_scope", "answer questions about the world")
    assert classify("why is the list empty") is None
    # a registered tool whose name holds a covering word gets the request
    assert classify("switch off the bedroom lamp") == ("out_of_scope", "control lights or devices")
    assert classify("switch off the bedroom lamp", [SimpleNamespace(name="HassTurnOff", plugin="ha")]) is None
    assert classify("what's the news", [SimpleNamespace(name="fetch_page", plugin="web")]) is None
    mine = SimpleNamespace(name="small_talk", plugin="smalltalk", intents={"HassGetWeather": None})
    assert classify("will it rain", [mine]) == ("out_of_scope", "check the weather")


def test_required_keywords_only_skip_blocks_that_cannot_match():
    bare = {**FILE, "intents": {"small_talk": {"data": [
        {k: v for k, v in block.items() if k != "required_keywords"} for block in FILE["intents"]["small_talk"]["data"]]}}}
    with_keywords, without = Intents.from_dict(FILE), Intents.from_dict(bare)
    for text in [t for t, *_ in SMALL_TALK] + NOT_SMALL_TALK:
        seen = [{(r.entities["kind"].value, r.intent_metadata and repr(r.intent_metadata)) for r in
                 recognize_all(normalise(text), intents, intent_context=CONTEXT)} for intents in (with_keywords, without)]
        assert seen[0] == seen[1], text


def test_the_words_of_tool_names():
    assert name_words("HassTurnOn") == {"hass", "turn", "on"}
    assert name_words("web_search") == {"web", "search"}
    assert name_words("HTTPGetPage2") == {"http", "get", "page", "2"}
    tools = [SimpleNamespace(name="send_sms", plugin="sms", intents={"HassBroadcast": None}),
             SimpleNamespace(name="small_talk", plugin="smalltalk", intents={"HassGetWeather": None})]
    assert tool_words(tools) == {"send", "sms", "hass", "broadcast"}


def test_normalised_text():
    assert normalise("  Cheers, that\u2019s BRILLIANT!  ") == "cheers that's brilliant"
    assert normalise("ta-ra 'mate'") == "ta ra mate"


def test_small_talk_holds_at_most_ten_regex_alternatives():
    spec = importlib.util.spec_from_file_location("regex_budget", ROOT / "bench/regex_budget.py")
    budget = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(budget)
    files = sorted((ROOT / "tools/smalltalk").glob("*.py"))
    assert files and all(ast.parse(f.read_text()) for f in files)
    assert sum(budget.count_file(f) for f in files) <= 10
