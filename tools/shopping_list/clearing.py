"""Clearing the shopping list (everything, or only what is checked off) and putting items back as they
were: the undo of a clear."""

from __future__ import annotations

import time

from hearth import ToolContext, ToolError, ToolResult

from .items import clean_name, item_key
from .store import ItemState, ShoppingItem, all_rows, find, state


def clear_shopping_list(ctx: ToolContext, checked_only: bool = False) -> ToolResult:
    """Remove every item from the shopping list, or only the items checked off.

    Args:
        checked_only: Remove only the items already checked off (bought); the rest stay.
    """
    s = ctx.transaction()
    rows = [r for r in all_rows(s) if r.checked or not checked_only]
    if not rows:
        say = "Nothing on your shopping list is checked off." if checked_only else "Your shopping list is already empty."
        return ToolResult({"removed": 0}, say=say)
    for r in rows:
        s.delete(r)
    n = len(rows)
    things = f"{n} item{'s' if n != 1 else ''}"
    say = (f"Removed the {things} checked off your shopping list." if checked_only
           else f"Cleared your shopping list ({things}).")
    return ToolResult({"removed": n}, say=say, undo=("restore_shopping_list", {"items": [state(r) for r in rows]}))


def restore_shopping_list(items: list[ItemState], ctx: ToolContext) -> ToolResult:
    """Put items back on the shopping list exactly as they were (the undo of clearing it).

    Args:
        items: Each item's name, quantity and whether it was checked off.
    """
    if not items:
        raise ToolError("Say which items to put back.", "item_missing")
    s = ctx.transaction()
    for entry in items:
        if entry["quantity"] < 1:
            raise ToolError(f"The quantity must be at least 1, not {entry['quantity']}.", "invalid_quantity")
        name = clean_name(entry["name"])
        row = find(s, item_key(name)) or ShoppingItem(key=item_key(name), name=name)
        row.quantity, row.checked, row.updated_at = entry["quantity"], entry["checked"], time.time()
        s.add(row)
    n = len(items)
    say = f"Put {items[0]['name'] if n == 1 else f'{n} items'} back on your shopping list."
    return ToolResult({"restored": n}, say=say)
