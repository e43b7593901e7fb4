"""Injected tool calling: render tool schemas into a prompt, parse calls back, build a grammar.

One fixed call syntax is taught to models without native tool calls: a bracketed list of
Python-style calls, ``[add_to_shopping_list(item="bread", quantity=2)]``. The parser is tolerant
of what models actually write: code fences (``tool_code``/``json``/``python``), JSON objects
(``{"name": ..., "arguments": ...}``), ``<tool_call>`` tags, several calls, and prose around them.
``grammar_for`` turns the schemas into a llama.cpp GBNF grammar so that output is either plain
text or a well-formed call to a real tool with valid arguments.
"""

from __future__ import annotations

import ast
import itertools
import json
import random
import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ParsedCall:
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)


def fn_schema(tool: dict[str, Any]) -> dict[str, Any]:
    """The ``function`` part of an OpenAI-style tool schema (accepts either form)."""
    return tool.get("function", tool)


# -------------------------------------------------------------------------------------------------
# rendering
# -------------------------------------------------------------------------------------------------

_PY_TYPES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "array": "list", "object": "dict"}


def _type_name(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return "Literal[" + ", ".join(json.dumps(v) for v in schema["enum"]) + "]"
    if "anyOf" in schema:
        return " | ".join(_type_name(s) for s in schema["anyOf"])
    t = schema.get("type", "any")
    if isinstance(t, list):
        return " | ".join(_PY_TYPES.get(x, x) for x in t)
    return _PY_TYPES.get(t, t)


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
    args = ", ".join(f"{k}={_py_literal(v)}" for k, v in arguments.items())
    return f"{name}({args})"


def format_calls(calls: list[ParsedCall] | list[dict[str, Any]]) -> str:
    items = []
    for c in calls:
        if isinstance(c, ParsedCall):
            items.append(format_call(c.name, c.arguments))
        else:
            items.append(format_call(c["name"], c.get("arguments") or {}))
    return "[" + ", ".join(items) + "]"


def _py_literal(v: Any) -> str:
    if isinstance(v, bool):
        return "True" if v else "False"
    if v is None:
        return "None"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, list):
        return "[" + ", ".join(_py_literal(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {_py_literal(x)}" for k, x in v.items()) + "}"
    return json.dumps(str(v))


# -------------------------------------------------------------------------------------------------
# example sentences (Home Assistant template style) for few-shot prompts
# -------------------------------------------------------------------------------------------------

_ALT = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]")


def expand_template(template: str, limit: int = 8) -> list[str]:
    """Expand ``(a|b)`` alternatives and ``[optional]`` parts of a sentence template."""
    out = [template]
    for _ in range(10):
        nxt: list[str] = []
        changed = False
        for s in out:
            m = _ALT.search(s)
            if not m:
                nxt.append(s)
                continue
            changed = True
            if m.group(1) is not None:
                options = m.group(1).split("|")
            else:
                options = m.group(2).split("|") + [""]
            for o in options:
                nxt.append(s[: m.start()] + o + s[m.end():])
        out = nxt[: limit * 4]
        if not changed:
            break
    return [re.sub(r"\s+", " ", s).strip() for s in out][:limit]


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


def example_calls(tools: list[dict[str, Any]], per_tool: int = 2, seed: int = 0) -> list[tuple[str, ParsedCall]]:
    """(sentence, call) pairs from each tool's ``examples`` templates and ``slot_values``.

    A tool schema may carry ``"examples": [templates]`` and ``"slot_values": {arg: [values]}``
    next to ``"function"``; these are Hearth's keys and never reach a chat template.
    """
    rng = random.Random(seed)
    pairs: list[tuple[str, ParsedCall]] = []
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
                pairs.append((text, ParsedCall(name, ordered)))
                used += 1
    # interleave tools so no tool dominates the end of the prompt
    by_tool: dict[str, list[tuple[str, ParsedCall]]] = {}
    for p in pairs:
        by_tool.setdefault(p[1].name, []).append(p)
    mixed = [p for group in itertools.zip_longest(*by_tool.values()) for p in group if p]
    return mixed


# -------------------------------------------------------------------------------------------------
# parsing
# -------------------------------------------------------------------------------------------------

