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
    the first remark and the remark; None when no remark begins after ``min_words`` words."""
    words = text.split()
    starts = matching_words(language)["remark_starts"]
    for i in range(min_words, len(words)):
        if words[i].lower().strip(".,!?") in starts:
            return " ".join(words[:i]), " ".join(words[i:])
    return None
