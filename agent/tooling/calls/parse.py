"""Tool calls read back out of model text.

Tolerant of what models actually write: code fences (``tool_code``/``json``/``python``), JSON
objects (``{"name": ..., "arguments": ...}``), ``<tool_call>`` tags, several calls, Python-style
calls with keyword or positional arguments, prose around them, and quotes written as HTML
character references (``&#34;``: copied from a chat template that escapes its messages).

Total and linear: on any input :func:`parse_calls` returns calls and prose (or raises its own
:class:`ToolCallParseError` for input it will not read), in time linear in the input. Brackets are
matched in one pass; a candidate call or JSON object is decoded at most once and only when it is
small and shallow enough for the decoders; input longer than a model could have written is cut first.
"""

from __future__ import annotations

import ast
import html
import json
import re
from typing import Any

from hearth.backends import CallRequest
from hearth.errors import HearthError

MAX_TEXT = 256 * 1024  # longer than any reply a model is allowed to write: the rest is cut before parsing
MAX_CANDIDATE = 16 * 1024  # a call or JSON object larger than this is not decoded
MAX_DEPTH = 32  # brackets nested deeper than this are not decoded (the decoders recurse)
QUOTED_SCAN_BUDGET = 256 * 1024  # characters spent in total re-scanning calls whose brackets sit in strings
MAX_CALLS = 64  # calls read from one reply; a model writing more is not calling tools
MAX_ATTEMPTS = 1024  # candidate calls and objects decoded per reply, found or not


class ToolCallParseError(HearthError):
    """Model output the parser refuses (not text); parse_calls never raises anything else."""

    code = "tool_call_unreadable"

# possessive quantifiers and no whitespace on both sides of a lazy group: a pattern that can split a run
# of spaces several ways backtracks in cubic time ("```" and 2,000 spaces took 19 s); bodies are
# stripped in code instead
_FENCE = re.compile(r"```[ \t]*+(?:(?:tool_code|tool_call|python|json|py)\b[ \t]*+)?\n?(.*?)```", re.S)
_TAG = re.compile(r"<tool_call>(.*?)(?:</tool_call>|$)", re.S)


def parse_calls(text: str, known: set[str] | None = None) -> tuple[list[CallRequest], str]:
    """Read tool calls out of model output; return ``(calls, remaining prose)``.

    ``known`` restricts Python-call matches to real tool names (so prose like "print(x)" in an
    answer is not taken for a call); JSON objects with a ``name`` key are always read, so an
    unknown tool name reaches the runner and gets a clear ``unknown_tool`` error.
    """
    if not isinstance(text, str):
        raise ToolCallParseError(f"model output must be text, not {type(text).__name__}")
    text = text[:MAX_TEXT]
    calls, prose = _parse(text, known)
    if not calls and "&" in text and (plain := _unescaped(text)) != text:
        found, rest = _parse(plain, known)
        if found:
            return found, rest
    return calls, prose


def _parse(text: str, known: set[str] | None) -> tuple[list[CallRequest], str]:
    """:func:`parse_calls` on text already cut to size."""
    calls: list[CallRequest] = []
    spans: list[tuple[int, int]] = []
    blocks: list[tuple[int, int, str]] = [(m.start(), m.end(), m.group(1)) for m in _TAG.finditer(text)]
    blocks += [(m.start(), m.end(), m.group(1)) for m in _FENCE.finditer(text)
               if not any(s <= m.start() < e for s, e, _ in blocks)]
    for start, end, body in sorted(blocks):
        if len(calls) >= MAX_CALLS:
            break
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


def _unescaped(text: str) -> str:
    """Text with its HTML character references decoded, over and over (a chat template that escapes
    its messages shows a model ``item=&#34;milk&#34;``, and the model's copy of that is escaped again)."""
    for _ in range(4):
        plain = html.unescape(text)
        if plain == text:
            break
        text = plain
    return text


def _parse_block(body: str, known: set[str] | None) -> list[CallRequest]:
    body = body.strip()
    if not body:
        return []
    if body[0] in "{[" and len(body) <= MAX_CANDIDATE and _depth(body) <= MAX_DEPTH:
        try:
            return _from_json(json.loads(body))
        except (ValueError, TypeError, RecursionError):
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
            if len(args) > MAX_CANDIDATE or _depth(args) > MAX_DEPTH:
                raise ValueError("too large or deep")
            args = json.loads(args) if args.strip() else {}
        except (ValueError, RecursionError):
            return [CallRequest(name, raw=args[:MAX_CANDIDATE])]
    if not isinstance(args, dict):
        return [CallRequest(name, raw=json.dumps(args, ensure_ascii=False))]
    return [CallRequest(name, args)]


_IDENT_CALL = re.compile(r"([A-Za-z_][\w.]*)\s*\(")