_FENCE = re.compile(r"```[ \t]*(?:tool_code|tool_call|python|json|py)?[ \t]*\n?(.*?)```", re.S)
_TAG = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.S)


def parse_calls(text: str, known: set[str] | None = None) -> tuple[list[ParsedCall], str]:
    """Read tool calls out of model output; return ``(calls, remaining prose)``.

    ``known`` restricts Python-call matches to real tool names (so prose like "print(x)" in an
    answer is not taken for a call); JSON objects with a ``name`` key are always read, so an
    unknown tool name reaches the runner and gets a clear ``unknown_tool`` error.
    """
    calls: list[ParsedCall] = []
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


def _parse_block(body: str, known: set[str] | None) -> list[ParsedCall]:
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


def _from_json(obj: Any, strict: bool = False) -> list[ParsedCall]:
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
            args = {"__raw__": args}
    return [ParsedCall(name, args if isinstance(args, dict) else {"__raw__": args})]


_IDENT_CALL = re.compile(r"([A-Za-z_][\w.]*)\s*\(")


def _scan_inline(text: str, known: set[str] | None) -> tuple[list[ParsedCall], list[tuple[int, int]]]:
    """Find JSON call objects and Python-style calls anywhere in text."""
    calls: list[ParsedCall] = []
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
            end = _matching_paren(text, m.end() - 1)
            if end is not None and (known is None or name in known):
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


def _parse_py_call(src: str) -> ParsedCall | None:
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
        if node.args:
            args["__positional__"] = [_literal(a) for a in node.args]
    except ValueError:
        return None
    return ParsedCall(name, args)


def _literal(node: ast.AST) -> Any:
    if isinstance(node, ast.Name) and node.id in ("true", "false", "null"):  # JSON spellings
        return {"true": True, "false": False, "null": None}[node.id]
    return ast.literal_eval(node)


def bind_positional(call: ParsedCall, tool: dict[str, Any] | None) -> ParsedCall:
    """Map ``name("bread", 2)`` onto the schema's parameter order."""
    if "__positional__" not in call.arguments or tool is None:
        return call
    args = dict(call.arguments)
    positional = args.pop("__positional__")
    names = [n for n in (fn_schema(tool).get("parameters") or {}).get("properties", {}) if n not in args]
    for n, v in zip(names, positional):
        args[n] = v
    if len(positional) > len(names):
        args["__positional__"] = positional[len(names):]
    return ParsedCall(call.name, args)


# -------------------------------------------------------------------------------------------------
# grammar (llama.cpp GBNF)
# -------------------------------------------------------------------------------------------------


def _lit(s: str) -> str:
    return json.dumps(s)


def _rule_name(s: str) -> str:
    return re.sub(r"[^a-zA-Z0-9]+", "-", s).strip("-").lower() or "x"


GBNF_PRIMITIVES = r'''
ws ::= [ ]?
str ::= "\"" chr{0,80} "\""
chr ::= [^"\\\n] | "\\" ["\\nt]
int ::= "-"? [0-9]{1,9}
num ::= "-"? [0-9]{1,9} ("." [0-9]{1,6})?
bool ::= "True" | "False"
'''.strip()


def _value_rule(schema: dict[str, Any], rules: dict[str, str], hint: str, spans: list[Any] | None) -> str:
    if "enum" in schema:
        name = f"enum-{_rule_name(hint)}"
        rules[name] = " | ".join(_lit(_py_literal(v)) for v in schema["enum"])
        return name
    if "anyOf" in schema:
        opts = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return _value_rule(opts[0] if opts else {}, rules, hint, spans)
    t = schema.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), None)
    if t == "string":
        if spans:
            name = f"span-{_rule_name(hint)}"
            rules[name] = " | ".join(_lit(json.dumps(s, ensure_ascii=False)) for s in spans)
            return name
        return "str"
    if t == "integer":
        if spans:
            name = f"span-{_rule_name(hint)}"
            rules[name] = " | ".join(_lit(str(int(v))) for v in spans)
            return name
        return "int"
    if t == "number":
        return "num"
    if t == "boolean":
        return "bool"
    if t == "array":
        item = _value_rule(schema.get("items") or {"type": "string"}, rules, hint + "-item", None)
        name = f"arr-{_rule_name(hint)}"
        rules[name] = f'"[" ws ({item} ("," ws {item}){{0,15}})? "]"'
        return name
    # object or unknown: any JSON-ish value is too loose for a small grammar; accept strings/numbers
    return "str | num"


