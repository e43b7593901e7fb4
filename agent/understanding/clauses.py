"""A turn's clauses: where a request ends and a remark begins.

People wrap a request in words that ask for nothing: "all done, clear the whole list", "what time is it?
need to get to the shop before it shuts", "put it back, jo wants it after all", and, with no punctuation
from a speech recognizer, "undo that i didn't get it yet". A turn is read whole first; only when that
finds no request is it read clause by clause:

- :func:`clauses` cuts the text as it was said (before normalising) at the marks that end a sentence
  (``. ? ! ; :``, a dash between words), or also at commas (a comma may join a list, so that cut is
  tried only when a text has no other);
- :func:`remark_cut` cuts one clause where a remark begins: a word of the language's ``remark_starts``
  (a subject pronoun: "i", "we're", "she") after at least two words.

The caller decides what to keep (:meth:`hearth.turn.router.Router.match_all`, the dialogue): a clause
that is a request of its own, never one that looks like a request it could not read.
"""

from __future__ import annotations

import re

from hearth.understanding.language import matching_words

# the end of a sentence: a sentence mark, a dash between words ("veg done - carrots ..."); and a comma
_SENTENCE = re.compile(r"[.?!;:]+(?=\s|$)|\s[-\u2013\u2014]+\s")
_COMMA = re.compile(r"[.?!;:,]+(?=\s|$)|\s[-\u2013\u2014]+\s")
# a remark begins after this many words of a request
MIN_REQUEST_WORDS = 2


def clauses(text: str, commas: bool = False) -> list[str]:
    """``"in aldi now. got eggs, butter"`` -> ``["in aldi now", "got eggs, butter"]``: the sentences; with
    ``commas``, cut at commas too (``"all done, clear the whole list"`` -> two). One clause for a text
    with no mark in it."""
    marks = _COMMA if commas else _SENTENCE
    return [part.strip() for part in marks.split(text) if part.strip(" -\u2013\u2014")]


def remark_cut(text: str, language: str = "en", min_words: int = MIN_REQUEST_WORDS) -> tuple[str, str] | None:
    """``"undo that i didn't get it yet"`` -> ``("undo that", "i didn't get it yet")``: the words before
    the first remark and the remark; None when no remark begins after ``min_words`` words. A joining word
    before the remark's start belongs to the remark ("add ramen before i forget")."""
    words = text.split()
    mine = matching_words(language)
    starts, joins = mine["remark_starts"], mine["remark_joins"]
    said = [w.lower().strip(".,!?") for w in words]
    for i in range(min_words, len(words)):
        if said[i] in starts:
            j = i
            while j - 1 >= min_words and (said[j - 1] in joins or " ".join(said[j - 2:j]) in joins):
                j -= 2 if j - 2 >= min_words and " ".join(said[j - 2:j]) in joins else 1
            return " ".join(words[:j]), " ".join(words[j:])
    return None


def request_cut(text: str, language: str = "en", min_words: int = MIN_REQUEST_WORDS) -> tuple[str, str] | None:
    """``"oh i already bought that one could you tick it off"`` -> ``("oh i already bought that one",
    "could you tick it off")``: the words before a request's opening (the language's ``request_starts``)
    and the request; None when none begins after ``min_words`` words."""
    words = text.split()
    said = [w.lower().strip(".,!?") for w in words]
    starts = matching_words(language)["request_starts"]
    for i in range(min_words, len(words)):
        if any(" ".join(said[i:i + n]) in starts for n in (1, 2, 3)):
            return " ".join(words[:i]), " ".join(words[i:])
    return None


def seam_cut(text: str, language: str = "en", min_words: int = MIN_REQUEST_WORDS) -> tuple[str, str] | None:
    """``"check it off then got some at the hospital"`` -> ``("check it off", "got some at the hospital")``:
    cut at a seam between requests ("then", "also"; never a word that joins things in a list, "and")
    after ``min_words`` words; None when there is none."""
    words = text.split()
    mine = matching_words(language)
    seams = mine["seams"] - mine["list_joiners"]
    for i in range(min_words, len(words) - 1):
        if words[i].lower() in seams:
            return " ".join(words[:i]), " ".join(words[i + 1:])
    return None
