from __future__ import annotations

from typing import Any

from homeassistant.components.lock import LockEntity

from . import devices
from .entity import HomeDevice


async def async_setup_platform(hass, config, add, discovery_info=None) -> None:
    add([Lock(d) for d in devices("lock")])


class Lock(HomeDevice, LockEntity):
    def __init__(self, spec: dict) -> None:
        super().__init__(spec)
        self._attr_is_locked = spec.get("state") != "unlocked"

    async def async_lock(self, **kwargs: Any) -> None:
        self._attr_is_locked = True
        self.changed()

    async def async_unlock(self, **kwargs: Any) -> None:
        self._attr_is_locked = False
        self.changed()

    def set(self, state: str | None = None, **_) -> None:
        if state is not None:
            self._attr_is_locked = state != "unlocked"
