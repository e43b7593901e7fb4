"""The one normaliser: what a person said or typed, as the text every sentence file is matched against.

``normalise("Hey Hearth, can you add uh no put cheddar on the list, please?")`` -> ``"put cheddar on the
list"``: lower case; punctuation out except apostrophes inside words and ``:``/``.`` inside numbers; the
hesitations out; the assistant's names out where it is called; leading and trailing fillers out; self-repairs
applied ("add apples no wait pears" -> "add pears"); a comma between items becomes "and". The words come from
the language's ``words.yaml``; the code here is token and set logic.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from .language import Phrase, Words, phrase_at, phrase_ending, words

# a word (letters or digits, with apostrophes, dots, colons or commas inside), or one punctuation mark
_TOKEN = re.compile(r"[^\W_]+(?:['.:,][^\W_]+)*|[,;:.?!%&]")
_SEPARATOR = re.compile(r"([.:,])")
_PAUSES = {",": ",", ";": ",", ":": ".", ".": ".", "?": ".", "!": "."}
_HESITATION = "~"  # the gap mark a dropped hesitation leaves (a pause, for the repair reader)
_MAX_REPAIRS = 4
_RESTART_WORDS = 3  # how many opening words said again make a restart ("set a timer ... set a timer")

Pairs = list[tuple[str, str]]  # (word, the punctuation just before it)


def _pieces(token: str) -> list[str]:
    """A token with ``. : ,`` inside split where they are not part of a number: "7:30", "2.5" and "1,000"
    (as "1000") stay; "a.m" joins to "am" (single letters with dots); "milk,eggs" -> "milk", ",", "eggs"."""
    parts = _SEPARATOR.split(token)
    out = [parts[0]]
    for sep, part in zip(parts[1::2], parts[2::2], strict=True):
        left = out[-1]
        if left[-1:].isdigit() and part[:1].isdigit() and (sep != "," or (len(part) == 3 and part.isdigit())):
            out[-1] = left + (sep if sep != "," else "") + part
        elif sep == "." and len(left) == 1 and len(part) == 1 and left.isalpha() and part.isalpha():
            out[-1] = left + part
        else:
            out.extend((sep, part))
    return out


def _tokens(text: str, w: Words) -> tuple[list[str], list[str]]:
    """Words and the gaps between them: ``gaps[i]`` is the punctuation before ``toks[i]`` ("," a comma,
    "." a full stop, "~" a dropped hesitation), ``gaps[-1]`` what follows the last word."""
    toks: list[str] = []
    gaps = [""]
    for raw in _TOKEN.findall(text.lower().replace("\u2019", "'")):
        for tok in (_pieces(raw) if not raw.replace("'", "").isalnum() and len(raw) > 1 else (raw,)):
            pause = _PAUSES.get(tok)
            if pause is not None:
                gaps[-1] += pause
                continue
            tok = w.symbols.get(tok, tok).strip("'")
            if not tok:
                continue
            if toks and toks[-1] in w.final_particles and gaps[-1] and len(toks) > 1:
                _drop_last(toks, gaps)  # "everything on the list o, i want to": dropped before a pause;
                # a particle before another word is a word ("a bottle o milk")
            if tok in w.hesitations:
                gaps[-1] += _HESITATION
                continue
            toks.append(tok)
            gaps.append("")
    if toks and toks[-1] in w.final_particles and len(toks) > 1:  # "no, i said six o"
        _drop_last(toks, gaps)
    return toks, gaps


def _drop_last(toks: list[str], gaps: list[str]) -> None:
    """Drop the last word, the pause before and after it kept as one."""
    after = gaps.pop()
    toks.pop()
    gaps[-1] += after


def _remove(toks: list[str], gaps: list[str], i: int, j: int) -> None:
    """Drop ``toks[i:j]``, merging the gaps around them (none kept at either end)."""
    del toks[i:j]
    gaps[i:j + 1] = ["" if i == 0 or i == len(toks) else "".join(gaps[i:j + 1])]


@functools.lru_cache(maxsize=64)
def _name_phrases(names: tuple[str, ...], lang: str) -> tuple[Phrase, ...]:
    """The assistant's names as word tuples, longest first ("hey jarvis" -> ("hey", "jarvis"))."""
    w = words(lang)
    phrases = {tuple(_tokens(n, w)[0]) for n in names}
    return tuple(sorted((p for p in phrases if p), key=lambda p: (-len(p), p)))


def _name_at(toks: list[str], i: int, names: tuple[Phrase, ...]) -> int:
    """The length of the name starting at ``toks[i]`` (0 for none)."""
    for name in names:
        if tuple(toks[i:i + len(name)]) == name:
            return len(name)
    return 0


