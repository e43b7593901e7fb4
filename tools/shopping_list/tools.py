"""The shopping list tools: add, remove, check off, set a quantity, ask about an item, read and clear.

Each writes through ``ctx.transaction()`` (committed by Hearth together with the record of the
call) and answers with a sentence to say.
"""

from __future__ import annotations

import time
from typing import Any

from sqlmodel import col, select

from hearth import ToolContext, ToolError, ToolResult

from .items import NOT_QTY, QUESTION_TAIL, parse_items
from .store import ShoppingItem, find


def _not_on_list(missing: list[str]) -> ToolError:
    """The error when none of the items named is on the list."""
    return ToolError(f"{_cap(_join(missing))} {'is' if len(missing) == 1 else 'are'} not on your shopping list.",
                     "item_not_found")



def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]



def add_to_shopping_list(item: str, ctx: ToolContext, quantity: int = 1) -> ToolResult:
    """Add an item to the shopping list; adding an item already there raises its quantity.

    Args:
        item: What to buy, e.g. "bread".
        quantity: How many to add.
    """
    # ``item`` may name several things ("milk, eggs and 2 loaves of bread"): each is added with its
    # own quantity; ``quantity`` applies to a single item. "12 eggs not 6" sets the quantity instead.
    correction = NOT_QTY.match(item.strip()) if isinstance(item, str) else None
    if correction:
        item = correction.group("item")
    parts = parse_items(item)
    added: list[dict[str, Any]] = []
    spoken: list[str] = []
    s = ctx.transaction()  # committed by Hearth together with the record of this call
    for name, key, qty in parts:
        n = qty if qty is not None and (quantity == 1 or len(parts) > 1) else (quantity if len(parts) == 1 else 1)
        if n < 1:
            raise ToolError(f"The quantity must be at least 1, not {n}.", "invalid_quantity")
        row = find(s, key)
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
    for name, key, _ in parse_items(item):
        row = find(s, key)
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
    for name, key, _ in parse_items(item):
        row = find(s, key)
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
    parts = parse_items(item)
    if len(parts) > 1:
        raise ToolError("Say one item at a time to change how many.", "several_items")
    name, key, _ = parts[0]
    if quantity < 1:
        raise ToolError(f"The quantity must be at least 1, not {quantity}.", "invalid_quantity")
    s = ctx.transaction()  # committed by Hearth together with the record of this call
    row = find(s, key)
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
        item = QUESTION_TAIL.sub("", item.strip().strip("?")) or item
    answers, found = [], []
    with ctx.storage.session() as s:
        for name, key, _ in parse_items(item):
            row = find(s, key)
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

