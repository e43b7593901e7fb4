"""Cleaning text that arrives from outside (a client, a model, a peer) before it is stored or said.

Control characters (C0 and C1: NUL, escape sequences...), invisible formatting characters (Unicode
category Cf: bidi overrides such as U+202E, zero-width spaces and joiners, the BOM) and lone
surrogates are removed, so ``"milk\\x00"`` and ``"mi\\u200blk"`` are the same item as ``"milk"`` and a
right-to-left override cannot reorder what a person reads. Tabs and line breaks are kept in
:func:`clean_text` (a reply may have lines) and become spaces in :func:`clean_name`.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from typing import Any

_KEEP = frozenset("\t\n\r")
_DROP = frozenset(("Cc", "Cf", "Cs"))
_SPACES = re.compile(r"[\t\n\r ]+")


def clean_text(text: str) -> str:
    """``text`` without control, invisible formatting or surrogate characters (tabs and line breaks stay)."""
    if text.isprintable():  # the common case: nothing to drop (printable excludes every C* category)
        return text
    return "".join(c for c in text if c in _KEEP or unicodedata.category(c) not in _DROP)


def clean_name(text: str) -> str:
    """A one-line value to store (an item, a timer's name): cleaned, NFC-normalised, runs of
    whitespace made one space, trimmed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", clean_text(text))).strip()


def clean_arguments(value: Any) -> Any:
    """Every string value in a tool call's arguments (nested in lists and objects too) cleaned and
    NFC-normalised, trimmed; keys and other values unchanged (the schema checks the keys)."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", clean_text(value)).strip()
    if isinstance(value, dict):
        return {k: clean_arguments(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_arguments(v) for v in value]
    return value


@functools.cache
def visible_pattern() -> str:
    """A regular expression (Python, ECMA and Rust alike) matching text with at least one character
    that :func:`clean_text` keeps and that is not whitespace: a message that is not empty once cleaned."""
    ranges: list[list[int]] = []
    for c in range(sys.maxunicode + 1):
        if 0xD800 <= c <= 0xDFFF:  # surrogates cannot be written in a pattern (JSON refuses them anyway)
            continue
        if unicodedata.category(chr(c)) in ("Cc", "Cf"):
            if ranges and ranges[-1][1] == c - 1:
                ranges[-1][1] = c
            else:
                ranges.append([c, c])
    body = "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges)
    return "[^\\s" + body + "]"  # control and format characters are never \\, ], ^ or -
