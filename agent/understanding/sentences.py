"""Sentences as data: every plugin's ``sentences/<language>.yaml``, the tools' ``examples=``
templates and the Home Assistant sentences that tools claim, merged into one hassil grammar.

A sentence file is hassil's own format (the home-assistant/intents style): ``intents`` named after
tools, ``lists``, ``expansion_rules`` and ``skip_words``. Files are merged in plugin load order; a
list or rule that two files define differently keeps the first definition and logs the second
(prefix yours with the plugin's short name). The grammar also knows its *vocabulary* (the literal
words of its templates, for the fuzzy stage) and its *starters* (the words a request begins with,
which tell two requests apart from one list of things).
"""

from __future__ import annotations

import copy
import functools
import logging
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hearth.tooling.tool import Tool

log = logging.getLogger("hearth.understanding")

_RULE = re.compile(r"<([^<>]+)>")  # a rule reference in a template: <shop_list>
_TEMPLATE_MARKS = str.maketrans({c: " " for c in "()[]|<>{}:;,.!?\""})


@dataclass
class Grammar:
    """The compiled grammar: hassil intents, what each intent calls, and the words it knows."""

    intents: Any = None  # hassil.Intents
    # intent name -> (tool, converter from HA slots to arguments, or None: the slots are the arguments)
    targets: dict[str, tuple[Tool, Any]] = field(default_factory=dict)
    vocabulary: set[str] = field(default_factory=set)
    pairs: set[tuple[str, str]] = field(default_factory=set)  # words said one after the other in a template
    starters: set[str] = field(default_factory=set)
    lists: dict[str, Any] = field(default_factory=dict)  # the sentence files' lists, by name
    verbs: dict[str, set[str]] = field(default_factory=dict)
    words_of: dict[str, frozenset[str]] = field(default_factory=dict)  # intent -> its own templates' words
    home_assistant: bool = False  # the last of ``intents`` is Home Assistant's sentences  # tool -> the request verbs its sentences begin with
    error: str | None = None


def read_file(path: Path) -> dict[str, Any]:
    """One sentence file as a dict (``{}`` with a warning when it cannot be read); read once per
    process while the file is unchanged."""
    try:
        stat = path.stat()
    except OSError as err:
        log.warning("sentence file %s cannot be read: %s", path, err)
        return {}
    return copy.deepcopy(_parsed(str(path), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=64)
def _parsed(path: str, mtime: int, size: int) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when there: ten times faster
    try:
        data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=loader) or {}
    except (OSError, yaml.YAMLError) as err:
        log.warning("sentence file %s cannot be read: %s", path, err)
        return {}
    if not isinstance(data, dict):
        log.warning("sentence file %s: expected a mapping at the top", path)
        return {}
    return data


def merge(files: Iterable[tuple[str, dict[str, Any]]], language: str) -> dict[str, Any]:
    """Sentence files merged into one hassil dict; intents of one name gather their data blocks."""
    out: dict[str, Any] = {"language": language, "intents": {}, "lists": {}, "expansion_rules": {}, "skip_words": []}
    for where, data in files:
        for name, intent in (data.get("intents") or {}).items():
            out["intents"].setdefault(name, {"data": []})["data"].extend((intent or {}).get("data") or [])
        for key in ("lists", "expansion_rules"):
            for name, value in (data.get(key) or {}).items():
                if name in out[key] and out[key][name] != value:
                    log.warning("%s: %s %r is already defined by another sentence file; the first is kept",
                                where, key[:-1].replace("_", " "), name)
                    continue
                out[key][name] = value
        out["skip_words"] += [w for w in data.get("skip_words") or [] if w not in out["skip_words"]]
    return out


def template_words(template: str) -> list[str]:
    """The literal words of a template: slots, rule references and syntax dropped."""
    text = []
    depth = 0
    for ch in template:  # drop {slot} and <rule> references whole
        if ch in "{<":
            depth += 1
        elif ch in "}>":
            depth -= 1
        elif depth == 0:
            text.append(ch)
    return "".join(text).translate(_TEMPLATE_MARKS).lower().split()


def first_words(template: str) -> set[str]:
    """The words a template may begin with: the first literal of each alternative of its first group."""
    t = template.strip()
    if not t or t[0] in "{<":
        return set()
    if t[0] in "([":
        depth, end = 0, 0
        for i, ch in enumerate(t):
            depth += ch in "([" and 1 or 0
            depth -= ch in ")]" and 1 or 0
            if depth == 0:
                end = i
                break
        head = t[1:end]
        words = {alt.strip().split()[0].strip(string.punctuation) for alt in head.split("|") if alt.strip()}
        if t[0] == "[":  # optional: the next word may begin it too
            words |= first_words(t[end + 1:])
        return {w for w in words if w and w[0] not in "{<"}
    return {t.split()[0].strip(string.punctuation)}


