from __future__ import annotations

from typing import Any

from homeassistant.components.cover import ATTR_POSITION, CoverEntity, CoverEntityFeature

from . import devices
from .entity import HomeDevice


async def async_setup_platform(hass, config, add, discovery_info=None) -> None:
    add([Cover(d) for d in devices("cover")])


class Cover(HomeDevice, CoverEntity):
    def __init__(self, spec: dict) -> None:
        super().__init__(spec)
        features = CoverEntityFeature.OPEN | CoverEntityFeature.CLOSE
        self.positioned = "position" in self.features
        if self.positioned:
            features |= CoverEntityFeature.SET_POSITION | CoverEntityFeature.STOP
        self._attr_supported_features = features
        self._position = 100 if spec.get("state") == "open" else 0

    @property
    def current_cover_position(self) -> int | None:
        return self._position if self.positioned else None

    @property
    def is_closed(self) -> bool:
        return self._position == 0

    async def async_open_cover(self, **kwargs: Any) -> None:
        self._position = 100
        self.changed()

    async def async_close_cover(self, **kwargs: Any) -> None:
        self._position = 0
        self.changed()

    async def async_set_cover_position(self, **kwargs: Any) -> None:
        self._position = int(kwargs[ATTR_POSITION])
        self.changed()

    async def async_stop_cover(self, **kwargs: Any) -> None:
        self.changed()

    def set(self, state: str | None = None, position: int | None = None, **_) -> None:
        if position is not None:
            self._position = position
        elif state is not None:
            self._position = 100 if state == "open" else 0
