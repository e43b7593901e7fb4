from __future__ import annotations

from homeassistant.components.valve import ValveEntity, ValveEntityFeature

from . import devices
from .entity import HomeDevice


async def async_setup_platform(hass, config, add, discovery_info=None) -> None:
    add([Valve(d) for d in devices("valve")])


class Valve(HomeDevice, ValveEntity):
    _attr_reports_position = False
    _attr_supported_features = ValveEntityFeature.OPEN | ValveEntityFeature.CLOSE

    def __init__(self, spec: dict) -> None:
        super().__init__(spec)
        self._attr_is_closed = spec.get("state") != "open"

    async def async_open_valve(self) -> None:
        self._attr_is_closed = False
        self.changed()

    async def async_close_valve(self) -> None:
        self._attr_is_closed = True
        self.changed()

    def set(self, state: str | None = None, **_) -> None:
        if state is not None:
            self._attr_is_closed = state != "open"
