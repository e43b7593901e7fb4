from __future__ import annotations

from typing import Any

from homeassistant.components.light import (
    ATTR_BRIGHTNESS,
    ATTR_COLOR_TEMP_KELVIN,
    ATTR_HS_COLOR,
    ColorMode,
    LightEntity,
)

from . import devices
from .entity import HomeDevice


async def async_setup_platform(hass, config, add, discovery_info=None) -> None:
    add([Light(d) for d in devices("light")])


class Light(HomeDevice, LightEntity):
    def __init__(self, spec: dict) -> None:
        super().__init__(spec)
        f = self.features
        mode = (ColorMode.HS if "color" in f else ColorMode.COLOR_TEMP if "color_temp" in f
                else ColorMode.BRIGHTNESS if "brightness" in f else ColorMode.ONOFF)
        self._attr_supported_color_modes = {mode}
        self._attr_color_mode = mode
        self._attr_is_on = spec.get("state") == "on"
        self._attr_brightness = 255 if mode != ColorMode.ONOFF else None
        self._attr_hs_color = (30.0, 20.0) if mode == ColorMode.HS else None
        self._attr_color_temp_kelvin = 3000 if mode == ColorMode.COLOR_TEMP else None
        self._attr_min_color_temp_kelvin, self._attr_max_color_temp_kelvin = 2000, 6500

    async def async_turn_on(self, **kwargs: Any) -> None:
        self._attr_is_on = True
        if ATTR_BRIGHTNESS in kwargs and self._attr_brightness is not None:
            self._attr_brightness = kwargs[ATTR_BRIGHTNESS]
        if ATTR_HS_COLOR in kwargs and self._attr_hs_color is not None:
            self._attr_hs_color = kwargs[ATTR_HS_COLOR]
        if ATTR_COLOR_TEMP_KELVIN in kwargs and self._attr_color_temp_kelvin is not None:
            self._attr_color_temp_kelvin = kwargs[ATTR_COLOR_TEMP_KELVIN]
        self.changed()

    async def async_turn_off(self, **kwargs: Any) -> None:
        self._attr_is_on = False
        self.changed()

    def set(self, state: str | None = None, brightness: int | None = None, **_) -> None:
        if state is not None:
            self._attr_is_on = state == "on"
        if brightness is not None and self._attr_brightness is not None:
            self._attr_brightness = round(brightness * 255 / 100)
