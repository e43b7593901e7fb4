from __future__ import annotations

from typing import Any

from homeassistant.components.fan import FanEntity, FanEntityFeature

from . import devices
from .entity import HomeDevice


async def async_setup_platform(hass, config, add, discovery_info=None) -> None:
    add([Fan(d) for d in devices("fan")])


class Fan(HomeDevice, FanEntity):
    def __init__(self, spec: dict) -> None:
        super().__init__(spec)
        features = FanEntityFeature(0)
        if "speed" in self.features:
            features |= FanEntityFeature.SET_SPEED
        if "oscillate" in self.features:
            features |= FanEntityFeature.OSCILLATE
            self._attr_oscillating = False
        self._attr_supported_features = features
        self._on = spec.get("state") == "on"
        self._attr_percentage = (100 if self._on else 0) if "speed" in self.features else None

    @property
    def is_on(self) -> bool:
        return self._on

    async def async_turn_on(self, percentage: int | None = None, preset_mode: str | None = None, **kwargs: Any) -> None:
        self._on = True
        if "speed" in self.features:
            self._attr_percentage = percentage if percentage is not None else (self._attr_percentage or 100)
        self.changed()

    async def async_turn_off(self, **kwargs: Any) -> None:
        self._on = False
        if "speed" in self.features:
            self._attr_percentage = 0
        self.changed()

    async def async_set_percentage(self, percentage: int) -> None:
        self._attr_percentage = percentage
        self._on = percentage > 0
        self.changed()

    async def async_oscillate(self, oscillating: bool) -> None:
        self._attr_oscillating = oscillating
        self.changed()

    def set(self, state: str | None = None, percentage: int | None = None, **_) -> None:
        if state is not None:
            self._on = state == "on"
        if percentage is not None and "speed" in self.features:
            self._attr_percentage = percentage
        elif "speed" in self.features and state is not None:
            self._attr_percentage = (self._attr_percentage or 50) if self._on else 0
