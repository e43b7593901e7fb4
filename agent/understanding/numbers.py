"""The core's reader of numbers, amounts, durations and clock times, in words or digits.

``read_number("twenty five")`` -> 25.0, ``read_quantity("two loaves of bread")`` -> (2, "bread"),
``read_duration("an hour and a half")`` -> 5400, ``find_duration("set a timer for ten minutes")`` -> (600, 20,
31), ``read_clock_time("quarter to 8")`` -> (7, 45). The words (number words, units, clock words) come from the
language's ``words.yaml``; the code is token logic over them.
"""

from __future__ import annotations

import re

from .language import Words, phrase_at, words

_TOKEN = re.compile(r"[^\W_]+(?:[.:',][^\W_]+)*")
_RUNS = re.compile(r"\d+(?:\.\d+)?|[^\W\d_]+")  # "1h30m" -> "1", "h", "30", "m"

Number = tuple[float, int, bool]  # value, index after it, whether it is a bare "a"/"an" (one)


def _clean(token: str) -> str:
    """A token as the readers compare it: "1,000" -> "1000", "p.m" -> "pm", "7:30" and "2.5" kept."""
    if token.isalnum():
        return token
    if "," in token and token.replace(",", "").isdigit():
        return token.replace(",", "")
    if "." in token and not token[:1].isdigit():
        return token.replace(".", "")
    return token


