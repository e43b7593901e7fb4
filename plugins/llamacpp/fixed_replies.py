"""What a base model says instead of free prose, and the strings a ranked call may copy.

A base model (a GGUF without a chat template) never writes free prose to the user: where it would,
the reply is a deterministic sentence instead (``no_prose``): the tool's own error after a failed
call, "Done." after one that worked, and "I can't do that yet" when no tool fits the request: through
the tool whose plugin gave it a ``fallback`` hint, when one is offered (its sentence says what Hearth
can do), else ``CANT``.
"""

from __future__ import annotations

import json
from typing import Any

from hearth import CallRequest, Delta
from hearth.kit import fn_schema

CANT = "Sorry, I can't do that yet."


def is_free_string(schema: dict[str, Any]) -> bool:
    """A string argument without an enum, also when optional (``anyOf: [string, null]``)."""
    if "enum" in schema:
        return False
    if schema.get("type") == "string" or (isinstance(schema.get("type"), list) and "string" in schema["type"]):
        return True
    return any(is_free_string(s) for s in schema.get("anyOf") or [] if s.get("type") != "null")


def no_prose(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Any:
    """What a base model says instead of free prose: a Delta with a fixed sentence, or a call.

    After tool results: the first failed call's message, else "Done.". Otherwise "I can't do that
    yet": a call of the first tool with a ``fallback`` hint (the arguments its plugin gave; its
    sentence lists what Hearth can do) or, without one, ``CANT``.
    """
    results = []
    for m in reversed(messages):
        if m["role"] != "tool":
            break
        results.append(m.get("content") or "")
    if results:
        for content in reversed(results):
            try:
                value = json.loads(content)
            except ValueError:
                continue
            if isinstance(value, dict) and "error" in value and isinstance(value.get("message"), str):
                return Delta(value["message"])
        return Delta("Done.")
    for t in tools:
        fallback = (t.get("hints") or {}).get("fallback")
        if isinstance(fallback, dict):
            return CallRequest(fn_schema(t)["name"], dict(fallback))
    return Delta(CANT)
