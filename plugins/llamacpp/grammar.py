"""GBNF grammars for llama.cpp: output that is plain text or a well-formed call to a real tool.

Also the request spans and numbers a grammar may restrict arguments to, so that a small model
copies from the request rather than invents.
"""

from __future__ import annotations

import json
import re
from typing import Any

from hearth.kit import fn_schema, py_literal


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
        rules[name] = " | ".join(_lit(py_literal(v)) for v in schema["enum"])
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
