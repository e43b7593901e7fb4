"""Home Assistant's to-do lists by name (``HassListAddItem``, ``HassListCompleteItem``,
``HassListRemoveItem`` and ``HassListGetItems``): "add screws to the hardware list", "what's on the party
list". The list named is an exposed ``todo`` entity; the one that mirrors Hearth's own shopping list
(``[homeassistant] todo_entity``) is left to the shopping-list tools. Items go through :class:`.todo.TodoStore`
(Home Assistant's ``todo`` services), so the app and automations see every change."""

from __future__ import annotations

from hearth import ToolContext, ToolError, ToolResult

from .registry import Entity
from .todo import TodoStore
from .tools import _ready, _targets, connection


async def _list(name: str, ctx: ToolContext) -> tuple[Entity, TodoStore]:
    await _ready(ctx)
    said = " ".join(w for w in name.split() if w.lower() not in ("list", "to-do", "todo"))
    mirror = connection(ctx).settings.todo_entity  # Hearth's own shopping list is the shopping-list tools'
    found = [e for e in await _targets(said or name, None, "todo", None, ctx) if e.entity_id != mirror]
    if not found:
        raise ToolError(f"Sorry, I am not aware of any list called {name}", "ha_no_such_name")
    if len(found) != 1:
        raise ToolError(f"Which list: {', '.join(sorted(e.name for e in found))}?", "name_ambiguous")
    return found[0], TodoStore(connection(ctx), found[0].entity_id)


def _item(item: str) -> str:
    item = " ".join(item.split())
    if not item:
        raise ToolError("What should I put on the list?", "item_missing")
    return item


async def _change(item: str, name: str, ctx: ToolContext, step: str, said: str) -> ToolResult:
    """One change of a named list: ``step`` is the :class:`.todo.TodoStore` method, ``said`` the sentence
    ("Added {item} to the {list} list")."""
    entity, store = await _list(name, ctx)
    changed = await getattr(store, step)(_item(item))
    return ToolResult({"list": entity.name, "item": changed.name}, say=said.format(item=changed.name, list=entity.name))


async def HassListAddItem(item: str, name: str, *, ctx: ToolContext) -> ToolResult:
    """Add an item to a to-do list of the home.

    Args:
        item: The item, e.g. "screws".
        name: The list's name, e.g. "Hardware".
    """
    return await _change(item, name, ctx, "add", "Added {item} to the {list} list")


async def HassListCompleteItem(item: str, name: str, *, ctx: ToolContext) -> ToolResult:
    """Check an item off a to-do list of the home.

    Args:
        item: The item, e.g. "balloons".
        name: The list's name, e.g. "Party".
    """
    return await _change(item, name, ctx, "check_off", "Checked {item} off the {list} list")


async def HassListRemoveItem(item: str, name: str, *, ctx: ToolContext) -> ToolResult:
    """Remove an item from a to-do list of the home.

    Args:
        item: The item, e.g. "candles".
        name: The list's name, e.g. "Party".
    """
    return await _change(item, name, ctx, "remove", "Removed {item} from the {list} list")


async def HassListGetItems(name: str, *, ctx: ToolContext) -> ToolResult:
    """Read what is on a to-do list of the home.

    Args:
        name: The list's name, e.g. "Chores".
    """
    entity, store = await _list(name, ctx)
    items = [i.name for i in await store.items() if not i.checked]
    if not items:
        return ToolResult({"list": entity.name, "items": []}, say=f"The {entity.name} list is empty")
    listed = items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
    return ToolResult({"list": entity.name, "items": items}, say=f"On the {entity.name} list: {listed}")


TOOLS = [HassListAddItem, HassListCompleteItem, HassListRemoveItem, HassListGetItems]
EXAMPLES: dict[str, list[str]] = {
    "HassListAddItem": ["add {item} to the {name} list"], "HassListCompleteItem": ["check {item} off the {name} list"],
    "HassListRemoveItem": ["remove {item} from the {name} list"], "HassListGetItems": ["what is on the {name} list"],
}