def _tokens(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """The words of ``text``, lower case (hyphens and other punctuation split them), and their spans."""
    found = list(_TOKEN.finditer(text.lower()))
    return [_clean(m.group()) for m in found], [m.span() for m in found]


def _is_digits(token: str) -> bool:
    """"25", "2.5", ".5": a number written in digits."""
    return token.replace(".", "", 1).isdecimal() and token.isascii()  # "²" and "٣" are digits, not numbers said


def _cardinal(t: list[str], i: int, w: Words) -> tuple[float, int] | None:
    """Digits ("25", "2.5", "2 thousand") or number words ("twenty five", "a hundred and five") at ``t[i]``."""
    n = len(t)
    if i >= n:
        return None
    if _is_digits(t[i]):
        value, j = float(t[i]), i + 1
        if j < n and t[j] in w.scales:
            value, j = value * w.scales[t[j]], j + 1
        return value, j
    total, cur, j, last = 0, 0, i, ""
    while j < n:
        word = t[j]
        if word in w.ones and (last in ("", "hundred", "scale", "and") or (last == "ten" and w.ones[word] < 10)):
            cur, last = cur + w.ones[word], "one"
        elif word in w.tens and last in ("", "hundred", "scale", "and"):
            cur, last = cur + w.tens[word], "ten"
        elif word in w.scales and w.scales[word] < 1000 and last in ("", "one", "ten") and cur < 100:
            cur, last = (cur or 1) * w.scales[word], "hundred"
        elif word in w.scales and last in ("", "one", "ten", "hundred"):
            total, cur, last = total + (cur or 1) * w.scales[word], 0, "scale"
        elif (word == w.number_and and last in ("hundred", "scale") and j + 1 < n
              and (t[j + 1] in w.ones or t[j + 1] in w.tens)):
            last = "and"
        else:
            break
        j += 1
    return (float(total + cur), j) if j > i else None


def _fraction_after(t: list[str], j: int, base: float, w: Words) -> tuple[float, int]:
    """"and a half", "and three quarters" after an amount: the part added (of ``base``) and where it ends."""
    if j >= len(t) or t[j] != w.number_and:
        return 0.0, j
    k = j + 1 + (1 if j + 1 < len(t) and t[j + 1] in w.articles else 0)
    if k < len(t) and t[k] in w.fractions:
        return w.fractions[t[k]] * base, k + 1
    c = _cardinal(t, j + 1, w)
    if c is not None and c[1] < len(t) and t[c[1]] in w.fraction_plurals:
        return c[0] * w.fraction_plurals[t[c[1]]] * base, c[1] + 1
    return 0.0, j


def _amount(t: list[str], i: int, w: Words) -> tuple[float, int] | None:
    """An amount at ``t[i]`` without a leading article: "half", "half a dozen", "two dozen", "three quarters",
    "two and a half", "a couple" (as "couple"), "12"."""
    n = len(t)
    if t[i] in w.fractions:
        f, k = w.fractions[t[i]], i + 1
        while k < n and (t[k] in w.of_words or t[k] in w.articles):
            k += 1
        if k < n and t[k] in w.multipliers:
            return f * w.counts[t[k]], k + 1
        return f, i + 1
    c = _cardinal(t, i, w)
    base = 1.0
    if c is None:
        if t[i] not in w.counts:
            return None
        value, j = float(w.counts[t[i]]), i + 1
        base = value
    else:
        value, j = c
        if j < n and t[j] in w.multipliers:
            base = float(w.counts[t[j]])
            value, j = value * base, j + 1
        elif j < n and t[j] in w.fraction_plurals:
            return value * w.fraction_plurals[t[j]], j + 1
    extra, j = _fraction_after(t, j, base, w)
    return value + extra, j


def number_at(t: list[str], i: int, w: Words) -> Number | None:
    """The number at ``t[i]``: an amount, or "a"/"an" followed by one ("a dozen", "a half", "a hundred"), or a
    bare "a"/"an" before another word (one, flagged: it counts only before a unit or a noun)."""
    if i >= len(t):
        return None
    if t[i] in w.articles:
        if i + 1 >= len(t):
            return None
        nxt = t[i + 1]
        if nxt in w.scales or nxt in w.counts or nxt in w.fractions:
            r = _amount(t, i + 1, w)
            if r is not None:
                return r[0], r[1], False
        return 1.0, i + 1, True
    r = _amount(t, i, w)
    return (r[0], r[1], False) if r is not None else None


def read_number(text: str, lang: str = "en") -> float | None:
    """The number that is the whole of ``text`` ("25", "twenty-five", "a dozen", "half a dozen", "a couple",
    "two and a half", "1.5", "half", "a hundred"), or None."""
    t, _ = _tokens(text)
    r = number_at(t, 0, words(lang)) if t else None
    return r[0] if r is not None and r[1] == len(t) and not r[2] else None


def read_quantity(text: str, lang: str = "en") -> tuple[int | None, str]:
    """A leading amount and its unit read off a thing: "two loaves of bread" -> (2, "bread"), "a dozen eggs" ->
    (12, "eggs"), "a bag of rice" -> (1, "rice"), "some milk" -> (None, "milk"), "milk" -> (None, "milk").

    The thing keeps its words as given. Without a whole amount, or with nothing after it, the amount is None
    and the text stays whole ("half a pound of butter", "3"); a unit with nothing after it is the thing ("3
    cans" -> (3, "cans")).
    """
    w = words(lang)
    whole = text.strip()
    t, spans = _tokens(text)
    if not t:
        return None, whole
    r = number_at(t, 0, w)
    if t[0] in w.vague and len(t) > 2 and number_at(t, 1, w) is not None:  # "another half a dozen eggs"
        amount, rest = read_quantity(text[spans[1][0]:], lang)
        if amount is not None:
            return amount, rest
    if t[0] in w.vague and len(t) > 3 and t[1] in w.quantity_units and t[2] in w.of_words:
        return None, text[spans[3][0]:].strip()  # "another pack of nappies": nappies, the count left to the tool
    vague = 0 if t[0] in w.vague else 1 if r is not None and r[2] and t[1] in w.vague else -1
    if vague >= 0:  # "some milk", "a lot of apples": no count
        k = vague + 1
        while k < len(t) and t[k] in w.of_words:
            k += 1
        return None, (text[spans[k][0]:].strip() if k < len(t) else whole)
    if r is None:
        return None, whole
    value, j, _ = r
    if j < len(t) - 1 and t[j] in w.more_words:  # "two more sticks of butter": more of the same
        j += 1
    unit = j if j < len(t) and t[j] in w.quantity_units and (len(t[j]) > 1 or _is_digits(t[j - 1])) else None
    if unit is not None and t[0] in w.articles and j == 1 and not (j + 1 < len(t) and t[j + 1] in w.of_words):
        unit = None  # "a bottle brush", "a tin opener": after "a", a unit counts only with its "of"
    j += 1 if unit is not None else 0
    while j < len(t) and t[j] in w.of_words:
        j += 1
    if unit is None and j < len(t) - 1 and t[j] in w.quantity_units and len(t[j]) > 1 and t[j - 1] in w.of_words:
        unit, j = j, j + 1  # "a couple of cans of tomato sauce": the unit after the count's "of"
        while j < len(t) and t[j] in w.of_words:
            j += 1
    if value != int(value) or (j >= len(t) and unit is None):
        return None, whole
    if j >= len(t):
        return int(value), text[spans[unit][0]:].strip() if unit is not None else whole
    return int(value), text[spans[j][0]:].strip()


def _time_unit(t: list[str], j: int, w: Words) -> int | None:
    """The seconds in the unit at ``t[j]``; a one-letter unit ("m") only straight after digits."""
    unit = w.time_units.get(t[j]) if j < len(t) else None
    if unit is not None and len(t[j]) == 1 and not (j > 0 and _is_digits(t[j - 1])):
        return None
    return unit


def _compact(token: str, w: Words) -> tuple[float, int] | None:
    """"1h30m", "10min", "45s", "1.5h": (seconds, the smallest unit) of a duration written as one word."""
    runs = _RUNS.findall(token)
    if len(runs) < 2 or len(runs) % 2 or not _is_digits(runs[0]):
        return None
    total, last = 0.0, 0
    for number, unit_word in zip(runs[::2], runs[1::2], strict=True):
        unit = w.time_units.get(unit_word)
        if not _is_digits(number) or unit is None or (last and unit >= last):
            return None
        total, last = total + float(number) * unit, unit
    return total, last


def _part(t: list[str], k: int, w: Words) -> tuple[float, int, int] | None:
    """One part of a duration at ``t[k]``: (seconds, its unit, index after it): "10 minutes", "an hour",
    "half an hour", "a couple of minutes", "two and a half hours", "1h30m"."""
    if k >= len(t):
        return None
    compact = _compact(t[k], w)
    if compact is not None:
        return compact[0], compact[1], k + 1
    r = number_at(t, k, w)
    if r is None:
        return None
    value, j, bare = r
    while j < len(t) - 1 and (t[j] in w.of_words or (t[j] in w.articles and not bare)):
        j += 1
    unit = _time_unit(t, j, w)
    if unit is None or (bare and t[j] in w.ordinal_units and j + 1 < len(t)
                        and t[j + 1] not in w.duration_joiners):
        return None
    return value * unit, unit, j + 1


def _duration_at(t: list[str], i: int, w: Words) -> tuple[float, int] | None:
    """The duration starting at ``t[i]``: parts in falling units ("1 hour 30 minutes", "an hour and a half",
    "an hour thirty"), as (seconds, index after it)."""
    first = _part(t, i, w)
    if first is None:
        return None
    total, last, j = first
    while j < len(t):
        k = j + 1 if t[j] in w.duration_joiners else j
        if k > j:
            half, end = _fraction_after(t, j, float(last), w)
            if end > j and (end >= len(t) or t[end] not in w.time_units):
                return total + half, end
        part = _part(t, k, w)
        if part is None:
            smaller = max((u for u in w.time_units.values() if u < last), default=0)
            c = _cardinal(t, k, w)
            if smaller and c is not None and c[1] == len(t) and c[0] == int(c[0]) and c[0] * smaller < last:
                return total + c[0] * smaller, c[1]
            break
        seconds, unit, end = part
        if unit >= last:
            break
        total, last, j = total + seconds, unit, end
    return total, j


def _clock_duration(token: str) -> int | None:
    """"1:30" (minutes and seconds) or "1:30:00" (hours, minutes, seconds) in seconds."""
    parts = token.split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts) or any(len(p) != 2 for p in parts[1:]):
        return None
    values = [int(p) for p in parts]
    if any(v >= 60 for v in values[1:]):
        return None
    return values[0] * 60 + values[1] if len(values) == 2 else values[0] * 3600 + values[1] * 60 + values[2]