def grammar_for(tools: list[dict[str, Any]], *, allow_text: bool = True,
                spans: dict[str, list[str]] | None = None, only: str | None = None,
                max_calls: int = 3, args_only: bool = False, require: set[str] | None = None) -> str:
    """A GBNF grammar: ``[call, ...]`` to real tools with valid arguments, or plain text.

    ``spans`` optionally restricts string and integer arguments (by argument name) to given values,
    e.g. the word spans and numbers of the user's message, so a small model copies rather than
    invents. ``only`` restricts the grammar to one tool; ``args_only`` makes the grammar start
    after ``[name(``; ``require`` makes optional arguments required.
    """
    rules: dict[str, str] = {}
    call_rules = []
    for t in tools:
        fn = fn_schema(t)
        if only and fn["name"] != only:
            continue
        params = fn.get("parameters") or {}
        props: dict[str, Any] = params.get("properties") or {}
        required = [p for p in props if p in set(params.get("required") or []) | (require or set())]
        optional = [p for p in props if p not in required]
        rn = f"call-{_rule_name(fn['name'])}"
        vals = {p: _value_rule(props[p], rules, f"{fn['name']}-{p}", (spans or {}).get(p)) for p in props}
        kv = {p: f'{_lit(p + "=")} ({vals[p]})' for p in props}
        # optional arguments keep schema order; each may be left out: tail-i ::= ("," ws o_i)? tail-(i+1)
        tails = [f"{rn}-opt{i}" for i in range(len(optional))] + ['""']
        for i, p in enumerate(optional):
            rules[tails[i]] = f'("," ws {kv[p]})? {tails[i + 1]}'
        if required:
            body = ' "," ws '.join(kv[p] for p in required) + (f" {tails[0]}" if optional else "")
        elif optional:
            heads = [f"{rn}-head{i}" for i in range(len(optional))]
            for i, p in enumerate(optional):
                nxt = heads[i + 1] if i + 1 < len(optional) else '""'
                rules[heads[i]] = f"{kv[p]} {tails[i + 1]} | {nxt}"
            body = heads[0]
        else:
            body = ""
        rules[f"{rn}-args"] = body or '""'
        rules[rn] = f'{_lit(fn["name"] + "(")} {rn}-args ")"'
        call_rules.append(rn)
    if not call_rules:
        raise ValueError("no tools to build a grammar for")
    rules["call"] = " | ".join(call_rules)
    rules["calls"] = f'"[" call ("," ws call){{0,{max(0, max_calls - 1)}}} "]"'
    if args_only:  # the prompt already ends in "[name(": finish the arguments and close the list
        root = f'call-{_rule_name(only or "")}-args ")]"'
    else:
        root = 'ws (calls | text)' if allow_text else "ws calls"
    # plain text may not contain "[" at all, so a call is never hidden inside prose
    rules["text"] = r'[^\[\n ] [^\[\n]{0,400}'
    head = [f"root ::= {root}"] + [f"{k} ::= {v}" for k, v in rules.items()]
    return "\n".join(head) + "\n" + GBNF_PRIMITIVES + "\n"


_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
            "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "dozen": 12, "twenty": 20, "a couple": 2}


def request_spans(text: str, max_words: int = 5) -> list[str]:
    """Every run of up to ``max_words`` words of a message (punctuation trimmed), longest last."""
    words = [w.strip(".,!?;:\"()") for w in text.split()]
    words = [w for w in words if w]
    spans: list[str] = []
    for n in range(1, max_words + 1):
        for i in range(len(words) - n + 1):
            s = " ".join(words[i:i + n])
            if s not in spans:
                spans.append(s)
    return spans


def request_numbers(text: str) -> list[int]:
    """Numbers a message states, in digits or words."""
    found: list[int] = []
    low = text.lower()
    for m in re.finditer(r"\d+", low):
        found.append(int(m.group()))
    for w, v in _NUMBERS.items():
        if re.search(rf"\b{w}\b", low) and v not in found:
            found.append(v)
    return found


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
