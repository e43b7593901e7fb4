"""Tool schemas rendered into a prompt, and calls written in the fixed call syntax."""

from __future__ import annotations

import json
from typing import Any

from hearth.backends import CallRequest


def fn_schema(tool: dict[str, Any]) -> dict[str, Any]:
    """The ``function`` part of an OpenAI-style tool schema (accepts either form)."""
    return tool.get("function", tool)


_PY_TYPES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "array": "list", "object": "dict"}


def _type_name(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return "Literal[" + ", ".join(json.dumps(v) for v in schema["enum"]) + "]"
    if "anyOf" in schema:
        return " | ".join(_type_name(s) for s in schema["anyOf"])
    t = schema.get("type", "any")
    if isinstance(t, list):
        return " | ".join(_PY_TYPES.get(str(x), str(x)) for x in t)
    return _PY_TYPES.get(str(t), str(t))


def render_signature(tool: dict[str, Any]) -> str:
    """``name(arg: type, opt: type = default)`` followed by the description and argument docs."""
    fn = fn_schema(tool)
    params = fn.get("parameters") or {}
    props: dict[str, Any] = params.get("properties") or {}
    required = set(params.get("required") or [])
    parts, docs = [], []
    for pname, ps in props.items():
        s = f"{pname}: {_type_name(ps)}"
        if pname not in required:
            s += f" = {json.dumps(ps.get('default'))}" if "default" in ps else " = None"
        parts.append(s)
        if ps.get("description"):
            docs.append(f"    {pname}: {ps['description']}")
    head = f"{fn['name']}({', '.join(parts)})"
    desc = (fn.get("description") or "").strip().splitlines()
    lines = [head] + ([f"    {desc[0]}"] if desc else []) + docs
    return "\n".join(lines)


CALL_SYNTAX = (
    'To use tools, reply with only a list of calls in this form: [tool_name(arg="value", number=2)]\n'
    "Use only the tools listed; otherwise reply in plain words."
)


def render_tools_prompt(tools: list[dict[str, Any]]) -> str:
    """The block that goes into the system prompt for injected tool calling."""
    body = "\n".join(render_signature(t) for t in tools)
    return f"You can call these tools:\n{body}\n{CALL_SYNTAX}"


def format_call(name: str, arguments: dict[str, Any]) -> str:
    """One call in the fixed syntax (``name(arg="v")``)."""
    args = ", ".join(f"{k}={py_literal(v)}" for k, v in arguments.items())
    return f"{name}({args})"


def format_calls(calls: list[CallRequest] | list[dict[str, Any]]) -> str:
    """Calls as the model would have written them; a call it wrote unreadably, as it wrote it."""
    items = []
    for c in calls:
        if isinstance(c, CallRequest):
            name, arguments, raw = c.name, c.arguments, c.raw
        else:
            name, arguments, raw = c["name"], c.get("arguments") or {}, c.get("raw")
        if raw is not None:
            return raw
        items.append(format_call(name, arguments))
    return "[" + ", ".join(items) + "]"


def py_literal(v: Any) -> str:
    """A value as a Python literal (the call syntax's argument values)."""
    if isinstance(v, bool):
        return "True" if v else "False"
    if v is None:
        return "None"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, list):
        return "[" + ", ".join(py_literal(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {py_literal(x)}" for k, x in v.items()) + "}"
    return json.dumps(str(v))


def injected_messages(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages for a chat template without tool support: schemas in the system prompt, calls
    written in the fixed syntax, tool results as user turns."""
    out: list[dict[str, Any]] = []
    for m in messages:
        role, content = m["role"], m.get("content") or ""
        if role == "system":
            if tools:
                content = f"{content}\n\n{render_tools_prompt(tools)}"
            out.append({"role": "system", "content": content})
        elif role == "assistant" and m.get("tool_calls"):
            out.append({"role": "assistant", "content": format_calls(m["tool_calls"])})
        elif role == "tool":
            out.append({"role": "user", "content": f"Tool {m.get('name', '')} returned: {content}"})
        else:
            out.append({"role": role, "content": content})
    return out
