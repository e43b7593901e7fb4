"""Slots read into arguments: each slot as its argument's type ("a dozen" is 12 for an integer), and
a slot naming several things ("milk, eggs and two loaves of bread") as one call per thing."""

from __future__ import annotations

import re
from typing import Any

from hearth.tooling.tool import Tool
from hearth.understanding.language import matching_words

# an amount written after a thing: "x3", "3x" (notation, not words of a language)
_TIMES = re.compile(r"x(\d+)|(\d+)x")


def typed_arguments(tool: Tool, slots: dict[str, Any]) -> dict[str, Any]:
    """The slots as the tool's arguments, each of its declared type; slots that are no argument dropped."""
    props = tool.parameters["properties"]
    out: dict[str, Any] = {}
    for name, value in slots.items():
        schema = props.get(name)
        if schema is None:
            continue
        kinds = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", []) if isinstance(s, dict)}
        if "string" in kinds and not isinstance(value, str) and not isinstance(value, bool):
            value = str(value)
        elif ("integer" in kinds or "number" in kinds) and isinstance(value, str):
            from hearth.understanding import read_number, words
            number = read_number(value)
            if number is None and value.split()[-1:] and value.split()[-1] in words().of_words:
                number = read_number(" ".join(value.split()[:-1]))  # "a couple of", "three of"
            if number is None:
                raise ValueError(f"{name!r} is no number: {value!r}")
            value = int(number) if "integer" in kinds and float(number).is_integer() else number
        out[name] = value
    return out


def split_and(text: str, language: str = "en") -> list[str]:
    """``"milk and eggs and two loaves of bread"`` -> its pieces (commas are "and" once normalised)."""
    joiners = matching_words(language)["list_joiners"]
    pieces: list[str] = []
    current: list[str] = []
    for word in text.split():
        if word in joiners and current:
            pieces.append(" ".join(current))
            current = []
        else:
            current.append(word)
    if current:
        pieces.append(" ".join(current))
    return pieces or [text]


def split_things(text: str, language: str = "en", whole: frozenset[str] = frozenset()) -> list[str]:
    """The things a list names: ``"salt and pepper chips, coffee filters paper towels and dish soap"``
    -> salt and pepper chips, coffee filters, paper towels, dish soap. Names in ``whole`` keep their
    "and" and their plurals; in a list, a plural noun followed by more words ends a thing."""
    merged: list[str] = []
    for piece in (part for said in split_and(text, language) for part in amount_split(said, language)):
        if merged and any(_spans(merged[-1], piece, w) for w in whole):
            merged[-1] = f"{merged[-1]} and {piece}"
        else:
            merged.append(piece)
    if len(merged) < 2:
        return merged
    return [thing for piece in merged for thing in _run_on(piece, language, whole)]


def amount_alone(text: str) -> float | None:
    """The amount ``text`` says when it says nothing else ("a dozen" 12, "3", "two packs" 2), else None."""
    from hearth.understanding import words as words_of
    from hearth.understanding.numbers import read_number, read_quantity
    said = text.split()
    if len(said) > 2 and said[-2] in words_of().of_words and said[-1] in matching_words()["pronouns"]:
        text = " ".join(said[:-2])  # "four of them", "six of em": the amount of a thing said before
    amount, unit = read_quantity(text)
    return amount if amount is not None and unit in words_of().quantity_units else read_number(text)


def amount_split(piece: str, language: str) -> list[str]:
    """A piece cut where an amount begins a new thing, said without "and" or a comma: "three onions a
    bulb of garlic" -> two, "eggs a dozen" -> "eggs", "a dozen" (an amount alone: the thing's before it).
    An amount begins a thing when a measure follows it ("a bulb of", "two tins of", "a dozen"): a bare
    number inside a name stays ("size 4 nappies")."""
    from hearth.understanding.numbers import read_number, read_quantity
    words = piece.split()
    mine = matching_words(language)
    for i in range(1, len(words)):
        before, tail = words[i - 1], " ".join(words[i:])
        # "cilantro too two bunches": a word that ends a thing ("too", "as well") before its amount
        told = i > 1 and before in mine["slot_tails"] and words[i - 2] not in mine["function_words"]
        if not told and (before in mine["function_words"] or before in mine["amount_hedges"] or read_number(before) is not None):
            continue
        amount, thing = read_quantity(tail)
        alone = amount_alone(tail)
        measured = amount is not None and len(thing.split()) <= len(words[i:]) - 2  # "a bulb of", "a dozen"
        if alone is not None or (measured and thing):
            return [" ".join(words[:i - 1 if told else i]), *amount_split(tail, language)]
    return [piece]


def _loose(piece: str, language: str) -> str:
    """A thing without the hedge before its amount ("like a dozen eggs" -> "a dozen eggs") and with a
    number word a speech recognizer misheard at its start ("for lemons" -> "four lemons")."""
    from hearth.understanding.language import number_homophones
    from hearth.understanding.numbers import read_quantity
    words = piece.split()
    hedges = matching_words(language)["amount_hedges"]
    for n in (2, 1):
        if len(words) > n and " ".join(words[:n]) in hedges and read_quantity(" ".join(words[n:]))[0] is not None:
            return " ".join(words[n:])
    homophones = number_homophones(language)
    if len(words) > 1 and words[0] in homophones and words[1] not in matching_words(language)["function_words"]:
        return " ".join([homophones[words[0]], *words[1:]])
    return piece


