"""The shopping list: add, remove, check off, find, read and clear items (its own SQLModel table).

Items are matched case- and plural-tolerantly: "Bread", "bread" and "breads" are one item.
Quantities inside the item text are understood: "2 loaves of bread" is bread x2. A request may name
several items ("milk, eggs and two loaves of bread"): each is its own item; names that are one thing
("mac and cheese", "salt and pepper chips") stay whole.
"""

from __future__ import annotations

import re
import time
from typing import Any

from sqlmodel import Field, SQLModel, col, select

from hearth import RegisterTool, ToolContext, ToolError, ToolResult, hookimpl

__version__ = "0.2.0"

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
_NOT_QTY = re.compile(r"^(?P<item>.+?),?\s+(?:not|instead of|rather than)\s+(?:\d+|" + _QTY_WORDS + r")$", re.I)
# "apples have I got down", "eggs do we need": the rest of a question is not part of the item
_QUESTION_TAIL = re.compile(r"\s+(?:(?:do|did|have|has|are|is|should|shall)\s+(?:i|we|you)|(?:i|we)\s+(?:have|need|got))"
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


def _items(item: str) -> list[tuple[str, str, int | None]]:
    if not isinstance(item, str) or not item.strip():
        raise ToolError("Say which item you mean.", "item_missing")
    parts = split_items(item) or [item]
    return [_clean(p) for p in parts]


def _not_on_list(missing: list[str]) -> ToolError:
    """The error when none of the items named is on the list."""
    return ToolError(f"{_cap(_join(missing))} {'is' if len(missing) == 1 else 'are'} not on your shopping list.",
                     "item_not_found")


def _find(session: Any, key: str) -> ShoppingItem | None:
    return session.exec(select(ShoppingItem).where(ShoppingItem.key == key)).first()


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


class ShoppingItem(SQLModel, table=True):
    __tablename__ = "shopping_list_items"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True)
    name: str
    quantity: int = 1
    checked: bool = False
    added_at: float = Field(default_factory=time.time)
    updated_at: float = Field(default_factory=time.time)


def add_to_shopping_list(item: str, ctx: ToolContext, quantity: int = 1) -> ToolResult:
    """Add an item to the shopping list; adding an item already there raises its quantity.

    Args:
        item: What to buy, e.g. "bread".
        quantity: How many to add.
    """
    # ``item`` may name several things ("milk, eggs and 2 loaves of bread"): each is added with its
    # own quantity; ``quantity`` applies to a single item. "12 eggs not 6" sets the quantity instead.
    correction = _NOT_QTY.match(item.strip()) if isinstance(item, str) else None
    if correction:
        item = correction.group("item")
    parts = _items(item)
    added: list[dict[str, Any]] = []
    spoken: list[str] = []
    s = ctx.transaction()  # committed by Hearth together with the record of this call
    for name, key, qty in parts:
        n = qty if qty is not None and (quantity == 1 or len(parts) > 1) else (quantity if len(parts) == 1 else 1)
        if n < 1:
            raise ToolError(f"The quantity must be at least 1, not {n}.", "invalid_quantity")
        row = _find(s, key)
        if row is None:
            row = ShoppingItem(key=key, name=name, quantity=n)
        elif row.checked or correction:
            row.checked, row.quantity = False, n
        else:
            row.quantity += n
        row.updated_at = time.time()
        s.add(row)
        s.flush()
        added.append({"name": row.name, "quantity": row.quantity, "checked": row.checked})
        spoken.append(f"{n} {name}" if n > 1 else name)
    result: dict[str, Any] = added[0] if len(added) == 1 else {"items": added}
    return ToolResult(result, say=f"Added {_join(spoken)} to your shopping list.")


_EVERYTHING = {"everything", "all", "all of it", "all of them", "the whole list", "everything on it"}
_ANYTHING = {"anything", "anything else", "something", "something else", "everything"}


def _all_keys(ctx: ToolContext, checked: bool | None = None) -> list[str]:
    with ctx.storage.session() as s:
        rows = s.exec(select(ShoppingItem).order_by(ShoppingItem.added_at, ShoppingItem.id)).all()  # type: ignore[arg-type]
        return [r.name for r in rows if checked is None or r.checked == checked]


def remove_from_shopping_list(item: str, ctx: ToolContext) -> ToolResult:
    """Remove one or more items from the shopping list entirely.

    Args:
        item: The item to remove, e.g. "milk", or several: "milk and eggs".
    """
    if isinstance(item, str) and item.strip().lower() in _EVERYTHING:
        return clear_shopping_list(ctx)
    removed, missing = [], []
    s = ctx.transaction()  # committed by Hearth together with the record of this call
    for name, key, _ in _items(item):
        row = _find(s, key)
        if row is None:
            missing.append(name)
            continue
        s.delete(row)
        removed.append(row.name)
    if not removed:
        raise _not_on_list(missing)
    say = f"Removed {_join(removed)} from your shopping list."
    if missing:
        say += f" {_cap(_join(missing))} {'was' if len(missing) == 1 else 'were'} not on it."
    result = {"name": removed[0], "removed": True} if len(removed) == 1 and not missing else \
        {"removed": removed, "not_found": missing}
    return ToolResult(result, say=say)