def vocabulary(data: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The literal words of a merged grammar's own templates and rules, and the words its requests
    begin with."""
    words: set[str] = set()
    starters: set[str] = set()
    rules = data.get("expansion_rules") or {}
    for intent in (data.get("intents") or {}).values():
        for block in intent.get("data") or []:
            for sentence in block.get("sentences") or []:
                words.update(template_words(sentence))
                starts = first_words(sentence)
                if sentence.strip().startswith("<"):
                    rule = sentence.strip()[1:].split(">", 1)[0]
                    starts = first_words(str(rules.get(rule, "")))
                starters.update(starts)
    for rule in rules.values():
        words.update(template_words(str(rule)))
    return words, starters  # a list's values are things said in a slot, not the grammar's own words


def intent_words(data: dict[str, Any]) -> dict[str, frozenset[str]]:
    """Per intent (tool), the literal words of its own templates and of the rules they use, however
    deep: the words a request for that tool is carried by ("shopping", "list"), as opposed to words of
    other tools' sentences ("salt" in a question about nutrition)."""
    rules = {str(k): str(v) for k, v in (data.get("expansion_rules") or {}).items()}
    out: dict[str, frozenset[str]] = {}
    for name, intent in (data.get("intents") or {}).items():
        words: set[str] = set()
        todo = [str(t) for block in intent.get("data") or [] for t in block.get("sentences") or []]
        seen: set[str] = set()
        while todo:
            template = todo.pop()
            words.update(template_words(template))
            for rule in _RULE.findall(template):
                if rule not in seen and rule in rules:
                    seen.add(rule)
                    todo.append(rules[rule])
        out[str(name)] = frozenset(words)
    return out


def sentence_files(folders: Iterable[Path], language: str) -> list[tuple[str, dict[str, Any]]]:
    """``<folder>/<language>.yaml`` of each registered folder that has one."""
    out = []
    for folder in folders:
        path = Path(folder) / f"{language}.yaml"
        if path.is_file():
            out.append((str(path), read_file(path)))
    return out


def inline(template: str, data: dict[str, Any], arguments: Iterable[str], depth: int = 0) -> str:
    """A template with its ``<rules>`` written out and its lists as the ``{argument}`` they fill (or
    their values, for a list that fills no argument): the form ``examples=`` takes, for the model
    prompts and rankers that read a tool's example sentences."""
    rules, lists, args = data.get("expansion_rules") or {}, data.get("lists") or {}, set(arguments)
    out, i = [], 0
    while i < len(template):
        ch = template[i]
        close = template.find(">" if ch == "<" else "}", i) if ch in "<{" else -1
        if close < 0:
            out.append(ch)
            i += 1
            continue
        ref = template[i + 1:close]
        if ch == "<":
            rule = str(rules.get(ref, ref))
            out.append(f"({inline(rule, data, args, depth + 1)})" if depth < 8 else ref)
        else:
            name, _, slot = ref.partition(":")
            slot = slot or name
            values = (lists.get(name) or {}).get("values")
            if slot not in args and values:
                words = [str(v.get("in") if isinstance(v, dict) else v) for v in values]
                out.append("(" + "|".join(words) + ")")
            else:
                out.append("{" + slot + "}")
        i = close + 1
    return "".join(out)


def plainest(template: str) -> str:
    """A template without its optional parts: the plainest way to say it (``[please] add {item} [to
    <list>]`` -> ``add {item}``), for example sentences."""
    out: list[str] = []
    depth = 0
    for ch in template:
        if ch == "[":
            depth += 1
        elif ch == "]" and depth:
            depth -= 1
        elif depth == 0:
            out.append(ch)
    text = " ".join("".join(out).split())
    for gap, joined in (("( ", "("), (" )", ")"), ("| ", "|"), (" |", "|"), ("()", ""), ("(|", "("), ("|)", ")")):
        while gap in text:
            text = text.replace(gap, joined)
    return " ".join(text.split())


def word_pairs(data: dict[str, Any]) -> set[tuple[str, str]]:
    """The pairs of literal words that follow each other in some sentence of the grammar's own
    templates (through alternatives, optional parts and rules; a slot breaks a pair): the context
    the fuzzy stage checks a correction against. Read from hassil's parse tree, never expanded."""
    from hassil.parse_expression import parse_sentence
    pairs: set[tuple[str, str]] = set()
    rules: dict[str, Any] = {}
    for name, text in (data.get("expansion_rules") or {}).items():
        try:
            rules[name] = parse_sentence(str(text)).expression
        except Exception:  # a rule hassil cannot parse: the grammar reports it when it compiles
            continue
    for intent in (data.get("intents") or {}).values():
        for block in intent.get("data") or []:
            for template in block.get("sentences") or []:
                try:
                    _ends(parse_sentence(template).expression, rules, pairs, {})
                except Exception:
                    continue
    return pairs


Ends = tuple[frozenset[Any], frozenset[Any], bool]  # (first words, last words, can be empty)


def _ends(exp: Any, rules: dict[str, Any], pairs: set[tuple[str, str]], seen: dict[str, Ends], depth: int = 0) -> Ends:
    from hassil.expression import Alternative, Group, ListReference, RuleReference, TextChunk
    if isinstance(exp, TextChunk):
        words = exp.text.lower().split()
        pairs.update(zip(words, words[1:], strict=False))
        return (frozenset(words[:1]), frozenset(words[-1:]), not words)
    if isinstance(exp, ListReference):
        return (frozenset([None]), frozenset([None]), False)  # a slot: no word pairs across it
    if isinstance(exp, RuleReference):
        if exp.rule_name not in seen and depth < 12 and exp.rule_name in rules:
            seen[exp.rule_name] = (frozenset(), frozenset(), True)  # a rule that refers to itself
            seen[exp.rule_name] = _ends(rules[exp.rule_name], rules, pairs, seen, depth + 1)
        return seen.get(exp.rule_name, (frozenset([None]), frozenset([None]), False))
    if not isinstance(exp, Group):
        return (frozenset(), frozenset(), True)
    parts = [_ends(item, rules, pairs, seen, depth + 1) for item in exp.items]
    if isinstance(exp, Alternative):
        return (frozenset().union(*(p[0] for p in parts)), frozenset().union(*(p[1] for p in parts)),
                exp.is_optional or any(p[2] for p in parts))
    first: frozenset[Any] = frozenset()
    last: frozenset[Any] = frozenset()
    empty = True
    for f, lst, e in parts:  # a sequence (a permutation read in its written order)
        pairs.update((a, b) for a in last for b in f if a is not None and b is not None)
        first = first | f if empty else first
        last = lst | last if e else lst
        empty = empty and e
    return (first, last, empty)


def name_words(name: str) -> set[str]:
    """The words of a tool or intent name: ``HassTurnOn`` -> hass, turn, on; ``web_search`` -> web, search."""
    words: list[str] = []
    word = ""
    for i, c in enumerate(name):
        nxt = name[i + 1] if i + 1 < len(name) else ""
        starts = c.isupper() and word and (not word[-1].isupper() or nxt.islower())
        if not c.isalnum() or starts or (word and c.isdigit() != word[-1].isdigit()):
            words.append(word)
            word = ""
        if c.isalnum():
            word += c
    words.append(word)
    return {w.lower() for w in words if w}


def verbs(data: dict[str, Any], language: str) -> dict[str, set[str]]:
    """Per intent (tool), the verbs its sentences may begin with (first words, less the language's
    ``not_verbs``): ``add_to_shopping_list`` -> add, put, stick, ...; for the check that a
    model's call fits what was said."""
    from hearth.understanding.language import matching_words
    not_verbs = matching_words(language)["not_verbs"]
    rules = data.get("expansion_rules") or {}
    out: dict[str, set[str]] = {}
    for name, intent in (data.get("intents") or {}).items():
        found: set[str] = set()
        for block in intent.get("data") or []:
            for sentence in block.get("sentences") or []:
                t = sentence.strip()
                while t.startswith("[") and "]" in t:  # "[also] add {item}": the verb after the optional word
                    found |= first_words(t)
                    t = t[t.index("]") + 1:].strip()
                if t.startswith("<"):
                    t = str(rules.get(t[1:].split(">", 1)[0], ""))
                found |= first_words(t)
        out[name] = {w for w in found if w not in not_verbs and w.isalpha()}
    return out


def said_template(result: Any) -> str:
    """The template a hassil result matched, with slots by argument name ("{shopping_list_item:item}" -> "{item}")."""
    sentence = result.intent_sentence.text if result.intent_sentence is not None else ""
    out: list[str] = []
    name: list[str] = []
    depth = 0
    for ch in sentence:  # "{shopping_list_item:item}" -> "{item}"
        if ch == "{":
            depth, name = 1, []
            out.append("{")
            continue
        if depth and ch == ":":
            name = []
            continue
        if depth and ch == "}":
            depth = 0
            out.append("".join(name) + "}")
            continue
        (name if depth else out).append(ch)
    return "".join(out)