def _scan_inline(text: str, known: set[str] | None) -> tuple[list[CallRequest], list[tuple[int, int]]]:
    """Find JSON call objects and Python-style calls anywhere in text, in one linear pass."""
    calls: list[CallRequest] = []
    spans: list[tuple[int, int]] = []
    decoder = json.JSONDecoder()
    match, inner = _brackets(text)
    budget = [QUOTED_SCAN_BUDGET]
    attempts = 0
    i = 0
    while i < len(text) and len(calls) < MAX_CALLS and attempts < MAX_ATTEMPTS:
        ch = text[i]
        if ch == "{":
            end = match.get(i)
            obj, stop = None, i + 1
            if end is not None and end - i < MAX_CANDIDATE and inner[i] <= MAX_DEPTH:
                attempts += 1
                try:
                    obj, used = decoder.raw_decode(text[i:end + 1])
                    stop = i + used
                except (ValueError, RecursionError):
                    obj = None
            found = _from_json(obj, strict=True) if obj is not None else []
            if found:
                calls += found
                spans.append((i, stop))
                i = stop
                continue
            i += 1
            continue
        # a call starts an identifier: only there is the pattern tried (trying it inside a long word
        # would make the scan quadratic)
        m = _IDENT_CALL.match(text, i) if i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_.") else None
        if m:
            name = m.group(1)
            if known is None or name in known:
                attempts += 1
                parsed, end = _call_at(text, i, m.end() - 1, match, inner, budget)
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


def _brackets(text: str) -> tuple[dict[int, int], dict[int, int]]:
    """For each opening bracket (quotes ignored), in one pass: its matching close, and how deeply
    brackets nest inside it (1 for a bracket with none inside)."""
    match: dict[int, int] = {}
    inner: dict[int, int] = {}
    stack: list[tuple[int, str]] = []
    pairs = {")": "(", "]": "[", "}": "{"}
    for j, c in enumerate(text):
        if c in "([{":
            inner[j] = 1
            stack.append((j, c))
        elif c in pairs:
            if stack and stack[-1][1] == pairs[c]:
                opened = stack.pop()[0]
                match[opened] = j
                if stack:
                    parent = stack[-1][0]
                    inner[parent] = max(inner[parent], inner[opened] + 1)
            else:
                stack.clear()  # unbalanced: what was open can no longer close properly
    return match, inner


def _depth(text: str, start: int = 0, end: int | None = None) -> int:
    """The deepest bracket nesting in text[start:end + 1] (quotes ignored: an over-estimate is safe)."""
    deepest = level = 0
    for c in text[start:(len(text) if end is None else end + 1)]:
        if c in "([{":
            level += 1
            deepest = max(deepest, level)
        elif c in ")]}":
            level = max(0, level - 1)
    return deepest


def _call_at(text: str, start: int, open_idx: int, match: dict[int, int], inner: dict[int, int],
             budget: list[int]) -> tuple[CallRequest | None, int]:
    """The Python-style call starting at ``start`` and its closing index. The bracket match is
    tried first; when a string inside holds a bracket, a quote-aware re-scan is tried, within a
    budget shared by the whole text."""
    close = match.get(open_idx)
    if close is not None:
        if close - start > MAX_CANDIDATE or inner[open_idx] > MAX_DEPTH:
            return None, open_idx
        parsed = _parse_py_call(text[start:close + 1], checked=True)
        if parsed is not None:
            return parsed, close
    limit = min(len(text), open_idx + MAX_CANDIDATE, open_idx + max(0, budget[0]))
    if limit <= open_idx:
        return None, open_idx
    close = _matching_paren(text, open_idx, limit)
    budget[0] -= (close if close is not None else limit) - open_idx
    if close is None:
        return None, open_idx
    return _parse_py_call(text[start:close + 1]), close


def _matching_paren(text: str, open_idx: int, limit: int) -> int | None:
    """The bracket closing ``text[open_idx]``, skipping quoted strings; None before ``limit``."""
    depth, quote, esc = 0, "", False
    for j in range(open_idx, limit):
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


def _parse_py_call(src: str, checked: bool = False) -> CallRequest | None:
    """``checked``: the caller already knows the source is small and shallow enough."""
    if not checked and (len(src) > MAX_CANDIDATE or _depth(src) > MAX_DEPTH):
        return None
    try:
        node = ast.parse(src.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # ValueError: a NUL byte in the source
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
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):  # TypeError: {[]: 1}
        return None
    return CallRequest(name, args, positional=positional)


def _literal(node: ast.AST) -> Any:
    if isinstance(node, ast.Name) and node.id in ("true", "false", "null"):  # JSON spellings
        return {"true": True, "false": False, "null": None}[node.id]
    return ast.literal_eval(node)