def read_duration(text: str, lang: str = "en") -> int | None:
    """The duration that is the whole of ``text``, in whole seconds, or None: "10 minutes", "an hour and a
    half", "1 hour 30 minutes", "half an hour", "5 mins", "two and a half hours", "1h30m", "quarter of an
    hour", "1:30" (a minute and a half). A bare number is not a duration."""
    t, _ = _tokens(text)
    if len(t) == 1 and ":" in t[0]:
        return _clock_duration(t[0])
    r = _duration_at(t, 0, words(lang)) if t else None
    return int(r[0] + 0.5) if r is not None and r[1] == len(t) else None


def durations_in(text: str, lang: str = "en") -> set[int]:
    """Every duration said inside ``text``, in whole seconds ("rice eighteen minutes eggs ten" -> {1080})."""
    w = words(lang)
    t, _ = _tokens(text)
    found = (_duration_at(t, i, w) for i in range(len(t)))
    return {int(r[0] + 0.5) for r in found if r is not None}


def amounts_in(text: str, lang: str = "en", longest: int = 4) -> set[float]:
    """Every number said inside ``text`` ("a dozen", "two", "3"), read from each word, ``longest`` at most."""
    said = text.split()
    return {n for i in range(len(said)) for k in range(1, longest + 1) if i + k <= len(said)
            for n in (read_number(" ".join(said[i:i + k]), lang),) if n is not None}


def find_duration(text: str, lang: str = "en") -> tuple[int, int, int] | None:
    """The first duration inside ``text``: (seconds, start, end), the span of its characters in ``text`` so a
    caller can cut it out ("set a pasta timer for ten minutes" -> (600, 22, 33)), or None."""
    w = words(lang)
    t, spans = _tokens(text)
    for i in range(len(t)):
        r = _duration_at(t, i, w)
        if r is not None:
            return int(r[0] + 0.5), spans[i][0], spans[r[1] - 1][1]
    return None