def _called_at(toks: list[str], i: int, names: tuple[Phrase, ...], w: Words) -> int:
    """The length of "[call words] name" at ``toks[i]`` ("hey hearth", "ok hearth", "hearth"), 0 for none."""
    j = i
    while j < len(toks) and toks[j] in w.call_words and not _name_at(toks, j, names):
        j += 1
    n = _name_at(toks, j, names)
    return j + n - i if n else 0


def _drop_names_inside(toks: list[str], gaps: list[str], names: tuple[Phrase, ...], w: Words) -> None:
    """The assistant called mid-sentence: a name after a call word, or set off by punctuation."""
    i = 1
    while i < len(toks) - 1:
        n = _name_at(toks, i, names)
        if n and toks[i - 1] in w.call_words:
            _remove(toks, gaps, i - 1, i + n)
        elif n and (gaps[i] or gaps[i + n]):
            _remove(toks, gaps, i, i + n)
        else:
            i += 1


def _strip_ends(toks: list[str], gaps: list[str], names: tuple[Phrase, ...], w: Words) -> None:
    """Fillers and the assistant's name off both ends, again and again, never emptying the text; a tail
    filler stays after a bare answer ("no thanks", "yes please")."""
    while len(toks) > 1:
        n = _called_at(toks, 0, names, w)
        if not n:
            lead = phrase_at(toks, 0, w.lead_fillers)
            n = len(lead) if lead else 0
        if not n:  # "tell me how many things ...": a question put to the assistant, its lead dropped
            lead = phrase_at(toks, 0, w.question_leads)
            n = len(lead) if lead and len(toks) > len(lead) and toks[len(lead)] in w.question_words else 0
        if not n or n >= len(toks):
            break
        _remove(toks, gaps, 0, n)
    while len(toks) > 1:
        tail = phrase_ending(toks, len(toks), w.tail_fillers)
        n = len(tail) if tail else _name_ending(toks, names, w)
        if not n or n >= len(toks) or (tail and all(t in w.answers for t in toks[:-n])):
            break
        _remove(toks, gaps, len(toks) - n, len(toks))


def _name_ending(toks: list[str], names: tuple[Phrase, ...], w: Words) -> int:
    """The length of "[call word] name" at the end of ``toks`` (0 for none)."""
    for name in names:
        k = len(toks) - len(name)
        if k >= 0 and tuple(toks[k:]) == name:
            return len(name) + (1 if k > 0 and toks[k - 1] in w.call_words else 0)
    return 0


def _number_run(toks: list[str] | tuple[str, ...], start: int, w: Words) -> int:
    """The end of the run of number words starting at ``toks[start]``."""
    j = start
    while j < len(toks) and w.is_number_word(toks[j]):
        j += 1
    return j


def _overwrite(x: Pairs, y: Pairs, k: int, x_end: int, y_end: int) -> Pairs:
    """X with ``x[k:x_end]`` replaced by ``y[:y_end]`` and the words after it overwritten by ``y[y_end:]``."""
    rest = y[y_end:]
    return x[:k] + y + x[x_end + len(rest):]


def _aligned(x: Pairs, y: Pairs, strong: bool, w: Words) -> Pairs | None:
    """X repaired by Y, or None when Y does not repair X: Y restarts the request when it starts with a
    request word or X's first word; Y overwrites X from the last occurrence of Y's first word, or from X's
    last number when Y starts with a number; after a strong marker Y replaces as many trailing words of X as
    it has (X's request word stays)."""
    xs = [t for t, _ in x]
    first = y[0][0]
    if first in w.starters:
        return y
    if first in xs:
        k = len(xs) - 1 - xs[::-1].index(first)
        return y if k == 0 else _overwrite(x, y, k, k + 1, 1)
    if w.is_number_word(first):
        ends = [i for i in range(len(xs)) if w.is_number_word(xs[i]) and (i + 1 == len(xs) or
                                                                            not w.is_number_word(xs[i + 1]))]
        if ends:
            end = ends[-1] + 1
            k = end - 1
            while k > 0 and w.is_number_word(xs[k - 1]):
                k -= 1
            if k > 0 and xs[k - 1] in w.articles:  # "a dozen no half a dozen": the article goes with it
                k -= 1
            return _overwrite(x, y, k, end, _number_run([t for t, _ in y], 0, w))
    if not strong:
        return None
    keep = 1 if xs[0] in w.starters else 0
    paused = [k for k in range(keep, len(x)) if k and _HESITATION in x[k][1]]
    if paused and not any(t in w.starters for t, _ in y):  # "add uh red bull no monster": the thing began at the pause
        return x[:paused[-1]] + y
    said = next((k for k, (t, _) in enumerate(y) if k and t in w.no_and), len(y))  # "pears on the list": "pears"
    drop = max(0, min(said, len(x) - keep))
    return x[:len(x) - drop] + y


