from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity

from . import devices
from .entity import HomeDevice


async def async_setup_platform(hass, config, add, discovery_info=None) -> None:
    add([Switch(d) for d in devices("switch")])


class Switch(HomeDevice, SwitchEntity):
    def __init__(self, spec: dict) -> None:
        super().__init__(spec)
        self._attr_is_on = spec.get("state") == "on"

    async def async_turn_on(self, **kwargs: Any) -> None:
        self._attr_is_on = True
        self.changed()

    async def async_turn_off(self, **kwargs: Any) -> None:
        self._attr_is_on = False
        self.changed()

    def set(self, state: str | None = None, **_) -> None:
        if state is not None:
            self._attr_is_on = state == "on"
