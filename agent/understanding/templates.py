"""The tools' example templates (``examples=["add {item} to my shopping list"]``) as hassil data:
sentence blocks with list references, and a list for each argument (a wildcard, a number range or
the enum's values). The tier-1 matcher (:class:`hearth.understanding.matcher.Matcher`) compiles them."""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

from hearth.tooling.tool import Tool

log = logging.getLogger("hearth.understanding")


def _slot_ref(tool: str, m: re.Match[str]) -> str:
    """``{item}`` in a tool's template as hassil's list reference ``{tool__item:item}``."""
    return f"{{{tool}__{m.group(1)}:{m.group(1)}}}"


def template_blocks(tool: Tool) -> list[dict[str, Any]]:
    """A tool's example templates as hassil sentence blocks; one naming a slot that is no argument is
    skipped (with a warning)."""
    props = tool.parameters["properties"]
    blocks = []
    for template in tool.examples:
        slots = re.findall(r"\{(\w+)\}", template)
        if any(s not in props for s in slots):
            log.warning("tool %s: example %r names a slot that is no argument; skipped", tool.name, template)
            continue
        sentence = re.sub(r"\{(\w+)\}", functools.partial(_slot_ref, tool.name), template)
        blocks.append({"sentences": [sentence], "metadata": {"template": template}})
    return blocks


def slot_list(schema: dict[str, Any]) -> dict[str, Any]:
    """The hassil list for an argument: its enum's values, a number range, or a wildcard."""
    if "enum" in schema:
        return {"values": [str(v) for v in schema["enum"]]}
    kind = schema.get("type")
    if kind == "integer":
        return {"range": {"from": 0, "to": 1000}}
    if kind == "number":
        return {"range": {"from": 0, "to": 1000, "fractions": "halves"}}
    return {"wildcard": True}
