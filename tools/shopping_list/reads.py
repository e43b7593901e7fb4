"""The shopping list's questions: read the list, count it, and ask about one item. They change nothing."""

from __future__ import annotations

from hearth import ToolContext, ToolError, ToolResult

from .items import clean_name
from .lookup import lookup
from .store import all_rows, state
from .tools import amount, cap


def get_shopping_list(ctx: ToolContext) -> ToolResult:
    """Read the shopping list: every item with its quantity and whether it is checked off."""
    with ctx.storage.session() as s:
        items = [state(r) for r in all_rows(s)]
    open_items = [i for i in items if not i["checked"]]
    if not open_items:
        say = "Your shopping list is empty."
    else:
        say = "On your shopping list: " + ", ".join(amount(i["name"], i["quantity"]) for i in open_items) + "."
    return ToolResult({"items": items}, say=say)


def count_shopping_list(ctx: ToolContext) -> ToolResult:
    """Count the items on the shopping list: how many are still to buy and how many are checked off."""
    with ctx.storage.session() as s:
        rows = all_rows(s)
    left = sum(1 for r in rows if not r.checked)
    done = len(rows) - left
    if left == 0:
        say = "Your shopping list is empty."
    else:
        say = f"There {'is 1 thing' if left == 1 else f'are {left} things'} on your shopping list."
    if done:
        say += f" {done} more {'is' if done == 1 else 'are'} checked off."
    return ToolResult({"to_buy": left, "checked": done}, say=say)


def is_on_shopping_list(item: str, ctx: ToolContext) -> ToolResult:
    """Answer whether one item is on the shopping list, and how many; changes nothing.

    Args:
        item: The item asked about, e.g. "milk".
    """
    name = clean_name(item)
    with ctx.storage.session() as s:
        try:
            row = lookup(all_rows(s), name, guess=True)
        except ToolError as err:
            if err.code != "item_not_found":
                raise
            return ToolResult({"name": name, "on_list": False}, say=f"No, {name} is not on your shopping list.")
        found = {**state(row), "on_list": True}
    if row.checked:
        return ToolResult(found, say=f"{cap(row.name)} is on your list, already checked off.")
    if row.quantity > 1:
        return ToolResult(found, say=f"Yes, {amount(row.name, row.quantity)} are on your shopping list.")
    return ToolResult(found, say=f"Yes, {row.name} is on your shopping list (1).")
