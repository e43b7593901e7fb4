"""The Hearth test home: in-memory devices (lights, fans, covers, valves, a vacuum, locks, media players,
switches, to-do lists) for Hearth's tests and benchmarks, from ``home.json`` beside this file (written by
tests/homeassistant_server.py from tests/home/home.yaml). Each changes state at once when a service is called,
so a benchmark reads the outcome without waiting. Loaded with ``hearth_home:`` in configuration.yaml."""

from __future__ import annotations

import json
from pathlib import Path

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import discovery

DOMAIN = "hearth_home"
PLATFORMS = [Platform.LIGHT, Platform.FAN, Platform.COVER, Platform.VALVE, Platform.VACUUM, Platform.LOCK,
             Platform.MEDIA_PLAYER, Platform.SWITCH, Platform.TODO]


def devices(domain: str) -> list[dict]:
    """The home's devices of one domain."""
    home = json.loads((Path(__file__).parent / "home.json").read_text())
    return [d for d in home["devices"] if d["id"].split(".")[0] == domain]


async def async_setup(hass: HomeAssistant, config: dict) -> bool:
    hass.data[DOMAIN] = {}  # entity id -> entity, for the arrange service

    async def arrange(call: ServiceCall) -> None:
        """``hearth_home.arrange``: put a device straight into a state (a benchmark's setup), e.g.
        ``{"entity_id": "vacuum.robbie", "state": "cleaning"}`` or ``{"entity_id": "todo.party", "items": [...]}``."""
        data = dict(call.data)
        hass.data[DOMAIN][data.pop("entity_id")].arrange(**data)

    hass.services.async_register(DOMAIN, "arrange", arrange)
    for platform in PLATFORMS:
        hass.async_create_task(discovery.async_load_platform(hass, platform, DOMAIN, {}, config))
    return True
