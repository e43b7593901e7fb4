"""The shopping list's item tools: add, remove, check off, uncheck and set a quantity.

Each takes ``item`` literally as one item (splitting a request into items is the understanding
layer's job), writes through ``ctx.transaction()`` (committed by Hearth together with the record of
the call) and answers with a sentence to say and ``undo``: the call that puts back exactly what it
changed. An item that is not on the list is left alone and the answer says so.
"""

from __future__ import annotations

import time
from typing import Any

from hearth import ToolContext, ToolError, ToolResult

from .items import clean_name, item_key
from .lookup import lookup
from .store import ShoppingItem, all_rows, find, state

Undo = tuple[str, dict[str, Any]]


def cap(text: str) -> str:
    """``text`` with a capital first letter."""
    return text[:1].upper() + text[1:]


def amount(name: str, quantity: int) -> str:
    """``"3 lemons"``, or the bare name for one."""
    return f"{quantity} {name}" if quantity > 1 else name


def put_back(row: ShoppingItem) -> Undo:
    """The call that puts ``row`` back as it is now (after it is removed or changed)."""
    if row.checked:
        return "restore_shopping_list", {"items": [state(row)]}
    return "add_to_shopping_list", {"item": row.name, "quantity": row.quantity}


def _on_list(s: Any, item: str) -> ShoppingItem:
    """The row ``item`` means (:func:`~.lookup.lookup`); ToolError("item_not_found") when it is not on
    the list, ToolError("item_ambiguous") with a question when it may be one of several."""
    return lookup(all_rows(s), item)


def _check_quantity(quantity: int) -> None:
    if quantity < 1:
        raise ToolError(f"The quantity must be at least 1, not {quantity}.", "invalid_quantity")


def add_to_shopping_list(item: str, ctx: ToolContext, quantity: int = 1) -> ToolResult:
    """Add one item to the shopping list; adding an item already there raises its quantity.

    Args:
        item: One thing to buy, e.g. "bread" (call once per item).
        quantity: How many to add.
    """
    _check_quantity(quantity)
    name = clean_name(item)
    s = ctx.transaction()
    row = find(s, item_key(name))
    undo: Undo
    if row is None:
        row = ShoppingItem(key=item_key(name), name=name, quantity=quantity)
        undo = ("remove_from_shopping_list", {"item": name})
    elif row.checked:  # bought already: back on the list, with the quantity asked for now
        undo = ("restore_shopping_list", {"items": [state(row)]})
        row.checked, row.quantity = False, quantity
    else:
        undo = ("set_shopping_list_quantity", {"item": row.name, "quantity": row.quantity})
        row.quantity += quantity
    row.updated_at = time.time()
    s.add(row)
    return ToolResult(state(row), say=f"Added {amount(name, quantity)} to your shopping list.", undo=undo)


def remove_from_shopping_list(item: str, ctx: ToolContext) -> ToolResult:
    """Remove one item from the shopping list entirely.

    Args:
        item: The item to remove, e.g. "milk" (call once per item).
    """
    s = ctx.transaction()
    row = _on_list(s, item)
    undo = put_back(row)
    s.delete(row)
    return ToolResult({"name": row.name, "removed": True}, say=f"Removed {row.name} from your shopping list.",
                      undo=undo)


def check_off_shopping_list(ctx: ToolContext, item: str = "", everything: bool = False) -> ToolResult:
    """Check off one item on the shopping list as bought (it stays on the list, ticked), or everything on it.

    Args:
        item: The item that was bought, e.g. "eggs" (call once per item).
        everything: Check off every item still to buy instead of one.
    """
    s = ctx.transaction()
    if everything:
        return _check_off_everything(s)
    row = _on_list(s, item)
    if row.checked:
        return ToolResult(state(row), say=f"{cap(row.name)} is already checked off.")
    row.checked, row.updated_at = True, time.time()
    s.add(row)
    return ToolResult(state(row), say=f"Checked off {row.name}.", undo=("uncheck_shopping_list", {"item": row.name}))


def _check_off_everything(s: Any) -> ToolResult:
    rows = [r for r in all_rows(s) if not r.checked]
    if not rows:
        raise ToolError("Your shopping list has nothing left to check off.", "item_not_found")
    undo = ("restore_shopping_list", {"items": [state(r) for r in rows]})
    for row in rows:
        row.checked, row.updated_at = True, time.time()
        s.add(row)
    names = [r.name for r in rows]
    said = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return ToolResult({"items": [state(r) for r in rows]}, say=f"Checked off {said}.", undo=undo)


def uncheck_shopping_list(item: str, ctx: ToolContext) -> ToolResult:
    """Put a checked-off item back on the shopping list as still to buy (its quantity kept).

    Args:
        item: The checked-off item, e.g. "eggs".
    """
    s = ctx.transaction()
    row = _on_list(s, item)
    if not row.checked:
        return ToolResult(state(row), say=f"{cap(row.name)} is on your shopping list and not checked off.")
    row.checked, row.updated_at = False, time.time()
    s.add(row)
    return ToolResult(state(row), say=f"Put {row.name} back on your shopping list.",
                      undo=("check_off_shopping_list", {"item": row.name}))


def set_shopping_list_quantity(item: str, quantity: int, ctx: ToolContext) -> ToolResult:
    """Change how many of an item on the shopping list to buy (the item must be on the list).

    Args:
        item: The item, e.g. "eggs".
        quantity: How many in all, e.g. 12.
    """
    _check_quantity(quantity)
    s = ctx.transaction()
    row = _on_list(s, item)
    undo: Undo | None = None
    if row.checked:
        undo = ("restore_shopping_list", {"items": [state(row)]})
    elif row.quantity != quantity:
        undo = ("set_shopping_list_quantity", {"item": row.name, "quantity": row.quantity})
    row.quantity, row.checked, row.updated_at = quantity, False, time.time()
    s.add(row)
    return ToolResult(state(row), say=f"Changed {row.name} to {quantity} on your shopping list.", undo=undo)
