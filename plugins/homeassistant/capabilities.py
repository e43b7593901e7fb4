"""What a device can do, read from the features Home Assistant reports for it (``supported_features``
and a light's ``supported_color_modes``), so an action goes only to a device that can take it and a value
a device cannot take is refused in words ("The Porch Light can only turn on and off"), never passed on to
another device."""

from __future__ import annotations

from collections.abc import Iterable

from hearth import ToolError

from .registry import Entity

COLOUR_MODES = {"hs", "xy", "rgb", "rgbw", "rgbww"}
# Home Assistant's feature bits (2024.3: FanEntityFeature, CoverEntityFeature, MediaPlayerEntityFeature,
# VacuumEntityFeature, ClimateEntityFeature)
BITS = {
    ("fan", "speed"): 1, ("cover", "position"): 4, ("climate", "temperature"): 1,
    ("media_player", "pause"): 1, ("media_player", "volume"): 4, ("media_player", "mute"): 8,
    ("media_player", "previous"): 16, ("media_player", "next"): 32, ("media_player", "play"): 16384,
    ("vacuum", "stop"): 8, ("vacuum", "return"): 16, ("vacuum", "start"): 8192, ("vacuum", "pause"): 4,
}
SAID = {"brightness": "a brightness", "colour": "a colour", "speed": "a speed", "position": "a position",
        "temperature": "a target temperature", "volume": "a volume", "mute": "muting", "next": "skipping tracks",
        "previous": "going back a track", "start": "starting", "return": "going back to its dock",
        "pause": "pausing", "stop": "stopping", "play": "playing"}


def can(entity: Entity, what: str) -> bool:
    """Whether ``entity`` supports ``what`` (a key of :data:`SAID`)."""
    if entity.domain == "light" and what in ("brightness", "colour"):
        modes = set(entity.attributes.get("supported_color_modes") or ())
        return bool(modes & COLOUR_MODES) if what == "colour" else bool(modes - {"onoff"})
    if entity.domain == "vacuum" and what == "start":  # an old-style vacuum starts with turn_on
        return bool(_features(entity) & (8192 | 1))
    bit = BITS.get((entity.domain, what))
    return bit is not None and bool(_features(entity) & bit)


def able(entities: Iterable[Entity], what: str) -> list[Entity]:
    """The entities that can do ``what``; a ToolError (``ha_not_supported``) naming the device when none
    can, so the request is refused rather than done to something else."""
    entities = list(entities)
    fit = [e for e in entities if can(e, what)]
    if fit:
        return fit
    names = " and ".join(sorted({e.name for e in entities})) or "that device"
    raise ToolError(f"Sorry, the {names} can't do {SAID.get(what, what)}", "ha_not_supported")


def _features(entity: Entity) -> int:
    try:
        return int(entity.attributes.get("supported_features") or 0)
    except (TypeError, ValueError):
        return 0
