"""What every device of the test home shares: its entity id, name and unique id from home.json."""

from __future__ import annotations

from homeassistant.helpers.entity import Entity


class HomeDevice(Entity):
    _attr_should_poll = False
    _attr_has_entity_name = False

    def __init__(self, spec: dict) -> None:
        self.spec = spec
        self.entity_id = spec["id"]  # the suggested entity id: names repeat across rooms
        self._attr_unique_id = f"hearth_home_{spec['id']}"
        self._attr_name = spec["name"]
        self.features = set(spec.get("features") or ())
        if spec.get("device_class"):
            self._attr_device_class = spec["device_class"]

    async def async_added_to_hass(self) -> None:
        self.hass.data["hearth_home"][self.entity_id] = self

    def changed(self) -> None:
        self.async_write_ha_state()

    def arrange(self, **state) -> None:
        """Take ``state`` (the keys of a benchmark's setup: state, brightness, percentage, position...)."""
        self.set(**state)
        self.changed()

    def set(self, **state) -> None:
        raise NotImplementedError
