from __future__ import annotations

from typing import Any

from homeassistant.components.vacuum import (
    STATE_CLEANING,
    STATE_DOCKED,
    STATE_RETURNING,
    StateVacuumEntity,
    VacuumEntityFeature,
)
from homeassistant.const import STATE_IDLE, STATE_PAUSED

from . import devices
from .entity import HomeDevice


async def async_setup_platform(hass, config, add, discovery_info=None) -> None:
    add([Vacuum(d) for d in devices("vacuum")])


class Vacuum(HomeDevice, StateVacuumEntity):
    _attr_supported_features = (VacuumEntityFeature.START | VacuumEntityFeature.STOP | VacuumEntityFeature.PAUSE
                                | VacuumEntityFeature.RETURN_HOME | VacuumEntityFeature.STATE)

    def __init__(self, spec: dict) -> None:
        super().__init__(spec)
        self._state = spec.get("state") or STATE_DOCKED

    @property
    def state(self) -> str:
        return self._state

    def _to(self, state: str) -> None:
        self._state = state
        self.changed()

    async def async_start(self) -> None:
        self._to(STATE_CLEANING)

    async def async_pause(self) -> None:
        self._to(STATE_PAUSED)

    async def async_stop(self, **kwargs: Any) -> None:
        self._to(STATE_IDLE)

    async def async_return_to_base(self, **kwargs: Any) -> None:
        self._to(STATE_RETURNING)

    def set(self, state: str | None = None, **_) -> None:
        if state is not None:
            self._state = state
