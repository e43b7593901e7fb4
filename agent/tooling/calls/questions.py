"""A question is never turned into a write: which requests read as questions, which tools only read.

A request reads as a question when it ends in "?" or opens with a question word ("is milk on the
list", "so what's left", "tell me if the timer is done"), unless it opens as a polite command
("please add bread?", "can you add milk"). A tool only reads when its name or its description says
so (``get_shopping_list``, ``timer_status``, "Tells the time. Changes nothing."). The model rounds
refuse a call to a tool that writes when the request reads as a question and a tool that reads is
offered; the ranked path of the llama.cpp engine applies the same rule before it scores the tools.

The words are data (``questions.yaml`` beside this file, loaded once); matching them is plain string
work: a phrase matches where the text holds it and a word boundary follows (the end of the text or a
character that is not a letter, digit or ``_``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from hearth.tooling.calls.render import fn_schema

WORDS_FILE = Path(__file__).with_name("questions.yaml")


@dataclass(frozen=True)
class QuestionWords:
    """The word lists of ``questions.yaml``, each a tuple of lower-case phrases."""

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

    @classmethod
    def load(cls, path: Path = WORDS_FILE) -> QuestionWords:
        """The lists of a words file (every field of this class, each a list of strings)."""
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls(**{f.name: tuple(str(w) for w in data[f.name]) for f in fields(cls)})


WORDS = QuestionWords.load()


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
    """Whether a lower-case request opens as a polite command ("please ...", "can you add ..."), not a
    question ("can you tell me if ..."); after the addressee only what follows at once counts."""
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


def is_question(text: str) -> bool:
    """Whether a request reads as a question (to be answered, never turned into a write)."""
    t = text.strip()
    if not t:
        return False
    low = t.lower()
    if t.endswith("?"):
        return not is_polite(low)
    starts = [0]
    if (after := _word_then_space(low, 0, WORDS.question_lead_ins)) is not None:
        starts.append(after)
    opens = any(_phrase_at(low, i, WORDS.question_openers) is not None for i in starts)
    return opens and not is_polite(low)


def is_read_tool(tool: dict[str, Any]) -> bool:
    """Whether a tool (its schema) only reads: its name or its description says so."""
    fn = fn_schema(tool)
    name = fn["name"]
    if any(name == w or name.startswith(w + "_") for w in WORDS.read_name_starts) \
            or any(name.endswith("_" + w) for w in WORDS.read_name_ends):
        return True
    description = (fn.get("description") or "").strip().lower()
    return _phrase_at(description, 0, WORDS.read_description_starts) is not None \
        or any(_says(description, p) for p in WORDS.read_description_says)


def writes_for_a_question(request: str, tool: dict[str, Any] | None, offered: list[dict[str, Any]]) -> bool:
    """Whether a call to ``tool`` would turn the question ``request`` into a write: the request reads
    as a question, the tool does not only read, and some offered tool does (with none that reads,
    the question has no other way to be answered and the call is left alone, as the ranker does)."""
    if tool is None or is_read_tool(tool) or not is_question(request):
        return False
    return any(is_read_tool(t) for t in offered)
