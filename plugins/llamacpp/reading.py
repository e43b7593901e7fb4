"""How the ranked path reads a request and a tool: the word a request opens with, and the words a
tool's example templates open with. Whether a request is a question and whether a tool only reads is
the core's rule, ``hearth.kit.is_question`` and ``is_read_tool``: one rule for the ranker and the
model rounds.

The fillers are data (``reading.yaml`` beside this file, loaded once); matching them is plain string
work.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hearth.kit import is_question, is_read_tool

__all__ = ["WORDS", "first_word", "is_question", "is_read_tool", "lead_words"]

WORDS_FILE = Path(__file__).with_name("reading.yaml")


@dataclass(frozen=True)
class Words:
    """The word lists of ``reading.yaml``, each a tuple of lower-case phrases."""

    fillers: tuple[str, ...]

    @classmethod
    def load(cls, path: Path = WORDS_FILE) -> Words:
        """The lists of a words file (every key of this class, each a list of strings)."""
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls(**{k: tuple(str(w) for w in data[k]) for k in cls.__dataclass_fields__})


WORDS = Words.load()
_TEMPLATE_WORD = frozenset(string.ascii_letters + "'")


def _spaces(text: str, i: int) -> int:
    """The index after the run of whitespace at ``i`` (``i`` itself when there is none)."""
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def first_word(text: str) -> str:
    """The request's first word once polite openings are dropped, lower case."""
    low = text.strip().lower()
    i = 0
    while True:
        for filler in WORDS.fillers:
            end = i + len(filler)
            if not low.startswith(filler, i):
                continue
            if low[end:end + 1] == ",":
                end += 1
            if (after := _spaces(low, end)) > end:
                i = after
                break
        else:
            break
    words = low[i:].split()
    return words[0].strip(",.!?") if words else ""


def _template_opening(template: str) -> list[str] | None:
    """The options a template opens with: ``(put|stick) {item} ...`` -> put, stick; ``add {item}`` ->
    add; None when it opens with neither a group nor a word."""
    t = template.lstrip()
    if t.startswith("("):
        close = next((j for j, c in enumerate(t[1:], 1) if c in "()"), None)
        return t[1:close].split("|") if close is not None and t[close] == ")" else None
    n = next((j for j, c in enumerate(t) if c not in _TEMPLATE_WORD), len(t))
    return [t[:n]] if n else None


def lead_words(tool: dict[str, Any]) -> set[str]:
    """The words a tool's example templates can open with: ``(put|stick) {item} on ...`` -> put, stick."""
    found: set[str] = set()
    for tpl in tool.get("examples") or []:
        options = _template_opening(tpl)
        if options is None:
            continue
        found |= {o.split()[0].lower() for o in options if o.split() and not o.startswith(("{", "["))}
    return found