def _split_meridiem(t: list[str], w: Words) -> list[str]:
    """"7pm" -> "7", "pm"; "7:30am" -> "7:30", "am": a one-word am/pm glued to digits."""
    out: list[str] = []
    for tok in t:
        k = len(tok)
        while k and tok[k - 1].isalpha():
            k -= 1
        head, tail = tok[:k], tok[k:]
        if head and tail and head[-1].isdigit() and ((tail,) in w.am or (tail,) in w.pm):
            out.extend((head, tail))
        else:
            out.append(tok)
    return out


def _meridiem(t: list[str], w: Words) -> tuple[list[str], str]:
    """``t`` less an am/pm phrase at either end ("6 pm", "7 in the evening", "tonight at 7"), and which."""
    for mark, phrases in (("am", w.am), ("pm", w.pm)):
        for phrase in sorted(phrases, key=len, reverse=True):
            n = len(phrase)
            if len(t) > n and tuple(t[-n:]) == phrase:
                return t[:-n], mark
            if len(t) > n and tuple(t[:n]) == phrase:
                return t[n:], mark
    return t, ""


def _whole_number(t: list[str], w: Words, top: int) -> int | None:
    """The whole number that is all of ``t``, from 0 to ``top``, or None."""
    c = _cardinal(t, 0, w) if t else None
    if c is None or c[1] != len(t) or c[0] != int(c[0]) or not 0 <= c[0] <= top:
        return None
    return int(c[0])


def _relative(t: list[str], w: Words) -> tuple[int, int] | None:
    """"half past seven", "quarter to 8", "ten past six", "five minutes to nine": (hour, minute)."""
    r = next((k for k in range(1, len(t) - 1) if t[k] in w.clock_past or t[k] in w.clock_to), None)
    if r is None:
        return None
    before = [x for x in t[:r] if x not in w.articles and x not in w.minute_words]
    hour = _whole_number(t[r + 1:], w, 24)
    minutes = w.clock_minutes.get(before[0]) if len(before) == 1 else None
    if minutes is None:
        minutes = _whole_number(before, w, 59)
    if hour is None or not minutes:
        return None
    if t[r] in w.clock_past:
        return hour, minutes
    return (hour - 1 if hour > 1 else 12 if hour == 1 else 23), 60 - minutes


def _hour_minute(t: list[str], w: Words) -> tuple[int, int] | None:
    """"7:30", "7.30", "1930", "seven thirty", "seven oh five", "7 30", "six": (hour, minute)."""
    if len(t) == 1 and t[0][:1].isdigit() and not t[0].isdigit():
        head, _, tail = t[0].replace(".", ":").partition(":")
        return (int(head), int(tail)) if head.isdigit() and tail.isdigit() and len(tail) == 2 else None
    if len(t) == 1 and t[0].isdigit() and len(t[0]) in (3, 4):
        return int(t[0][:-2]), int(t[0][-2:])
    c = _cardinal(t, 0, w) if t else None
    if c is None or c[0] != int(c[0]):
        return None
    rest = t[c[1]:]
    if rest[:1] and rest[0] in w.clock_zero and len(rest) == 2:
        minute = _whole_number(rest[1:], w, 9)
    else:
        minute = _whole_number(rest, w, 59) if rest else 0
    return (int(c[0]), minute) if minute is not None else None


def read_clock_time(text: str, lang: str = "en") -> tuple[int, int] | None:
    """The time of day that is the whole of ``text``, as (hour 0-23, minute), or None: "7:30", "half past
    seven", "quarter to 8", "6 pm", "at six", "noon", "seven thirty", "six o'clock", "7 in the evening".
    Without am or pm the hour is as said ("at six" -> (6, 0))."""
    w = words(lang)
    t = _split_meridiem(_tokens(text)[0], w)
    t, mark = _meridiem(t, w)
    while (lead := phrase_at(t, 0, w.clock_lead)) is not None and len(lead) < len(t):
        t = t[len(lead):]
    for phrase in w.oclock:
        if len(t) > len(phrase) and tuple(t[-len(phrase):]) == phrase:
            t = t[:-len(phrase)]
    if tuple(t) in w.clock_named:
        return w.clock_named[tuple(t)]
    hm = _relative(t, w) or _hour_minute(t, w)
    if hm is None:
        return None
    hour, minute = hm
    if mark:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if mark == "pm" else 0)
    return (hour, minute) if 0 <= hour <= 23 and 0 <= minute <= 59 else None