def _trimmed(piece: str, language: str) -> str:
    """A thing without a joining word before it ("also eggs") or a function word after it ("bread oh")."""
    mine = matching_words(language)
    words = piece.split()
    while len(words) > 1 and (words[0] in mine["seams"] or words[0] in mine["pronouns"]):
        words = words[1:]  # "also eggs", "them bananas"
    while len(words) > 1 and words[-1] in mine["function_words"]:
        words = words[:-1]
    return " ".join(words)


def _same(a: str, b: str) -> bool:
    """Two names of one thing, a plural "s" aside ("eggs", "egg")."""
    def key(t: str) -> str:
        return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in t.lower().split())
    return key(a) == key(b)


def _spans(left: str, right: str, name: str) -> bool:
    """Whether ``name`` ("salt and pepper") runs across the "and" between ``left`` and ``right``."""
    head, sep, tail = name.partition(" and ")
    return bool(sep) and (left == head or left.endswith(f" {head}")) and (right == tail or right.startswith(f"{tail} "))


def _run_on(piece: str, language: str, whole: frozenset[str]) -> list[str]:
    from hearth.understanding.numbers import read_quantity
    amount, thing = read_quantity(piece)
    if amount is not None:  # "2 bags of frozen peas": an amount of one thing; "a dozen eggs heavy cream":
        said = piece.split()  # the amount's thing, then another
        head = " ".join(said[:len(said) - len(thing.split())])
        rest = _run_on(thing, language, whole) if thing and read_quantity(thing)[0] is None else [thing]
        return [f"{head} {rest[0]}".strip(), *rest[1:]]
    words_ = matching_words(language)
    ends, not_ends = tuple(words_["plural_suffix"]), tuple(words_["not_plural_suffix"])
    out: list[str] = []
    current: list[str] = []
    words = piece.split()
    for i, word in enumerate(words):
        current.append(word)
        plural = len(word) > 3 and word.endswith(ends) and not word.endswith(not_ends) and word.isalpha()
        nxt = " ".join(words[i:i + 2])
        if (plural and i + 1 < len(words) and words[i + 1] not in words_["function_words"] and nxt not in whole
                and " ".join(current) not in whole):
            out.append(" ".join(current))
            current = []
    if current:
        out.append(" ".join(current))
    return out


def each_thing(arguments: dict[str, Any], slot: str, count: Any, starters: set[str],
               language: str = "en", whole: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """One call per thing the ``slot`` names, each thing's leading amount read into ``count``."""
    from hearth.understanding.numbers import read_quantity
    if str(arguments[slot]).strip().lower() in matching_words(language)["pronouns"]:
        return [dict(arguments)]  # "both of those": what the dialogue or the sentence named, read there
    pieces = split_things(str(arguments[slot]), language, whole)
    if len(pieces) > 1 and any(p.split()[0] in starters for p in pieces[1:]):
        raise ValueError("two requests, not two things")
    from hearth.understanding import words as words_of
    calls: list[dict[str, Any]] = []
    for said in pieces:
        piece = _loose(_trimmed(said, language), language)
        alone = amount_alone(piece)  # "the eggs, one dozen", "pasta, 2 packs"
        times = _TIMES.fullmatch(piece)
        if times is not None:  # "onions x3, garlic": the amount written after the thing, split from it
            alone = int(times.group(1) or times.group(2))
        amount, thing = read_quantity(piece)
        if (piece != said and amount is not None and calls and count and _same(thing, str(calls[-1][slot]))):
            calls[-1][str(count)] = int(amount)  # "eggs like a dozen eggs": the same thing, its amount said again
            continue
        if alone is not None and (not calls or not count or str(count) in calls[-1]):
            raise ValueError(f"{piece!r} is an amount of no thing")  # "add one more", "... eggs ... had three"
        if alone is not None and calls and count and str(count) not in calls[-1] and float(alone).is_integer():
            calls[-1][str(count)] = int(alone)  # "the eggs, one dozen": the amount of the thing before it
            continue
        times = _TIMES.fullmatch(piece.split()[-1]) if len(piece.split()) > 1 else None
        if times is not None and count:  # "onions x3", "onions 3x": the amount written after the thing
            calls.append({**arguments, slot: " ".join(piece.split()[:-1]), str(count): int(times.group(1) or times.group(2))})
            continue
        amount, thing = read_quantity(piece)
        mine = matching_words(language)
        if not thing.strip() or thing.split()[0] in mine["not_a_slot_start"] or thing.strip() in words_of().vague \
                or thing.strip() in mine["vague_things"]:
            raise ValueError(f"{piece!r} names no thing")  # "got some at the hospital", "another one"
        call = {**arguments, slot: thing.strip()}
        if amount is not None and count:
            call[str(count)] = int(amount)
        calls.append(call)
    return calls
