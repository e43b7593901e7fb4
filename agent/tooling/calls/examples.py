"""Few-shot examples: (sentence, call) pairs from each tool's example templates.

A tool schema may carry ``"examples": [templates]`` (Home Assistant template style: ``(a|b)``
alternatives, ``[optional]`` parts, ``{slot}`` values) and ``"slot_values": {arg: [values]}``
next to ``"function"``; these are Hearth's keys and never reach a chat template.
"""

from __future__ import annotations

import itertools
import random
import re
from typing import Any

from hassil.parse_expression import parse_sentence
from hassil.sample import sample_expression

from hearth.backends import CallRequest
from hearth.tooling.calls.render import fn_schema


def expand_template(template: str, limit: int = 8) -> list[str]:
    """Up to ``limit`` sentences of a template, ``(a|b)`` alternatives and ``[optional]`` parts expanded
    by hassil's sampler (the parser tier 1 matches with); ``{slot}`` references are kept."""
    sentences = sample_expression(parse_sentence(template).expression, expand_lists=False)
    return [re.sub(r"\s+", " ", s).strip() for s in itertools.islice(sentences, limit)]


def fill_template(sentence: str, values: dict[str, Any]) -> str | None:
    """Replace ``{slot}`` with values; None when a slot has no value."""
    missing = False

    def sub(m: re.Match[str]) -> str:
        nonlocal missing
        key = m.group(1)
        if key not in values:
            missing = True
            return ""
        return str(values[key])

    text = re.sub(r"\{(\w+)\}", sub, sentence)
    return None if missing else text


def example_calls(tools: list[dict[str, Any]], per_tool: int = 2, seed: int = 0) -> list[tuple[str, CallRequest]]:
    """(sentence, call) pairs from each tool's ``examples`` templates and ``slot_values``.

    A tool schema may carry ``"examples": [templates]`` and ``"slot_values": {arg: [values]}``
    next to ``"function"``; these are Hearth's keys and never reach a chat template.
    """
    rng = random.Random(seed)
    pairs: list[tuple[str, CallRequest]] = []
    for t in tools:
        name = fn_schema(t)["name"]
        slot_values: dict[str, list[Any]] = t.get("slot_values") or {}
        sentences = [s for tpl in t.get("examples") or [] for s in expand_template(tpl)]
        rng.shuffle(sentences)
        used = 0
        for i, sentence in enumerate(sentences):
            if used >= per_tool:
                break
            slots = re.findall(r"\{(\w+)\}", sentence)
            values = {s: (slot_values.get(s) or ["something"])[(i + used) % len(slot_values.get(s) or ["x"])] for s in slots}
            text = fill_template(sentence, values)
            if text:
                order = list((fn_schema(t).get("parameters") or {}).get("properties", {}))
                ordered = {k: values[k] for k in sorted(values, key=lambda k: order.index(k) if k in order else 99)}
                pairs.append((text, CallRequest(name, ordered)))
                used += 1
    # interleave tools so no tool dominates the end of the prompt
    by_tool: dict[str, list[tuple[str, CallRequest]]] = {}
    for p in pairs:
        by_tool.setdefault(p[1].name, []).append(p)
    mixed = [p for group in itertools.zip_longest(*by_tool.values()) for p in group if p]
    return mixed


def example_sentences(tool: dict[str, Any], per_template: int = 3) -> list[str]:
    """The tool's example templates expanded (``per_template`` each) and filled with its slot values."""
    slot_values: dict[str, list[Any]] = tool.get("slot_values") or {}
    sentences: list[str] = []
    for tpl in tool.get("examples") or []:
        for sentence in expand_template(tpl, limit=per_template):
            k = len(sentences)
            values = {slot: (slot_values.get(slot) or ["it"])[k % len(slot_values.get(slot) or ["it"])]
                      for slot in re.findall(r"\{(\w+)\}", sentence)}
            filled = fill_template(sentence, values)
            if filled:
                sentences.append(filled)
    return sentences