def check_off_shopping_list(item: str, ctx: ToolContext) -> ToolResult:
    """Check off one or more items on the shopping list as bought.

    Args:
        item: The item that was bought, e.g. "eggs", or several: "eggs and milk".
    """
    if isinstance(item, str) and item.strip().lower() in _EVERYTHING:
        names = _all_keys(ctx, checked=False)
        if not names:
            raise ToolError("Your shopping list has nothing left to check off.", "item_not_found")
        item = ", ".join(names)
    done, missing, rows = [], [], []
    s = ctx.transaction()  # committed by Hearth together with the record of this call
    for name, key, _ in _items(item):
        row = _find(s, key)
        if row is None:
            missing.append(name)
            continue
        row.checked, row.updated_at = True, time.time()
        s.add(row)
        done.append(row.name)
        rows.append({"name": row.name, "quantity": row.quantity, "checked": True})
    if not done:
        raise _not_on_list(missing)
    say = f"Checked off {_join(done)}."
    if missing:
        say += f" {_cap(_join(missing))} {'was' if len(missing) == 1 else 'were'} not on your list."
    return ToolResult(rows[0] if len(rows) == 1 and not missing else {"items": rows, "not_found": missing}, say=say)


def set_shopping_list_quantity(item: str, quantity: int, ctx: ToolContext) -> ToolResult:
    """Change how many of an item the shopping list holds (adds the item if it is missing).

    Args:
        item: The item, e.g. "eggs".
        quantity: How many in all, e.g. 12.
    """
    parts = _items(item)
    if len(parts) > 1:
        raise ToolError("Say one item at a time to change how many.", "several_items")
    name, key, _ = parts[0]
    if quantity < 1:
        raise ToolError(f"The quantity must be at least 1, not {quantity}.", "invalid_quantity")
    s = ctx.transaction()  # committed by Hearth together with the record of this call
    row = _find(s, key)
    if row is None:
        row = ShoppingItem(key=key, name=name, quantity=quantity)
    row.quantity, row.checked, row.updated_at = quantity, False, time.time()
    s.add(row)
    result = {"name": row.name, "quantity": row.quantity, "checked": False}
    return ToolResult(result, say=f"Changed {result['name']} to {quantity} on your shopping list.")


def is_on_shopping_list(item: str, ctx: ToolContext) -> ToolResult:
    """Answer whether an item is on the shopping list, and how many; changes nothing.

    Args:
        item: The item asked about, e.g. "milk".
    """
    if isinstance(item, str) and item.strip().lower() in _ANYTHING:
        return get_shopping_list(ctx)
    if isinstance(item, str):
        item = _QUESTION_TAIL.sub("", item.strip().strip("?")) or item
    answers, found = [], []
    with ctx.storage.session() as s:
        for name, key, _ in _items(item):
            row = _find(s, key)
            if row is None:
                answers.append(f"No, {name} is not on your shopping list.")
                found.append({"name": name, "on_list": False})
            elif row.checked:
                answers.append(f"{_cap(row.name)} is on your list, already checked off.")
                found.append({"name": row.name, "on_list": True, "quantity": row.quantity, "checked": True})
            else:
                what = f"{row.quantity} {row.name}" if row.quantity > 1 else row.name
                answers.append(f"Yes, {what} {'are' if row.quantity > 1 else 'is'} on your shopping list.")
                found.append({"name": row.name, "on_list": True, "quantity": row.quantity, "checked": False})
    return ToolResult(found[0] if len(found) == 1 else {"items": found}, say=" ".join(answers))


def get_shopping_list(ctx: ToolContext) -> ToolResult:
    """Read the shopping list: every item with its quantity and whether it is checked off."""
    with ctx.storage.session() as s:
        rows = s.exec(select(ShoppingItem).order_by(col(ShoppingItem.added_at), col(ShoppingItem.id))).all()
        items = [{"name": r.name, "quantity": r.quantity, "checked": r.checked} for r in rows]
    open_items = [i for i in items if not i["checked"]]
    if not open_items:
        say = "Your shopping list is empty."
    else:
        say = "On your shopping list: " + ", ".join(
            (f"{i['quantity']} {i['name']}" if i["quantity"] > 1 else i["name"]) for i in open_items) + "."
    return ToolResult({"items": items}, say=say)


def clear_shopping_list(ctx: ToolContext) -> ToolResult:
    """Remove every item from the shopping list."""
    s = ctx.transaction()  # committed by Hearth together with the record of this call
    rows = s.exec(select(ShoppingItem)).all()
    for r in rows:
        s.delete(r)
    n = len(rows)
    return ToolResult({"removed": n}, say=f"Cleared your shopping list ({n} item{'s' if n != 1 else ''}).")


