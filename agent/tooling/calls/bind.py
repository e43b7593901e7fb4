"""A call request bound to its tool: positional arguments named, and the error for a call that
cannot be bound (one the backend could not read, or one with too many positional arguments)."""

from __future__ import annotations

import dataclasses
from typing import Any

from hearth.backends import CallRequest
from hearth.tooling.calls.render import fn_schema, render_signature


def bind_positional(call: CallRequest, tool: dict[str, Any] | None) -> CallRequest:
    """Map ``name("bread", 2)`` onto the schema's parameter order; extra values stay positional."""
    if not call.positional or tool is None:
        return call
    args = dict(call.arguments)
    names = [n for n in (fn_schema(tool).get("parameters") or {}).get("properties", {}) if n not in args]
    for n, v in zip(names, call.positional, strict=False):
        args[n] = v
    return dataclasses.replace(call, arguments=args, positional=call.positional[len(names):])


def call_error(call: CallRequest, tool: dict[str, Any] | None) -> str | None:
    """What the model is told about a call that cannot run as written (None: it can be tried).

    An unknown tool is the runner's to report (``unknown_tool``); this covers a call whose
    arguments could not be read, and positional arguments beyond the tool's parameters."""
    if tool is None:
        return None
    form = f"[{render_signature(tool).splitlines()[0]}]"
    if call.raw is not None:
        return (f"Could not read the arguments of this call to {call.name}: {call.raw.strip()}. "
                f"Write the call as {form}, with strings in double quotes.")
    if call.positional:
        return (f"{call.name} got {len(call.positional)} positional argument(s) more than it takes "
                f"({', '.join(map(repr, call.positional))}). Write the call as {form}.")
    return None
