"""The shopping list: add, remove, check off, uncheck, find, count, read and clear items (its own
SQLModel table).

Items are matched case- and plural-tolerantly: "Bread", "bread" and "breads" are one item. Each tool
takes its ``item`` literally as one item; the phrasing people use (``sentences/en.yaml``) is matched by
the core, which splits "milk, eggs and two loaves of bread" into one call per item with its quantity.
Every write answers with the call that undoes it.

The package: ``items`` (an item's name and key), ``store`` (the table), ``tools`` (the item tools),
``reads`` (the questions), ``clearing`` (clear and restore); this module registers them and the sentences.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hearth import RegisterTool, hookimpl

from .clearing import clear_shopping_list, restore_shopping_list
from .items import clean_name, item_key, split_quantity
from .reads import count_shopping_list, get_shopping_list, is_on_shopping_list
from .store import ShoppingItem
from .tools import (
    add_to_shopping_list,
    check_off_shopping_list,
    remove_from_shopping_list,
    set_shopping_list_quantity,
    uncheck_shopping_list,
)

__version__ = "0.3.0"
__all__ = ["ShoppingItem", "add_to_shopping_list", "check_off_shopping_list", "clean_name", "clear_shopping_list",
           "count_shopping_list", "get_shopping_list", "is_on_shopping_list", "item_key", "remove_from_shopping_list",
           "restore_shopping_list", "set_shopping_list_quantity", "split_quantity", "uncheck_shopping_list"]


@hookimpl
def register_sentences(register: Callable[[Path], None]) -> None:
    """The shopping list's phrasing: ``sentences/<language>.yaml``."""
    register(Path(__file__).parent / "sentences")


_ITEMS = ["cereal", "paper towels", "soap", "ketchup", "grapes", "honey", "spinach", "mustard"]


@hookimpl
def register_tools(register: RegisterTool) -> None:
    """The shopping list's tools; their phrasing is in ``sentences/`` (see :func:`register_sentences`)."""
    item = {"item": _ITEMS}
    slots = {**item, "quantity": [2, 3, 6]}
    # intents: Home Assistant's own English sentences for these intents match too (tier 1)
    register(add_to_shopping_list, slot_values=slots, intents={"HassShoppingListAddItem": None})
    register(remove_from_shopping_list, slot_values=item, intents={"HassShoppingListRemoveItem": None})
    register(check_off_shopping_list, slot_values=item, intents={"HassShoppingListCompleteItem": None})
    # reached by its sentences and by "undo" after a check-off; a small model confuses it with an add
    register(uncheck_shopping_list, slot_values=item, hints={"model": False})
    # the web page shows this tool's items in a panel of that title
    register(get_shopping_list, hints={"panel": "Shopping list"})
    register(count_shopping_list)
    register(clear_shopping_list, destructive=True)
    register(set_shopping_list_quantity, slot_values=slots)
    register(is_on_shopping_list, slot_values=item)
    register(restore_shopping_list, hints={"model": False})  # an undo step only