def _repair_once(toks: list[str], gaps: list[str], w: Words) -> bool:
    """Apply the first self-repair "X <marker> Y" of the text; whether there was one."""
    i = 0
    while (m := phrase_at(toks, i, w.markers)) is not None:  # markers at the start are not repairs
        i += len(m)
    i = max(i, 1)
    while i < len(toks):
        marker = phrase_at(toks, i, w.markers)
        if marker is None:
            i += 1
            continue
        chain, j = [marker], i + len(marker)
        while (more := phrase_at(toks, j, w.markers)) is not None:
            chain.append(more)
            j += len(more)
        if j >= len(toks):  # "remove the eggs er the bread i mean": the new words said before the marker
            pauses = [k for k in range(1, i) if _HESITATION in gaps[k]]
            if marker not in w.strong_markers or not pauses:
                return False
            pairs = list(zip(toks, gaps, strict=False))
            fixed = _aligned(pairs[:pauses[-1]], pairs[pauses[-1]:i], False, w)
            if fixed is None:
                return False
            toks[:] = [t for t, _ in fixed]
            gaps[:] = [g for _, g in fixed] + [""]
            gaps[0] = ""
            return True
        # strong: a strong marker, several markers, a hesitation before or any pause after ("add milk, no, eggs")
        strong = len(chain) > 1 or marker in w.strong_markers or _HESITATION in gaps[i] or gaps[j] != ""
        guard = w.guards.get(marker)
        paused = len(chain) == 1 and marker not in w.strong_markers  # strong only by a pause around it
        if guard and ((not strong and toks[i - 1] in guard.not_before) or (paused and toks[j] in guard.not_after and toks[j] in w.no_and)):  # "milk actually, plus eggs"
            i = j
            continue
        if not strong and any(_HESITATION in g for g in gaps[1:i]) and not (guard and toks[j] in guard.not_after):
            strong = True  # "add uh red bull no monster": hesitant speech repairs itself without a pause
        while j < len(toks) - 1 and (lead := phrase_at(toks, j, w.lead_fillers)) and j + len(lead) < len(toks):
            j += len(lead)
        if toks[j] in w.repair_negations:  # "some potatoes no not potatoes sweet potatoes": the old put aside
            old = next((m for m in range(min(i, len(toks) - j - 2), 0, -1) if toks[j + 1:j + 1 + m] == toks[i - m:i]), 0)
            if old:
                j += 1 + old
                strong = True
        pairs = list(zip(toks, gaps, strict=False))
        fixed = _aligned(pairs[:i], [(toks[j], "")] + pairs[j + 1:], strong, w)
        if fixed is None:
            i = j
            continue
        last = gaps[-1]
        toks[:] = [t for t, _ in fixed]
        gaps[:] = [g for _, g in fixed] + [last]
        gaps[0] = ""
        return True
    return False


def _function_words(lang: str) -> frozenset[str]:
    from .language import matching_words
    return matching_words(lang)["function_words"] | matching_words(lang)["seams"]


def _unowned(toks: list[str], w: Words) -> None:
    """A list named by its owner is the list ("prunes to margaret's list" -> "prunes to the list"): a
    possessive after a joining word and before a list's noun (``words.yaml``: ``owned_lists``)."""
    for i in range(1, len(toks) - 1):
        if toks[i].endswith(("'s", "s'")) and toks[i - 1] in w.owned_joins and any(
                tuple(toks[i + 1:i + 1 + n]) in w.owned_nouns for n in (1, 2)):
            toks[i] = w.owned_as


def _restated(toks: list[str], gaps: list[str], function: frozenset[str]) -> None:
    """A word said again with its kind before it, once, with its kind ("syrup golden syrup" -> "golden
    syrup", "milk oat milk" -> "oat milk"); after the repairs ("no wait syrup golden syrup")."""
    for i in range(len(toks) - 3, -1, -1):
        for k in (2, 3):
            between = toks[i + 1:i + k]
            if (i + k < len(toks) and toks[i] == toks[i + k] and toks[i].isalpha() and len(toks[i]) > 2
                    and toks[i] not in function and all(t.isalpha() and t not in function for t in between)):
                _remove(toks, gaps, i, i + 1)
                break


