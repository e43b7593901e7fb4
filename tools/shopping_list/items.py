"""An item's name and key: the name as given, less leading words that are not part of it ("some milk",
"the eggs"), and the key that matches an item case- and plural-tolerantly ("Bread", "bread" and
"breads" are one item). An item is one item: nothing here splits a text into several or reads a
quantity out of it (the understanding layer does that before calling a tool).
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

from hearth import ToolError

_SENTENCES = Path(__file__).with_name("sentences")


@functools.cache
def word_list(name: str, language: str = "en") -> frozenset[str]:
    """A word list of the language's sentence file that no sentence uses, read as data beside the
    sentences: ``shop_leading_words``, ``shop_pointing_words``."""
    data = yaml.safe_load((_SENTENCES / f"{language}.yaml").read_text(encoding="utf-8")) or {}
    values = ((data.get("lists") or {}).get(name) or {}).get("values") or []
    return frozenset(str(w).lower() for w in values)


def _leading_words() -> frozenset[str]:
    """The words dropped from the front of an item's name."""
    return word_list("shop_leading_words")


def clean_name(item: object) -> str:
    """``"  the  olive oil "`` -> ``"olive oil"``: whitespace collapsed and leading articles dropped.

    Raises ``ToolError("item_missing")`` for a blank item (or one that is only articles).
    """
    if not isinstance(item, str):
        raise ToolError("Which item?", "item_missing")
    words = item.split()
    leading = _leading_words()
    while len(words) > 1 and words[0].lower() in leading:
        words = words[1:]
    if not words or words[0].lower() in leading:
        raise ToolError("Which item?", "item_missing")
    return " ".join(words)


def singular(word: str) -> str:
    """A plural-insensitive key for one word: both "cookie" and "cookies" give "cooky".

    Only consistency matters (the key is never shown), so the rules fold both forms of a word to
    one spelling rather than always producing the true singular.
    """
    w = word
    if len(w) > 3 and not w.endswith(("ss", "us", "is")):
        for plural, single in (("ies", "y"), ("ves", "f"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"),
                               ("shes", "sh"), ("oes", "o"), ("s", "")):
            if w.endswith(plural):
                w = w[: -len(plural)] + single
                break
    for ending, folded in (("ie", "y"), ("fe", "f"), ("ve", "f"), ("oe", "o"), ("che", "ch")):
        if w.endswith(ending):
            return w[: -len(ending)] + folded
    return w


def item_key(name: str) -> str:
    """Case- and plural-insensitive key: the folded last word, lower-case."""
    words = name.lower().split()
    if not words:
        return ""
    return " ".join(words[:-1] + [singular(words[-1])])


def split_quantity(text: str) -> tuple[str, int | None]:
    """``"2 loaves of bread"`` -> ``("bread", 2)``: the core's ``read_quantity`` in this package's old order.

    Kept for the benchmarks and tests that compare model calls; the tools never call it.
    """
    from hearth.kit import read_quantity  # the understanding layer's reader (issue 24)

    quantity, name = read_quantity(text)
    return name, quantity
