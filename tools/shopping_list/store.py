"""The shopping list's table (its own SQLModel table in Hearth's storage) and how to read it."""

from __future__ import annotations

import time
from typing import Any

from sqlmodel import Field, SQLModel, col, select
from typing_extensions import TypedDict


class ShoppingItem(SQLModel, table=True):
    __tablename__ = "shopping_list_items"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True)
    name: str
    quantity: int = 1
    checked: bool = False
    added_at: float = Field(default_factory=time.time)
    updated_at: float = Field(default_factory=time.time)


class ItemState(TypedDict):
    """One item as the list holds it: what ``restore_shopping_list`` puts back."""

    name: str
    quantity: int
    checked: bool


def state(row: ShoppingItem) -> ItemState:
    """The row's name, quantity and checked state (the tools' result for one item)."""
    return {"name": row.name, "quantity": row.quantity, "checked": row.checked}


def find(session: Any, key: str) -> ShoppingItem | None:
    """The item with this key (:func:`~.items.item_key`), if it is on the list."""
    return session.exec(select(ShoppingItem).where(ShoppingItem.key == key)).first()


def all_rows(session: Any) -> list[ShoppingItem]:
    """Every item, in the order it was added."""
    return list(session.exec(select(ShoppingItem).order_by(col(ShoppingItem.added_at), col(ShoppingItem.id))).all())
