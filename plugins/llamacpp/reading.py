"""How the ranked path reads a request and a tool: whether a request is a question, whether a tool
only reads, the word a request opens with, and the words a tool's example templates open with.

The words are data (``reading.yaml`` beside this file, loaded once); matching them is plain string
work: a phrase matches where the text holds it and a word boundary follows (what a regex's ``\\b``
says: the end of the text or a character that is not a letter, digit or ``_``).
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hearth.kit import fn_schema

WORDS_FILE = Path(__file__).with_name("reading.yaml")


@dataclass(frozen=True)
class Words:
    """The word lists of ``reading.yaml``, each a tuple of lower-case phrases."""

    question_lead_ins: tuple[str, ...]
    question_openers: tuple[str, ...]
    polite_openers: tuple[str, ...]
    polite_modals: tuple[str, ...]
    polite_addressees: tuple[str, ...]
    polite_asks: tuple[str, ...]
    read_name_starts: tuple[str, ...]
    read_name_ends: tuple[str, ...]
    read_description_starts: tuple[str, ...]
    read_description_says: tuple[str, ...]
    fillers: tuple[str, ...]

    @classmethod
    def load(cls, path: Path = WORDS_FILE) -> Words:
        """The lists of a words file (every key of this class, each a list of strings)."""
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls(**{k: tuple(str(w) for w in data[k]) for k in cls.__dataclass_fields__})


WORDS = Words.load()
_TEMPLATE_WORD = frozenset(string.ascii_letters + "'")


def _is_word_char(c: str) -> bool:
    return c.isalnum() or c == "_"


def _spaces(text: str, i: int) -> int:
    """The index after the run of whitespace at ``i`` (``i`` itself when there is none)."""
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _phrase_at(text: str, i: int, phrases: tuple[str, ...]) -> int | None:
    """Where the first of ``phrases`` that ``text`` holds at ``i`` as whole words ends (None: none)."""
    for p in phrases:
        end = i + len(p)
        if text.startswith(p, i) and (end == len(text) or not _is_word_char(text[end])):
            return end
    return None


def _says(text: str, phrase: str) -> bool:
    """Whether ``text`` holds ``phrase`` anywhere as whole words."""
    at = text.find(phrase)
    while at != -1:
        if (at == 0 or not _is_word_char(text[at - 1])) and _phrase_at(text, at, (phrase,)) is not None:
            return True
        at = text.find(phrase, at + 1)
    return False


def _word_then_space(text: str, i: int, words: tuple[str, ...]) -> int | None:
    """The index after one of ``words`` at ``i`` and the whitespace that must follow it (None: none)."""
    for w in words:
        if text.startswith(w, i):
            after = _spaces(text, i + len(w))
            if after > i + len(w):
                return after
    return None


def is_polite(text: str) -> bool:
    """Whether a lower-case request opens as a polite command ("please ...", "can you add ..."), not
    a question ("can you tell me if ..."). After the addressee only what follows at once counts:
    "can you please tell me ..." stays polite."""
    if _phrase_at(text, 0, WORDS.polite_openers) is not None:
        return True
    after_modal = _word_then_space(text, 0, WORDS.polite_modals)
    if after_modal is None:
        return False
    end = _phrase_at(text, after_modal, WORDS.polite_addressees)
    if end is None:
        return False
    ask = _spaces(text, end)
    return ask == end or _phrase_at(text, ask, WORDS.polite_asks) is None


def opens_as_question(text: str) -> bool:
    """Whether a lower-case request opens with a question word, after at most one lead-in."""
    starts = [0]
    if (after := _word_then_space(text, 0, WORDS.question_lead_ins)) is not None:
        starts.append(after)
    return any(_phrase_at(text, i, WORDS.question_openers) is not None for i in starts)


def is_question(text: str) -> bool:
    """Whether a request reads as a question (to be answered, never turned into a write)."""
    t = text.strip()
    if not t:
        return False
    low = t.lower()
    if t.endswith("?"):
        return not is_polite(low)
    return opens_as_question(low) and not is_polite(low)


def is_read_tool(tool: dict[str, Any]) -> bool:
    """Whether a tool only reads (its name or its description says so)."""
    fn = fn_schema(tool)
    name = fn["name"]
    if any(name == w or name.startswith(w + "_") for w in WORDS.read_name_starts) \
            or any(name.endswith("_" + w) for w in WORDS.read_name_ends):
        return True
    description = (fn.get("description") or "").strip().lower()
    return _phrase_at(description, 0, WORDS.read_description_starts) is not None \
        or any(_says(description, p) for p in WORDS.read_description_says)


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
