"""The timers' word lists: lists of ``sentences/<language>.yaml`` that the code reads too (which
words name no timer, which say no duration), loaded once per list."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

SENTENCES = Path(__file__).parent / "sentences"


@cache
def _sentence_file(language: str) -> dict:
    return yaml.safe_load((SENTENCES / f"{language}.yaml").read_text(encoding="utf-8"))


@cache
def word_list(name: str, language: str = "en") -> frozenset[str]:
    """The values of the list ``name`` in the language's sentence file, as a set of words."""
    return frozenset(str(v) for v in _sentence_file(language)["lists"][name]["values"])
