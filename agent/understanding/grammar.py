"""Compiling the grammar: the expensive part of tier 1, made once per process for the same
sentences (:func:`hearth.kit.shared`), and the example sentences tools get from their files."""

from __future__ import annotations

import json
from typing import Any

from hearth.tooling.tool import Tool
from hearth.understanding import sentences


def grammar_key(data: dict[str, Any]) -> str:
    """A grammar's identity: its merged sentence data, as text."""
    return json.dumps(data, sort_keys=True, default=str)


def compile_grammar(own: dict[str, Any], claimed: tuple[str, ...], language: str) -> tuple[Any, ...]:
    """The expensive part of a grammar: hassil's compiled intents (the tools' own, then Home
    Assistant's for the intents tools claim), its vocabulary, starters, word pairs and verbs, the
    claimed intents Home Assistant has sentences for, and each intent's own words."""
    from hassil import Intents
    ha = _ha_templates(claimed, language)
    intents = [Intents.from_dict(d) for d in (own, ha) if d["intents"]]
    vocab, starters = sentences.vocabulary(own)
    return (intents, frozenset(vocab), frozenset(starters), frozenset(sentences.word_pairs(own)),
            sentences.verbs(own, language), tuple(ha["intents"]), sentences.intent_words(own))


def _ha_templates(claimed: tuple[str, ...], language: str) -> dict[str, Any]:
    """Home Assistant's sentences (home-assistant-intents) for the intents tools claim."""
    data: dict[str, Any] = {"language": language, "intents": {}, "lists": {}, "expansion_rules": {},
                            "skip_words": []}
    if not claimed:
        return data
    try:
        from home_assistant_intents import get_intents
        ha = get_intents(language) or {}
    except ImportError:  # pragma: no cover - a dependency
        ha = {}
    for key in ("lists", "expansion_rules"):
        data[key].update(ha.get(key) or {})
    data["skip_words"] = list(ha.get("skip_words") or [])
    for intent in claimed:
        if intent in ha.get("intents", {}):
            data["intents"][intent] = ha["intents"][intent]
    return data


def give_examples(tools: dict[str, Tool], files: dict[str, Any], per_tool: int = 24) -> None:
    """A tool with sentences and no ``examples=`` of its own gets its sentences, written out, as its
    examples: small models and the rankers read a tool's example sentences. A data block with
    ``metadata: {example: false}`` is matched but not shown to models."""
    for name, intent in files["intents"].items():
        tool = tools.get(name)
        if tool is None or (tool.examples and not tool.examples_from_sentences):
            continue
        args = tool.parameters["properties"]
        templates = [t for block in intent.get("data") or []
                     if not block.get("slots") and (block.get("metadata") or {}).get("example") is not False
                     for t in block.get("sentences") or []]
        plain = (sentences.plainest(sentences.inline(t, files, args)) for t in templates)
        tool.examples = list(dict.fromkeys(p for p in plain if p))[:per_tool]
        tool.examples_from_sentences = True