_ITEMS = ["cereal", "paper towels", "soap", "ketchup", "grapes", "honey", "spinach", "mustard"]
_LIST = "[my|the|our] [shopping|grocery] list"


@hookimpl
def register_tools(register: RegisterTool) -> None:
    slots = {"item": _ITEMS, "quantity": [2, 3, 6]}
    # intents: Home Assistant's own English sentences for these intents match too (tier 1); the
    # templates here are tried first, so "remove/delete X from the list" removes rather than checks off.
    # {item} may name several things ("milk and two loaves of bread"): the tool splits them.
    register(add_to_shopping_list, slot_values=slots, intents={"HassShoppingListAddItem": None}, examples=[
        f"add {{item}} [to {_LIST}]", f"add (to|on) {_LIST} {{item}}", f"(put|stick|toss|throw|pop|chuck|bung|whack|slap) {{item}} (on|onto) {_LIST}",
        "(jot|note) down {item}",
        "we need [to (buy|get)] {item}", f"(we|I) need {{item}} (on|for) {_LIST}", "I need to (buy|get|pick up) {item}", "need more {item}", "I need {item}",
        "(we're|we are|I'm|I am) [running|almost|all] (out of|low on) {item}",
        "(we've|we have|I've|I have|we|I) (run|ran) out of {item}", "[we're|we are] out of {item}",
        "(can|could) (we|I) (get|buy|grab) {item}", "(buy|grab|get) {item} [next time|at the (store|shop)|later]",
        "we could use [some|more] {item}", "pick up {item} [on the way home|at the (store|shop)|later|next time]",
        "(put|write) down {item}",
        "remember [to (get|buy|pick up)] {item}", "remind me to (get|buy|pick up) {item}",
        "don't [let me] forget [to (get|buy|pick up)] {item}", "write down {item}", "(buy|get) more {item}",
        f"(put|write) {{item}} (on|down on) {_LIST}"])
    register(remove_from_shopping_list, slot_values=slots, intents={"HassShoppingListRemoveItem": None}, examples=[
        f"(remove|delete|drop) {{item}} [(from|on|off|in) {_LIST}]", f"take {{item}} off [{_LIST}]", "take off {item}",
        f"scratch {{item}} [off {_LIST}]", "(forget [about]) {item}", f"get rid of {{item}} [(on|from) {_LIST}]",
        "(we|I) (don't|do not) need {item} [any more|anymore]", "no more {item}",
        "no need for {item} [any more|anymore]", "(we|I) (have|got) enough {item} [now]"])
    register(check_off_shopping_list, slot_values=slots, intents={"HassShoppingListCompleteItem": None}, examples=[
        f"check off {{item}} [(on|from) {_LIST}]", f"check {{item}} off [{_LIST}]",
        "[I|we] [just|already] (bought|got|grabbed|picked up) {item}", "(I've|I have|we've|we have) (got|bought|picked up) {item}", "mark {item} as (bought|done)",
        "(cross|tick) off {item}", f"(cross|tick) {{item}} off [{_LIST}]",
        "{item} (is|are) (done|bought|in the (cart|basket|trolley))"])
    register(get_shopping_list, examples=[
        f"(what is|what's|whats) [still|left] on {_LIST} [right now|now|today]", f"read [me] {_LIST}",
        f"how many (items|things) are [there] on {_LIST}", f"how long is {_LIST}",
        f"(show|tell) me [what's on] {_LIST}",
        f"remind me (what's|what is|whats) on {_LIST}", f"(show|list) {_LIST}", "what do (I|we) need to (buy|get)",
        "what do (I|we) need from the (store|shop|supermarket)", f"is there anything on {_LIST}"])
    register(clear_shopping_list, examples=[
        f"(clear|empty) {_LIST}", f"(clear|delete|remove) everything [(on|from) {_LIST}]"])
    register(set_shopping_list_quantity, slot_values=slots, examples=[
        "(change|set|make) [the] {item} to {quantity}", "(change|set) [the] quantity of {item} to {quantity}"])
    register(is_on_shopping_list, slot_values={"item": _ITEMS}, examples=[
        f"(is|are) [there] {{item}} on {_LIST}", "(is|are) {item} on there", "do (I|we) [still] need {item}",
        "do (I|we) [still] (need|have) to (buy|get) {item}", f"any {{item}} on {_LIST}",
        f"do (I|we) have {{item}} [on {_LIST}]", f"did (I|we) [already] (add|put) {{item}} [on {_LIST}]",
        f"have (I|we) got {{item}} on {_LIST}", f"how many {{item}} (are|is) [there] on {_LIST}",
        f"how many {{item}} (do|did|have|should) (I|we) [need|have|got|get|buy|put] [down] [on {_LIST}]",
        "how many {item} (are|is) there", f"how many {{item}} on {_LIST}",
        "did (I|we) [already] (check|tick|cross) off {item}", f"is {{item}} (checked|ticked|crossed) off [{_LIST}]"])
