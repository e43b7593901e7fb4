"""The shopping list's table (its own SQLModel table in Hearth's storage) and how to read it."""

from __future__ import annotations

import time
from typing import Any

from sqlmodel import Field, SQLModel, select


class ShoppingItem(SQLModel, table=True):
    __tablename__ = "shopping_list_items"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True)
    name: str
    quantity: int = 1
    checked: bool = False
    added_at: float = Field(default_factory=time.time)
    updated_at: float = Field(default_factory=time.time)



def find(session: Any, key: str) -> ShoppingItem | None:
    """The item with this key (:func:`~.items.item_key`), if it is on the list."""
    return session.exec(select(ShoppingItem).where(ShoppingItem.key == key)).first()

