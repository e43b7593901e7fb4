"""Reading shopping items out of what people say: quantities ("2 loaves of bread" is bread x2),
several items in one request ("milk, eggs and two loaves of bread"), names that are one thing
("mac and cheese"), remarks and reasons after the items, and the key that matches an item
case- and plural-tolerantly ("Bread", "bread" and "breads" are one item).
"""

from __future__ import annotations

import re

from hearth import ToolError

_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2, "a dozen": 12,
    "dozen": 12, "a few": 3, "couple of": 2, "a couple": 2, "half a dozen": 6, "a half dozen": 6,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "eighteen": 18, "twenty": 20,
    "two dozen": 24, "a pair of": 2, "another": 1, "one more": 1,
}
_CONTAINERS = (
    "loaf|loaves|bottle|bottles|carton|cartons|pack|packs|package|packages|bag|bags|can|cans|jar|jars|"
    "box|boxes|bunch|bunches|head|heads|tin|tins|tub|tubs|dozen|pound|pounds|lb|lbs|kilo|kilos|kg|"
    "gallon|gallons|liter|liters|litre|litres|piece|pieces|slice|slices|packet|packets|roll|rolls|bar|bars|"
    "stick|sticks|cup|cups|container|containers|block|blocks|crate|crates|tube|tubes|pint|pints|"
    "quart|quarts|case|cases|bucket|buckets"
)
_QTY_WORDS = "|".join(sorted((re.escape(w) for w in _NUMBER_WORDS), key=len, reverse=True))
_LEADING_QTY = re.compile(
    r"^(?P<n>\d+|" + _QTY_WORDS + r")\s+(?:(?:" + _CONTAINERS + r")\s+(?:of\s+)?)?(?P<rest>.+)$", re.I)
# "some", "the", "more": not part of an item's name
_ARTICLE = re.compile(r"^(?:(?:some|the|more|extra|any|our|my|a|an|all of|all(?= the\b)|also|like|maybe)\s+)+", re.I)
# "... to my shopping list", "... off the list": the list itself is never part of an item
_LIST_TAIL = re.compile(
    r"\s+(?:(?:from|on|off|to|onto|in|of)\s+)?(?:(?:my|the|our)\s+)?(?:shopping\s+|grocery\s+)?list$", re.I)
_TAIL_WORDS = re.compile(r"(?:\s+(?:too|as well|also|please|anymore|any more|off|then|for me|thanks|this morning|"
                         r"this afternoon|this evening|today|yesterday|earlier|just now|(?:for )?tonight|"
                         r"(?:for )?tomorrow|(?:for )?the weekend|this week|next time|later))+$", re.I)
# a reason said after an item: "milk because we ran out", "eggs as we're out"
_REASON = re.compile(r"\s+(?:because|cause|'cause|since|as) (?:we|i|we're|i'm|it's|they're)\b.*$", re.I)
# a remark said after the items, not an item: "..., we're nearly out", "... because we ran out"
_REMARK = re.compile(r"^(?:we're|we are|we've|we have|i'm|i am|i've|it's|it is|they're|they are|that's|there's|"
                     r"since|because|cause|'cause|as we|as i|so we|so i)\b", re.I)
# "12 eggs not 6": a correction of the quantity already on the list
NOT_QTY = re.compile(r"^(?P<item>.+?),?\s+(?:not|instead of|rather than)\s+(?:\d+|" + _QTY_WORDS + r")$", re.I)
# "apples have I got down", "eggs do we need": the rest of a question is not part of the item
QUESTION_TAIL = re.compile(r"\s+(?:(?:do|did|have|has|are|is|should|shall)\s+(?:i|we|you)|(?:i|we)\s+(?:have|need|got))"
                            r"(?:\s+.*)?$", re.I)

# Names that are one thing although they contain "and"; a shopping list's classics.
COMPOUND_NAMES = (
    "mac and cheese", "macaroni and cheese", "salt and pepper", "salt and vinegar", "half and half",
    "fish and chips", "peanut butter and jelly", "sweet and sour", "bread and butter pickles",
    "cookies and cream", "pork and beans", "franks and beans", "spaghetti and meatballs", "ham and cheese",
    "cheese and onion", "pb and j", "m and ms", "surf and turf", "chips and dip", "oil and vinegar",
    "rice and peas", "biscuits and gravy", "bacon and egg", "strawberries and cream",
)
# Rule for the rest: a one-word flavour, "and", then a name of two or more words is one product
# ("strawberry and banana yogurt", "chicken and rice soup", "honey and oat bars").
_FLAVOURS = {
    "apple", "bacon", "banana", "beef", "blueberry", "cheese", "chicken", "chili", "chocolate", "cinnamon",
    "coconut", "garlic", "ginger", "ham", "herb", "honey", "lemon", "lime", "mango", "maple", "mint", "mushroom",
    "onion", "orange", "peach", "peanut", "pepper", "pineapple", "raspberry", "salt", "sour", "spinach",
    "strawberry", "sweet", "tomato", "vanilla", "oat", "caramel", "cherry", "cranberry", "almond", "pesto",
}
_SPLIT = re.compile(r"\s*,\s*(?:and\s+|&\s+|plus\s+)?|\s+(?:and|&|plus|as well as)\s+", re.I)
_JOIN = "\x00"


