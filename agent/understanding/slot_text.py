"""The text of a wildcard slot: what is no part of the thing it names.

A slot's words may end in words that name nothing ("how long is left on it now": "it") or a short place
("the sugar at the shop"), and a thing may be pointed at rather than named ("the thing jess mentioned").
The words are the language's (``matching.yaml``: ``slot_tails``, ``slot_places``, ``vague_things``).
"""

from __future__ import annotations

# a place after a thing is short ("at the shop", "for grandad's tea")
MAX_PLACE_WORDS = 3


def without_tail(value: str, tails: frozenset[str]) -> str:
    """A slot's text without words after it that name nothing ("it now" -> "it"); never emptied."""
    words = value.split()
    while len(words) > 1:
        n = next((n for n in (3, 2, 1) if len(words) > n and " ".join(words[-n:]) in tails), 0)
        if not n:
            break
        words = words[:-n]
    return " ".join(words)


def without_description(value: str, mine: dict[str, frozenset[str]]) -> str:
    """A slot's text without a description of which one after the thing ("popsicles the red ones" ->
    "popsicles"): ``description_starts`` ... ``description_ends``, at most ``MAX_PLACE_WORDS`` words."""
    words = value.split()
    if len(words) < 3 or words[-1] not in mine["description_ends"]:
        return value
    for i in range(max(1, len(words) - MAX_PLACE_WORDS), len(words) - 1):
        if words[i] in mine["description_starts"] and words[i - 1] not in mine["function_words"]:
            return " ".join(words[:i])
    return value


def without_place(value: str, places: frozenset[str]) -> str:
    """A slot's text without a short place after it ("the sugar at the shop" -> "the sugar")."""
    words = value.split()
    for i in range(1, len(words)):
        for n in (2, 1):
            if " ".join(words[i:i + n]) in places and 0 < len(words) - i - n <= MAX_PLACE_WORDS:
                return " ".join(words[:i])
    return value


def named(words: list[str], mine: dict[str, frozenset[str]]) -> list[str]:
    """A thing's words without the articles and pointing words before it ("the", "those", "some")."""
    skip = mine["function_words"] | mine["pronouns"]
    k = 0
    while k < len(words) - 1 and words[k] in skip:
        k += 1
    return words[k:]


def pointed_at(words: list[str], mine: dict[str, frozenset[str]]) -> bool:
    """The thing is pointed at, not named: its first word is a vague noun ("the thing jess mentioned", "the
    one in the blue packet"); "one red onion", with no word pointing before it, is a count."""
    from hearth.understanding.numbers import read_number
    rest = named(words, mine)
    if len(rest) == 1 and len(words) > 1 and rest[0] in mine["vague_alone"]:
        return True  # "her usual", "the regular": no name
    if not rest or rest[0] not in mine["vague_things"]:
        return False
    return not (len(rest) == len(words) and len(rest) > 1 and read_number(rest[0]) is not None)


def aside(value: str, seams: frozenset[str]) -> bool:
    """A write's wildcard that is no argument ("for the chin chin") holds a few words and no seam."""
    words = value.split()
    return len(words) <= MAX_PLACE_WORDS and not set(words) & seams
