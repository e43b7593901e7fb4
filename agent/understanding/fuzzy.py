"""Near-miss words put right: a misheard "shopping lift" is the shopping list, a typed "timmer" the timer.

``correct(words, vocabulary)`` replaces each word the vocabulary lacks by its closest vocabulary word, when it
is close enough (rapidfuzz's ``fuzz.ratio`` at least 75), long enough (4+ letters) and starts with the same
letter; conservative on purpose, for the fuzzy stage that runs after a strict match failed.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Collection, Mapping
from typing import Any

from rapidfuzz import fuzz, process

MIN_SCORE = 75.0
MIN_LENGTH = 4


def _by_letter(vocabulary: Collection[str]) -> dict[str, list[str]]:
    """The vocabulary's words of ``MIN_LENGTH - 1``+ letters by first letter, sorted (ties go the same way)."""
    buckets: dict[str, list[str]] = {}
    for word in sorted(vocabulary):
        if len(word) >= MIN_LENGTH - 1:
            buckets.setdefault(word[0], []).append(word)
    return buckets


_by_letter_cached = functools.lru_cache(maxsize=16)(_by_letter)
# a mutable vocabulary's index, by id: (a weak reference to it, its size then, the index)
_indexed: dict[int, tuple[weakref.ref[Any], int, dict[str, list[str]]]] = {}


def _buckets(vocabulary: Collection[str]) -> Mapping[str, list[str]]:
    """:func:`_by_letter`, cached: for a frozenset by value; for a set by identity, rebuilt when its size
    changed (a vocabulary is built once and then read; one changed in place at the same size is not seen)."""
    if isinstance(vocabulary, frozenset):
        return _by_letter_cached(vocabulary)
    hit = _indexed.get(id(vocabulary))
    if hit is not None and hit[0]() is vocabulary and hit[1] == len(vocabulary):
        return hit[2]
    buckets = _by_letter(vocabulary)
    try:
        ref = weakref.ref(vocabulary)
    except TypeError:  # a list or dict keys: no weak references, no cache
        return buckets
    if len(_indexed) >= 16:
        _indexed.clear()
    _indexed[id(vocabulary)] = (ref, len(vocabulary), buckets)
    return buckets


def closest(word: str, vocabulary: Collection[str], score: float = MIN_SCORE) -> str | None:
    """The vocabulary word closest to ``word`` that starts with the same letter and scores ``score``+, or None."""
    choices = _buckets(vocabulary).get(word[:1])
    if not choices:
        return None
    best = process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=score)
    return best[0] if best is not None else None


def correct(words: list[str], vocabulary: Collection[str], keep: Collection[str] = frozenset()) -> list[str]:
    """``words`` with each near-miss replaced by its vocabulary word ("lift" -> "list", "timmer" -> "timer",
    "shoping" -> "shopping"): a word not in ``vocabulary`` nor ``keep``, of 4+ letters (not digits), whose
    closest vocabulary word with the same first letter scores at least 75 with ``fuzz.ratio``. Other words stay.
    The vocabulary's index is built once per vocabulary (see :func:`_buckets`)."""
    out = list(words)
    for i, word in enumerate(words):
        if len(word) < MIN_LENGTH or word in vocabulary or word in keep or not word.replace("'", "").isalpha():
            continue
        near = closest(word, vocabulary)
        if near is not None:
            out[i] = near
    return out


def _all_words(vocabulary: Collection[str]) -> list[str]:
    """The vocabulary's words long enough to correct to, from the same index as :func:`closest`."""
    return [w for bucket in _buckets(vocabulary).values() for w in bucket]


def correct_in_context(words: list[str], vocabulary: Collection[str], pairs: Collection[tuple[str, str]],
                       keep: Collection[str] = frozenset()) -> list[str]:
    """:func:`correct`, but a near-miss is read as a vocabulary word only where that word makes a pair
    the grammar says with a neighbour ("my shopping lift": "shopping list" is such a pair, "shopping
    left" is not; "add milk" stays, as "add mail" is none): the words of a slot keep their own spelling."""
    words = _merged(words, vocabulary, pairs)
    out = list(words)
    for i, word in enumerate(words):
        if len(word) < MIN_LENGTH or word in keep or not word.replace("'", "").isalpha():
            continue
        before = out[i - 1] if i else None
        after = words[i + 1] if i + 1 < len(words) else None
        if word in vocabulary and ((before, word) in pairs or (word, after) in pairs or before is None):
            continue  # a word of the grammar where the grammar says it ("what time is it")
        choices = _all_words(vocabulary)  # any first letter: the pair checked below keeps it safe ("fist")
        for near, _, _ in process.extract(word, choices, scorer=fuzz.ratio, score_cutoff=MIN_SCORE, limit=5):
            if near != word and ((before, near) in pairs or (near, after) in pairs):
                out[i] = near  # "shopping lift" -> "shopping list", "a pasta time for 12 minutes" -> "timer"
                break
    return out


def _merged(words: list[str], vocabulary: Collection[str], pairs: Collection[tuple[str, str]]) -> list[str]:
    """Two words a speech recognizer split out of one ("a time or for ten minutes" -> "a timer for ten
    minutes"): joined when the joined letters are close to a vocabulary word that makes a pair the grammar
    says with the word before or after them."""
    out = list(words)
    i = 0
    while i + 1 < len(out):
        first, second = out[i], out[i + 1]
        joined = first + second
        if (first in vocabulary and second in vocabulary and (first, second) in pairs) or not joined.isalpha() \
                or len(joined) < MIN_LENGTH + 1:
            i += 1
            continue
        before = out[i - 1] if i else None
        after = out[i + 2] if i + 2 < len(out) else None
        near = closest(joined, vocabulary, score=85.0)
        if near is not None and ((before, near) in pairs or (near, after) in pairs):
            out[i:i + 2] = [near]
        i += 1
    return out


def heard_as(words: list[str], vocabulary: Collection[str], pairs: Collection[tuple[str, str]],
             language: str = "en") -> tuple[list[str], list[str]]:
    """The words as said and as the fuzzy stage reads them: near-misses corrected in context
    (:func:`correct_in_context`), never a number word ("three" is no misheard "the"); a misheard opening
    verb read as one ("at cookies to the list", "sat a timer": the language's ``opening_homophones``); and
    what then reads as a filler left out of both ("plese add" -> "add")."""
    from hearth.understanding.language import opening_homophones
    from hearth.understanding.normalise import normalise
    from hearth.understanding.numbers import read_number
    fixed = correct_in_context(words, vocabulary, pairs)
    if len(fixed) == len(words):
        fixed = [w if read_number(w, language) is not None else f for w, f in zip(words, fixed, strict=True)]
    opening = opening_homophones(language).get(fixed[0]) if fixed else None
    if opening is not None and len(fixed) > 2:
        fixed = [opening, *fixed[1:]]
    if fixed == words:
        return words, fixed
    read = normalise(" ".join(fixed), lang=language).split()
    dropped = len(fixed) - len(read)  # what normalising took away, from the front, the same in both
    if 0 < dropped and len(fixed) == len(words) and fixed[dropped:] == read:
        return words[dropped:], read
    return words, fixed
