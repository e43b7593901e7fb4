"""The shopping list kept in a Home Assistant to-do entity (``[homeassistant] todo = true``; the entity is
``todo_entity``, ``todo.shopping_list`` by default: Home Assistant's Shopping List integration), so the list
Hearth fills is the one on everyone's phone.

:class:`TodoStore` reads the items over the websocket API (``todo/item/list``) and changes them with the
``todo`` services (``add_item``, ``update_item`` with ``status``, ``remove_item``), so Home Assistant's
app and automations see every change. Items are matched by name case- and plural-insensitively, as the
built-in shopping list matches them. Every method raises the plugin's coded :class:`hearth.ToolError`s
(``ha_unavailable`` when Home Assistant is down, ``item_not_found`` for an item not on the list).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hearth import ToolError

from .client import Connection
from .registry import fold
from .state import HomeAssistantState


@dataclass(frozen=True)
class TodoItem:
    name: str
    checked: bool
    uid: str


class TodoStore:
    """One Home Assistant to-do list, used as Hearth's shopping list."""

    def __init__(self, connection: Connection, entity_id: str = "todo.shopping_list") -> None:
        self.connection, self.entity_id = connection, entity_id

    async def items(self) -> list[TodoItem]:
        """Every item, in the list's order; ``checked`` for completed ones."""
        await self.connection.wait_connected(3)
        result = await self.connection.command("todo/item/list", entity_id=self.entity_id)
        return [TodoItem(i["summary"], i.get("status") == "completed", i.get("uid", ""))
                for i in (result or {}).get("items", [])]

    async def find(self, name: str) -> TodoItem | None:
        key = fold(name)
        return next((i for i in await self.items() if fold(i.name) == key), None)

    async def add(self, name: str) -> TodoItem:
        """Add ``name`` (an item already there and checked off is put back on the list instead)."""
        found = await self.find(name)
        if found is not None:
            if found.checked:
                await self._update(found.name, status="needs_action")
            return TodoItem(found.name, False, found.uid)
        await self._call("add_item", item=name)
        return TodoItem(name, False, "")

    async def check_off(self, name: str) -> TodoItem:
        found = await self._existing(name)
        await self._update(found.name, status="completed")
        return TodoItem(found.name, True, found.uid)

    async def remove(self, name: str) -> TodoItem:
        found = await self._existing(name)
        await self._call("remove_item", item=[found.name])
        return found

    async def clear(self) -> int:
        """Remove every item; how many there were."""
        items = await self.items()
        if items:
            await self._call("remove_item", item=[i.name for i in items])
        return len(items)

    async def _existing(self, name: str) -> TodoItem:
        found = await self.find(name)
        if found is None:
            raise ToolError(f"{name} is not on your shopping list", "item_not_found")
        return found

    async def _update(self, item: str, **data: Any) -> None:
        await self._call("update_item", item=item, **data)

    async def _call(self, service: str, **data: Any) -> None:
        await self.connection.call_service("todo", service, data, [self.entity_id])


def store(agent: Any) -> TodoStore | None:
    """``agent``'s to-do store when ``[homeassistant] todo = true`` and the plugin runs for it, else None."""
    connection = agent.state(HomeAssistantState).connection
    if connection is None or not connection.settings.todo:
        return None
    return TodoStore(connection, connection.settings.todo_entity)