def _restart(toks: list[str], gaps: list[str]) -> None:
    """A request begun again: "set a timer for uh set a timer for 25 minutes" -> "set a timer for 25
    minutes" (the opening words, at least ``_RESTART_WORDS``, said again drop what came before them),
    and a word or a few said twice in a row ("put um put down", "a bag of um a bag of rice") once."""
    for i in range(len(toks) - 1, 0, -1):  # a stutter: "put um put down" -> "put down"
        if i < len(toks) and toks[i] == toks[i - 1] and toks[i].isalpha() and len(toks[i]) > 2:
            _remove(toks, gaps, i - 1, i)
    for n in range(_RESTART_WORDS + 1, 1, -1):  # "a bag of a bag of rice" -> "a bag of rice"
        i = 0
        while i + 2 * n <= len(toks):
            if toks[i:i + n] == toks[i + n:i + 2 * n] and any(t.isalpha() and len(t) > 2 for t in toks[i:i + n]):
                _remove(toks, gaps, i, i + n)
            else:
                i += 1
    n = _RESTART_WORDS
    if len(toks) < 2 * n + 1:
        return
    for i in range(n, len(toks) - n):
        if toks[i:i + n] == toks[:n]:
            _remove(toks, gaps, 0, i)
            return


def _join(toks: list[str], gaps: list[str], w: Words) -> str:
    """The words with single spaces, a comma between two items said as "and" (not one around a hesitation,
    "for, uh, twenty minutes", nor one after a request word, "add, um, eggs")."""
    out = toks[:1]
    for i in range(1, len(toks)):
        gap = gaps[i]
        if ("," in gap and _HESITATION not in gap and toks[i - 1] not in w.no_and and toks[i] not in w.no_and
                and toks[i - 1] not in w.starters):
            out.append(w.and_word)
        out.append(toks[i])
    return " ".join(out)


def normalise(text: str, names: Iterable[str] = ("hearth",), lang: str = "en") -> str:
    """``text`` as sentence files are written against (see the module's docstring).

    ``names`` are the assistant's names and wake words ("hearth", "hey jarvis"): dropped where the
    assistant is called (at either end, after a call word like "hey", or set off by commas), kept where
    they are an ordinary word in the middle ("the hearth rug"). "no", "no thanks", "no I said three" at the
    start are left for the dialogue: a repair marker at the start is not a repair.
    """
    return _read(text, names, lang)[0]


def self_repaired(text: str, names: Iterable[str] = ("hearth",), lang: str = "en") -> str | None:
    """``text`` normalised when the speaker repaired it ("put coriander no no pudina" -> "put pudina"),
    else None: what a model reads instead of the words taken back."""
    read, repairs = _read(text, names, lang)
    return read if repairs else None


def _read(text: str, names: Iterable[str], lang: str) -> tuple[str, int]:
    """The normalised text and how many self-repairs it applied."""
    w = words(lang)
    toks, gaps = _tokens(text, w)
    if not toks:
        return "", 0
    i = 0
    while i < len(toks):  # "the uh the what was it the eggs": a phrase said while searching, a pause
        phrase = phrase_at(toks, i, w.hesitation_phrases)
        if phrase is None or len(phrase) >= len(toks):
            i += 1
            continue
        gaps[i] += _HESITATION
        _remove(toks, gaps, i, i + len(phrase))
        if i < len(gaps):
            gaps[i] += _HESITATION
    if any(t in w.expansions for t in toks):  # "what time's it" -> "what time is it"
        pairs = [(word, gap if k == 0 else "") for t, gap in zip(toks, gaps[:-1], strict=True)
                 for k, word in enumerate(w.expansions.get(t, (t,)))]
        toks, gaps = [p[0] for p in pairs], [p[1] for p in pairs] + gaps[-1:]
    _unowned(toks, w)
    name_phrases = _name_phrases(names if isinstance(names, tuple) else tuple(names), lang)
    if name_phrases and len(toks) > 2:
        _drop_names_inside(toks, gaps, name_phrases, w)
    if tuple(toks) in w.kept_whole:
        return " ".join(toks), 0
    _strip_ends(toks, gaps, name_phrases, w)
    _restart(toks, gaps)
    repairs = 0
    for _ in range(_MAX_REPAIRS):
        if not _repair_once(toks, gaps, w):
            break
        repairs += 1
        _strip_ends(toks, gaps, name_phrases, w)
    _restated(toks, gaps, _function_words(lang))
    if len(toks) > 1 and toks[0] in w.call_words and _name_at(toks, 1, name_phrases) == len(toks) - 1:
        del toks[1:], gaps[1:]  # "hey hearth": a greeting, the name dropped
    return _join(toks, gaps, w), repairs
