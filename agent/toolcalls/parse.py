"""Tool calls read back out of model text.

Tolerant of what models actually write: code fences (``tool_code``/``json``/``python``), JSON
objects (``{"name": ..., "arguments": ...}``), ``<tool_call>`` tags, several calls, Python-style
calls with keyword or positional arguments, and prose around them.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from ..backends import CallRequest

_FENCE = re.compile(r"```[ \t]*(?:tool_code|tool_call|python|json|py)?[ \t]*\n?(.*?)```", re.S)
_TAG = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.S)


def parse_calls(text: str, known: set[str] | None = None) -> tuple[list[CallRequest], str]:
    """Read tool calls out of model output; return ``(calls, remaining prose)``.

    ``known`` restricts Python-call matches to real tool names (so prose like "print(x)" in an
    answer is not taken for a call); JSON objects with a ``name`` key are always read, so an
    unknown tool name reaches the runner and gets a clear ``unknown_tool`` error.
    """
    calls: list[CallRequest] = []
    spans: list[tuple[int, int]] = []
    blocks: list[tuple[int, int, str]] = [(m.start(), m.end(), m.group(1)) for m in _TAG.finditer(text)]
    blocks += [(m.start(), m.end(), m.group(1)) for m in _FENCE.finditer(text)
               if not any(s <= m.start() < e for s, e, _ in blocks)]
    for start, end, body in sorted(blocks):
        found = _parse_block(body, known)
        if found:
            calls += found
            spans.append((start, end))
    if not calls:
        found, used = _scan_inline(text, known)
        calls += found
        spans += used
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    prose = text
    for start, end in reversed(merged):
        left, right = prose[:start], prose[end:]
        joint = " " if left and right and not left[-1].isspace() and not right[0].isspace() else ""
        prose = left + joint + right
    return calls, prose.strip()


def _parse_block(body: str, known: set[str] | None) -> list[CallRequest]:
    body = body.strip()
    if not body:
        return []
    if body[0] in "{[":
        try:
            return _from_json(json.loads(body))
        except (ValueError, TypeError):
            pass
    found, _ = _scan_inline(body, known)
    return found


def _from_json(obj: Any, strict: bool = False) -> list[CallRequest]:
    """Calls from a decoded JSON value. ``strict`` (JSON found in prose) also needs an
    arguments key, so an echoed result like ``{"name": "milk"}`` is not taken for a call."""
    if isinstance(obj, list):
        return [c for o in obj for c in _from_json(o, strict)]
    if not isinstance(obj, dict):
        return []
    if "function" in obj and isinstance(obj["function"], dict):  # OpenAI {"type":"function","function":{...}}
        obj = obj["function"]
    name = obj.get("name") or obj.get("tool") or obj.get("tool_name")
    if not isinstance(name, str):
        return []
    if strict and not any(k in obj for k in ("arguments", "parameters", "args")):
        return []
    args = obj.get("arguments", obj.get("parameters", obj.get("args", {})))
    if isinstance(args, str):
        try:
            args = json.loads(args) if args.strip() else {}
        except ValueError:
            return [CallRequest(name, raw=args)]
    if not isinstance(args, dict):
        return [CallRequest(name, raw=json.dumps(args, ensure_ascii=False))]
    return [CallRequest(name, args)]


_IDENT_CALL = re.compile(r"([A-Za-z_][\w.]*)\s*\(")


def _scan_inline(text: str, known: set[str] | None) -> tuple[list[CallRequest], list[tuple[int, int]]]:
    """Find JSON call objects and Python-style calls anywhere in text."""
    calls: list[CallRequest] = []
    spans: list[tuple[int, int]] = []
    decoder = json.JSONDecoder()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "{":
            try:
                obj, end = decoder.raw_decode(text, i)
            except ValueError:
                obj, end = None, i + 1
            found = _from_json(obj, strict=True) if obj is not None else []
            if found:
                calls += found
                spans.append((i, end))
                i = end
                continue
            i += 1
            continue
        m = _IDENT_CALL.match(text, i)
        if m and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_.")):
            name = m.group(1)
            close = _matching_paren(text, m.end() - 1)
            if close is not None and (known is None or name in known):
                end = close
                parsed = _parse_py_call(text[i:end + 1])
                if parsed is not None:
                    calls.append(parsed)
                    # swallow surrounding brackets of a call list
                    s, e = i, end + 1
                    while s > 0 and text[s - 1] in " [,":
                        s -= 1
                    while e < len(text) and text[e] in " ],":
                        e += 1
                    spans.append((s, e))
                    i = end + 1
                    continue
            i = m.end()
            continue
        i += 1
    return calls, spans


def _matching_paren(text: str, open_idx: int) -> int | None:
    depth, quote, esc = 0, "", False
    for j in range(open_idx, len(text)):
        c = text[j]
        if quote:
            if esc:
                esc = False
            elif c == "\\":
                esc = True
            elif c == quote:
                quote = ""
            continue
        if c in "\"'":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return j
    return None


def _parse_py_call(src: str) -> CallRequest | None:
    try:
        node = ast.parse(src.strip(), mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(node, ast.Call):
        return None
    name = ast.unparse(node.func)
    args: dict[str, Any] = {}
    try:
        for kw in node.keywords:
            if kw.arg is None:
                return None
            args[kw.arg] = _literal(kw.value)
        positional = tuple(_literal(a) for a in node.args)
    except ValueError:
        return None
    return CallRequest(name, args, positional=positional)


def _literal(node: ast.AST) -> Any:
    if isinstance(node, ast.Name) and node.id in ("true", "false", "null"):  # JSON spellings
        return {"true": True, "false": False, "null": None}[node.id]
    return ast.literal_eval(node)
