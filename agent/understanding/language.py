"""A language's words for the core's reader: ``words("en")`` loads ``lang/en/words.yaml`` once.

The normaliser and the number, quantity, duration and clock readers are written without a word of any
language in them; everything they recognise (fillers, repair markers, number words, units, clock words)
comes from here, as sets and lookup tables ready for token logic.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

LANG_DIR = Path(__file__).with_name("lang")

Phrase = tuple[str, ...]
PhraseIndex = Mapping[str, tuple[Phrase, ...]]


@dataclass(frozen=True)
class Guard:
    """The words around a weak repair marker that make it an ordinary word ("there's no milk")."""

    not_before: frozenset[str]
    not_after: frozenset[str]


@dataclass(frozen=True)
class Words:
    """One language's words, loaded from its ``words.yaml`` (see that file for what each holds).

    Phrases of several words are tuples of words; a ``PhraseIndex`` maps a phrase's first word (last word
    for ``tail_fillers``) to its phrases, longest first, so a reader tries them at a position by one lookup.
    """

    language: str
    hesitations: frozenset[str]
    final_particles: frozenset[str]
    hesitation_phrases: PhraseIndex
    expansions: Mapping[str, tuple[str, ...]]
    call_words: frozenset[str]
    symbols: Mapping[str, str]
    and_word: str
    owned_joins: frozenset[str]
    owned_nouns: frozenset[Phrase]
    owned_as: str
    no_and: frozenset[str]
    lead_fillers: PhraseIndex
    question_leads: PhraseIndex
    question_words: frozenset[str]
    tail_fillers: PhraseIndex
    answers: frozenset[str]
    kept_whole: frozenset[Phrase]
    markers: PhraseIndex
    strong_markers: frozenset[Phrase]
    repair_negations: frozenset[str]
    guards: Mapping[Phrase, Guard]
    starters: frozenset[str]
    ones: Mapping[str, int]
    tens: Mapping[str, int]
    scales: Mapping[str, int]
    articles: frozenset[str]
    counts: Mapping[str, int]
    multipliers: frozenset[str]
    fractions: Mapping[str, float]
    fraction_plurals: Mapping[str, float]
    number_and: str
    of_words: frozenset[str]
    vague: frozenset[str]
    more_words: frozenset[str]
    time_units: Mapping[str, int]
    ordinal_units: frozenset[str]
    duration_joiners: frozenset[str]
    quantity_units: frozenset[str]
    clock_lead: PhraseIndex
    clock_named: Mapping[Phrase, tuple[int, int]]
    clock_minutes: Mapping[str, int]
    clock_past: frozenset[str]
    clock_to: frozenset[str]
    minute_words: frozenset[str]
    oclock: frozenset[Phrase]
    clock_zero: frozenset[str]
    am: frozenset[Phrase]
    pm: frozenset[Phrase]
    days_relative: Mapping[Phrase, int]
    weekdays: Mapping[str, int]

    def is_number_word(self, word: str) -> bool:
        """Whether ``word`` is a number by itself: digits ("7", "2.5") or a number word ("seven", "dozen")."""
        if word[:1].isdigit():
            return word.replace(".", "", 1).replace(":", "", 1).isdigit()
        return (word in self.ones or word in self.tens or word in self.scales or word in self.counts
                or word in self.fractions)


def _strings(values: Any, where: str) -> list[str]:
    """A YAML list of words or phrases as strings; anything else (a bare ``no`` read as false) is an error."""
    out = []
    for value in values or ():
        if not isinstance(value, str):
            raise ValueError(f"words.yaml {where}: {value!r} is not a word (quote it)")
        out.append(" ".join(value.lower().split()))
    return out


def _phrases(values: Any, where: str) -> frozenset[Phrase]:
    """A YAML list of phrases as word tuples."""
    return frozenset(tuple(p.split()) for p in _strings(values, where))


def _index(values: Any, where: str, *, by_last: bool = False) -> dict[str, tuple[Phrase, ...]]:
    """Phrases keyed by their first (or last) word, longest first."""
    index: dict[str, list[Phrase]] = {}
    for phrase in _phrases(values, where):
        index.setdefault(phrase[-1] if by_last else phrase[0], []).append(phrase)
    return {k: tuple(sorted(v, key=lambda p: (-len(p), p))) for k, v in index.items()}


def _table(values: Any, kind: type = int) -> dict[str, Any]:
    """A YAML mapping with lower-case, single-spaced keys and values of ``kind``."""
    return {" ".join(str(k).lower().split()): kind(v) for k, v in (values or {}).items()}


def _guards(values: Any) -> dict[Phrase, Guard]:
    """``repair.guards``: each weak marker's :class:`Guard`."""
    return {tuple(str(marker).split()): Guard(frozenset(_strings(g.get("not_before"), "guards")),
                                              frozenset(_strings(g.get("not_after"), "guards")))
            for marker, g in (values or {}).items()}


