"""The shopping list: add, remove, check off, read and clear items (its own SQLModel table).

Items are matched case- and plural-tolerantly: "Bread", "bread" and "breads" are one item.
Quantities inside the item text are understood: "2 loaves of bread" is bread x2.
"""

from __future__ import annotations

import re
import time

from sqlmodel import Field, SQLModel, col, select

from hearth import RegisterTool, ToolContext, ToolError, ToolResult, hookimpl

__version__ = "0.1.0"

_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2, "a dozen": 12,
    "dozen": 12, "a few": 3, "couple of": 2,
}
_CONTAINERS = (
    "loaf|loaves|bottle|bottles|carton|cartons|pack|packs|package|packages|bag|bags|can|cans|jar|jars|"
    "box|boxes|bunch|bunches|head|heads|tin|tins|tub|tubs|dozen|pound|pounds|lb|lbs|kilo|kilos|kg|"
    "gallon|gallons|liter|liters|litre|litres|piece|pieces|slice|slices|packet|packets|roll|rolls|bar|bars|"
    "stick|sticks|cup|cups|container|containers|block|blocks|crate|crates"
)
_LEADING_QTY = re.compile(
    r"^(?P<n>\d+|" + "|".join(sorted((re.escape(w) for w in _NUMBER_WORDS), key=len, reverse=True)) + r")\s+"
    r"(?:(?:" + _CONTAINERS + r")\s+of\s+)?(?P<rest>.+)$",
    re.I,
)
_ARTICLE = re.compile(r"^(?:some|the|more|extra|any)\s+", re.I)


class ShoppingItem(SQLModel, table=True):
    __tablename__ = "shopping_list_items"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True)
    name: str
    quantity: int = 1
    checked: bool = False
    added_at: float = Field(default_factory=time.time)
    updated_at: float = Field(default_factory=time.time)


def split_quantity(text: str) -> tuple[str, int | None]:
    """``"2 loaves of bread"`` -> ``("bread", 2)``; ``"milk"`` -> ``("milk", None)``."""
    text = re.sub(r"\s+", " ", text.strip().strip(".!?,")).strip()
    m = _LEADING_QTY.match(text)
    if m and m.group("rest").strip():
        n = m.group("n").lower()
        qty = int(n) if n.isdigit() else _NUMBER_WORDS[n]
        return _ARTICLE.sub("", m.group("rest")).strip(), qty
    return _ARTICLE.sub("", text).strip(), None


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
    name, qty = split_quantity(item)
    if not name:
        raise ToolError("Say which item you mean.", "item_missing")
    return name, item_key(name), qty


def _find(session, key: str) -> ShoppingItem | None:
    return session.exec(select(ShoppingItem).where(ShoppingItem.key == key)).first()


def add_to_shopping_list(item: str, ctx: ToolContext, quantity: int = 1) -> ToolResult:
    """Add an item to the shopping list; adding an item already there raises its quantity.

    Args:
        item: What to buy, e.g. "bread".
        quantity: How many to add.
    """
    name, key, qty = _clean(item)
    if qty is not None and quantity == 1:
        quantity = qty
    if quantity < 1:
        raise ToolError(f"The quantity must be at least 1, not {quantity}.", "invalid_quantity")
    with ctx.storage.session() as s:
        row = _find(s, key)
        if row is None:
            row = ShoppingItem(key=key, name=name, quantity=quantity)
        elif row.checked:
            row.checked, row.quantity = False, quantity
        else:
            row.quantity += quantity
        row.updated_at = time.time()
        s.add(row)
        s.flush()
        result = {"name": row.name, "quantity": row.quantity, "checked": row.checked}
    count = f"{quantity} " if quantity > 1 else ""
    return ToolResult(result, say=f"Added {count}{name} to your shopping list.")


def remove_from_shopping_list(item: str, ctx: ToolContext) -> ToolResult:
    """Remove an item from the shopping list entirely.

    Args:
        item: The item to remove, e.g. "milk".
    """
    name, key, _ = _clean(item)
    with ctx.storage.session() as s:
        row = _find(s, key)
        if row is None:
            raise ToolError(f"{name} is not on your shopping list.", "item_not_found")
        s.delete(row)
        result = {"name": row.name, "removed": True}
    return ToolResult(result, say=f"Removed {row.name} from your shopping list.")


def check_off_shopping_list(item: str, ctx: ToolContext) -> ToolResult:
    """Check off an item on the shopping list as bought.

    Args:
        item: The item that was bought, e.g. "eggs".
    """
    name, key, _ = _clean(item)
    with ctx.storage.session() as s:
        row = _find(s, key)
        if row is None:
            raise ToolError(f"{name} is not on your shopping list.", "item_not_found")
        row.checked, row.updated_at = True, time.time()
        s.add(row)
        result = {"name": row.name, "quantity": row.quantity, "checked": True}
    return ToolResult(result, say=f"Checked off {row.name}.")


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
    with ctx.storage.session() as s:
        rows = s.exec(select(ShoppingItem)).all()
        for r in rows:
            s.delete(r)
        n = len(rows)
    return ToolResult({"removed": n}, say=f"Cleared your shopping list ({n} item{'s' if n != 1 else ''}).")


_ITEMS = ["cereal", "paper towels", "soap", "ketchup", "grapes", "honey", "spinach", "mustard"]


@hookimpl
def register_tools(register: RegisterTool) -> None:
    slots = {"item": _ITEMS, "quantity": [2, 3, 6]}
    # intents: Home Assistant's own English sentences for these intents match too (tier 1); the
    # templates here are tried first, so "remove/delete X from the list" removes rather than checks off
    register(add_to_shopping_list, slot_values=slots, intents={"HassShoppingListAddItem": None}, examples=[
        "add {item} to [my|the] shopping list", "put {item} on [my|the] [shopping] list",
        "(add|buy) {quantity} {item}", "we need {item}", "I need to buy {item}"])
    register(remove_from_shopping_list, slot_values=slots, intents={"HassShoppingListRemoveItem": None}, examples=[
        "remove {item} from [my|the] [shopping] list", "take {item} off [my|the] [shopping] list",
        "delete {item} from [my|the] [shopping] list", "(remove|delete) {item} (in|on) [my|the] [shopping] list"])
    register(check_off_shopping_list, slot_values=slots, intents={"HassShoppingListCompleteItem": None}, examples=[
        "check off {item} [on|from] [my|the] [shopping] list", "I (bought|got) {item}",
        "mark {item} as (bought|done)", "(cross|tick) off {item}"])
    register(get_shopping_list, examples=[
        "what is on [my|the] shopping list", "read [me] [my|the] shopping list",
        "(show|list) [my|the] shopping list", "what do I need to buy"])
    register(clear_shopping_list, examples=[
        "clear [my|the] shopping list", "empty [my|the] shopping list", "delete everything on [my|the] list"])