def split_quantity(text: str) -> tuple[str, int | None]:
    """``"2 loaves of bread"`` -> ``("bread", 2)``; ``"milk"`` -> ``("milk", None)``."""
    text = re.sub(r"\s+", " ", text.strip().strip(".!?,")).strip()
    text = _ARTICLE.sub("", text) if text.lower().startswith(("some ", "the ", "more ", "extra ", "any ", "also ", "like ",
                                                              "maybe ")) else text
    m = _LEADING_QTY.match(text)
    if m and m.group("rest").strip():
        n = m.group("n").lower()
        qty = int(n) if n.isdigit() else _NUMBER_WORDS[n]
        return _ARTICLE.sub("", m.group("rest")).strip(), qty
    return _ARTICLE.sub("", text).strip(), None


def _protect(text: str) -> str:
    """Join the "and" inside names that are one thing, so the splitter leaves them whole."""
    low = text.lower()
    for name in COMPOUND_NAMES:
        for m in reversed(list(re.finditer(r"\b" + re.escape(name) + r"\b", low))):
            text = text[:m.start()] + text[m.start():m.end()].replace(" and ", f"{_JOIN}and{_JOIN}") + text[m.end():]
    def flavour(m: re.Match[str]) -> str:
        if m.group(1).lower() in _FLAVOURS:
            return f"{m.group(1)}{_JOIN}and{_JOIN}{m.group(2)}"
        return m.group(0)
    # one-word flavour + and + a name of two or more words that does not start a new quantity
    return re.sub(r"(?<![\w'\x00])([A-Za-z]+) and ((?!(?:a|an|some|the|two|three|\d)\b)[A-Za-z]+ [A-Za-z]+)(?=$|,| and )",
                  flavour, text)


# Words that name a thing on their own and rarely describe another: "bread milk and eggs" is three
# things. (Most others can: "coffee beans", "bread rolls", "cereal bars" are one thing each.)
_STAPLES = {"milk", "bread", "eggs", "butter", "sugar", "coffee", "tea", "cheese", "water", "yogurt", "yoghurt"}
# plural-looking pairs that are one thing
_PLURAL_NAMES = {"brussels sprouts", "sports drinks", "lucky charms", "rice krispies", "cheerios"}


def _run_on(part: str) -> list[str]:
    """A list piece said without commas, ``"onions carrots"`` or ``"bread milk"``: one item per word
    when every word is a plural noun or every word a staple; otherwise the piece stays whole."""
    words = part.split()
    if len(words) < 2 or part.lower() in _PLURAL_NAMES or _LEADING_QTY.match(part):
        return [part]
    low = [w.lower() for w in words]
    plural = all(len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")) and w.isalpha() for w in low)
    if plural or all(w in _STAPLES for w in low):
        return words
    return [part]


def split_items(text: str) -> list[str]:
    """``"milk, eggs and 2 loaves of bread"`` -> ``["milk", "eggs", "2 loaves of bread"]``.

    Names that are one thing stay whole: ``"mac and cheese"``, ``"salt and pepper chips"``. In a list
    said without commas (``"onions carrots and celery"``), plural nouns and staples are each an item.
    """
    text = re.sub(r"\s+", " ", (text or "").strip().strip(".!?"))
    text = _TAIL_WORDS.sub("", _LIST_TAIL.sub("", text))
    parts = [p.replace(_JOIN, " ").strip(" ,.") for p in _SPLIT.split(_protect(text))]
    parts = [p for i, p in enumerate(parts) if p and not (i and _REMARK.match(p))]
    parts = [_REASON.sub("", p) or p for p in parts]
    if len(parts) > 1:  # only in a list: "green beans" alone is one thing, and so is "baked beans"
        parts = [w for p in parts for w in _run_on(p)]
    return parts


def _singular(word: str) -> str:
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
    return " ".join(words[:-1] + [_singular(words[-1])])


def _clean(item: str) -> tuple[str, str, int | None]:
    if not isinstance(item, str) or not item.strip():
        raise ToolError("Say which item you mean.", "item_missing")
    name, qty = split_quantity(_TAIL_WORDS.sub("", _LIST_TAIL.sub("", item.strip().strip(".!?"))))
    if not name:
        raise ToolError("Say which item you mean.", "item_missing")
    return name, item_key(name), qty


def parse_items(item: str) -> list[tuple[str, str, int | None]]:
    """Each item a request names, as (name, key, quantity said or None)."""
    if not isinstance(item, str) or not item.strip():
        raise ToolError("Say which item you mean.", "item_missing")
    parts = split_items(item) or [item]
    return [_clean(p) for p in parts]


