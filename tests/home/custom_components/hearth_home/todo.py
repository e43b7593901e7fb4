from __future__ import annotations

import uuid

from homeassistant.components.todo import TodoItem, TodoItemStatus, TodoListEntity, TodoListEntityFeature

from . import devices
from .entity import HomeDevice


async def async_setup_platform(hass, config, add, discovery_info=None) -> None:
    add([TodoList(d) for d in devices("todo")])


class TodoList(HomeDevice, TodoListEntity):
    _attr_supported_features = (TodoListEntityFeature.CREATE_TODO_ITEM | TodoListEntityFeature.UPDATE_TODO_ITEM
                                | TodoListEntityFeature.DELETE_TODO_ITEM)

    def __init__(self, spec: dict) -> None:
        super().__init__(spec)
        self._attr_todo_items = [TodoItem(summary=s, uid=uuid.uuid4().hex, status=TodoItemStatus.NEEDS_ACTION)
                                 for s in spec.get("items") or ()]

    async def async_create_todo_item(self, item: TodoItem) -> None:
        self._attr_todo_items.append(TodoItem(summary=item.summary, uid=uuid.uuid4().hex,
                                              status=item.status or TodoItemStatus.NEEDS_ACTION))
        self.changed()

    async def async_update_todo_item(self, item: TodoItem) -> None:
        self._attr_todo_items = [item if i.uid == item.uid else i for i in self._attr_todo_items]
        self.changed()

    async def async_delete_todo_items(self, uids: list[str]) -> None:
        self._attr_todo_items = [i for i in self._attr_todo_items if i.uid not in uids]
        self.changed()

    def set(self, items: list[str] | None = None, **_) -> None:
        if items is not None:
            self._attr_todo_items = [TodoItem(summary=s, uid=uuid.uuid4().hex, status=TodoItemStatus.NEEDS_ACTION)
                                     for s in items]