def _build(language: str, d: dict[str, Any]) -> Words:
    """``Words`` from the parsed YAML of one language."""
    rep, num, clock, days = d.get("repair", {}), d.get("numbers", {}), d.get("times_of_day", {}), d.get("days", {})
    return Words(
        language=language,
        hesitations=frozenset(_strings(d.get("hesitations"), "hesitations")),
        final_particles=frozenset(_strings(d.get("final_particles"), "final_particles")),
        hesitation_phrases=_index(d.get("hesitation_phrases"), "hesitation_phrases"),
        expansions={k: tuple(str(v).split()) for k, v in _table(d.get("expansions"), str).items()},
        call_words=frozenset(_strings(d.get("call_words"), "call_words")),
        symbols=_table(d.get("symbols"), str),
        and_word=str(d.get("and", "and")),
        owned_joins=frozenset(_strings(d.get("owned_lists", {}).get("joins"), "owned_lists.joins")),
        owned_nouns=_phrases(d.get("owned_lists", {}).get("nouns"), "owned_lists.nouns"),
        owned_as=str(d.get("owned_lists", {}).get("as", "the")),
        no_and=frozenset(_strings(d.get("no_and"), "no_and")),
        lead_fillers=_index(d.get("lead_fillers"), "lead_fillers"),
        question_leads=_index(d.get("question_leads"), "question_leads"),
        question_words=frozenset(_strings(d.get("question_words"), "question_words")),
        tail_fillers=_index(d.get("tail_fillers"), "tail_fillers", by_last=True),
        answers=frozenset(_strings(d.get("answers"), "answers")),
        kept_whole=_phrases(d.get("kept_whole"), "kept_whole"),
        markers=_index(rep.get("markers"), "repair.markers"),
        strong_markers=_phrases(rep.get("strong"), "repair.strong"),
        repair_negations=frozenset(_strings(rep.get("negations"), "repair.negations")),
        guards=_guards(rep.get("guards")),
        starters=frozenset(_strings(d.get("starters"), "starters")),
        ones=_table(num.get("ones")),
        tens=_table(num.get("tens")),
        scales=_table(num.get("scales")),
        articles=frozenset(_strings(num.get("articles"), "numbers.articles")),
        counts=_table(num.get("counts")),
        multipliers=frozenset(_strings(num.get("multipliers"), "numbers.multipliers")),
        fractions=_table(num.get("fractions"), float),
        fraction_plurals=_table(num.get("fraction_plurals"), float),
        number_and=str(num.get("and", "and")),
        of_words=frozenset(_strings(num.get("of"), "numbers.of")),
        vague=frozenset(_strings(num.get("vague"), "numbers.vague")),
        more_words=frozenset(_strings(num.get("more"), "numbers.more")),
        time_units=_table(d.get("time_units")),
        ordinal_units=frozenset(_strings(d.get("ordinal_units"), "ordinal_units")),
        duration_joiners=frozenset(_strings(d.get("duration_joiners"), "duration_joiners")),
        quantity_units=frozenset(_strings(d.get("quantity_units"), "quantity_units")),
        clock_lead=_index(clock.get("lead"), "clock.lead"),
        clock_named={tuple(k.split()): (int(v[0]), int(v[1])) for k, v in _table(clock.get("named"), list).items()},
        clock_minutes=_table(clock.get("minutes")),
        clock_past=frozenset(_strings(clock.get("past"), "clock.past")),
        clock_to=frozenset(_strings(clock.get("to"), "clock.to")),
        minute_words=frozenset(_strings(clock.get("minute_words"), "clock.minute_words")),
        oclock=_phrases(clock.get("oclock"), "clock.oclock"),
        clock_zero=frozenset(_strings(clock.get("zero"), "clock.zero")),
        am=_phrases(clock.get("am"), "clock.am"),
        pm=_phrases(clock.get("pm"), "clock.pm"),
        days_relative={tuple(k.split()): v for k, v in _table(days.get("relative")).items()},
        weekdays={**{w: i for i, w in enumerate(_strings(days.get("weekdays"), "days.weekdays"))},
                  **_table(days.get("weekday_short"))},
    )


def words(lang: str = "en") -> Words:
    """The words of language ``lang`` (``lang/<lang>/words.yaml``), loaded once and cached.

    Raises ``FileNotFoundError`` for a language without a words file, ``ValueError`` for a malformed one.
    """
    return _load(lang)


@functools.cache
def _load(lang: str) -> Words:
    """:func:`words`, cached by language."""
    path = LANG_DIR / lang / "words.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a mapping")
    return _build(lang, data)


def languages() -> list[str]:
    """The languages that have a words file, sorted."""
    return sorted(p.parent.name for p in LANG_DIR.glob("*/words.yaml"))


def phrase_at(tokens: list[str], i: int, index: PhraseIndex) -> Phrase | None:
    """The longest phrase of ``index`` (keyed by first word) that starts at ``tokens[i]``, or None."""
    for phrase in index.get(tokens[i], ()) if i < len(tokens) else ():
        if tuple(tokens[i:i + len(phrase)]) == phrase:
            return phrase
    return None


def phrase_ending(tokens: list[str], end: int, index: PhraseIndex) -> Phrase | None:
    """The longest phrase of ``index`` (keyed by last word) that ends just before ``tokens[end]``, or None."""
    for phrase in index.get(tokens[end - 1], ()) if end > 0 else ():
        if end >= len(phrase) and tuple(tokens[end - len(phrase):end]) == phrase:
            return phrase
    return None


@functools.cache
def _matching_data(language: str) -> dict[str, Any]:
    """``lang/<language>/matching.yaml`` as parsed, once (its word lists and its word tables)."""
    path = LANG_DIR / language / "matching.yaml"
    return (yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None) or {}


@functools.cache
def matching_words(language: str = "en") -> dict[str, frozenset[str]]:
    """The matcher's own words for ``language`` (``lang/<language>/matching.yaml``): seams between
    requests, words that never begin a slot, function words, pronouns, list joiners."""
    data = _matching_data(language)
    return {key: frozenset(str(w) for w in data.get(key) or ()) for key in
            ("seams", "not_a_slot_start", "function_words", "pronouns", "list_joiners", "plural_suffix",
             "not_plural_suffix", "clause_verbs", "not_verbs", "remark_starts", "thing_arguments", "remark_joins",
             "request_starts", "amount_hedges", "not_things", "clause_ends", "negators",
             "question_starts", "slot_tails", "slot_places", "continuations", "vague_things", "vague_alone", "description_starts", "description_ends", "reported_leads")}


@functools.cache
def opening_homophones(language: str = "en") -> dict[str, str]:
    """Words a speech recognizer writes for a verb that opens a request (``matching.yaml``'s
    ``opening_homophones``: "at" for "add"), read so only in the fuzzy stage, after a strict match failed."""
    return {str(k): str(v) for k, v in (_matching_data(language).get("opening_homophones") or {}).items()}


@functools.cache
def number_homophones(language: str = "en") -> dict[str, str]:
    """Words a speech recognizer writes for a number word (``matching.yaml``'s ``number_homophones``)."""
    return {str(k): str(v) for k, v in (_matching_data(language).get("number_homophones") or {}).items()}
