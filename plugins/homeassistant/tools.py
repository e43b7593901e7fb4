"""The tools, as Home Assistant's Assist LLM API offers its built-in intents: a name / area / domain to pick
devices, each running Home Assistant service calls; replies in Home Assistant's words ("Turned on the
light"). The tool names are the intents' names, so tier 1 (Home Assistant's sentences), the models and
Home Assistant's own documentation all speak of the same things.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from hearth import ToolContext, ToolError, ToolResult

from .capabilities import able
from .client import Connection
from .registry import Entity
from .state import HomeAssistantState

# Home Assistant's response words for one device of a domain (responses/en/HassTurnOn.yaml)
THE = {"button": "the button", "fan": "the fan", "climate": "the thermostat", "humidifier": "the humidifier",
       "input_boolean": "the switch", "siren": "the siren", "water_heater": "the water heater", "light": "the light",
       "switch": "the switch", "remote": "the remote", "vacuum": "the vacuum cleaner",
       "media_player": "the media player", "lawn_mower": "the lawn mower", "camera": "the camera",
       "automation": "the automation", "alarm_control_panel": "the alarm"}
THE_MANY = {"light": "the lights", "fan": "the fans", "switch": "the switches", "media_player": "the media players"}
ON = {"cover": ("open_cover", "Opened"), "valve": ("open_valve", "Opened"), "lock": ("lock", "Locked"),
      "vacuum": ("start", "Started"), "scene": ("turn_on", "Activated"), "script": ("turn_on", "Started"),
      "button": ("press", "Pressed"), "input_button": ("press", "Pressed")}
OFF = {"cover": ("close_cover", "Closed"), "valve": ("close_valve", "Closed"), "lock": ("unlock", "Unlocked"),
       "vacuum": ("return_to_base", "Returning")}


def connection(ctx: ToolContext) -> Connection:
    """This agent's connection (each agent has its own), or ``ha_not_configured``."""
    return ctx.state(HomeAssistantState).require()


RECONNECT_GRACE = 3.0  # seconds a tool waits for a connection being re-established


async def _ready(ctx: ToolContext) -> None:
    """Give a connection that is coming back (Home Assistant restarting) a moment."""
    c = connection(ctx)
    if not c.connected.is_set():
        await c.wait_connected(RECONNECT_GRACE)


HERE = "here"  # the area of Home Assistant's "here" sentences (intents.HERE): the speaker's room
# follow-ups: "turn it off" acts on the devices the session's last successful request named
PRONOUNS = {"it", "them", "that", "those", "this", "these", "they", "em", "'em"}


def _last_devices(ctx: ToolContext | None) -> list[str]:
    """The entity ids of the session's last successful Home Assistant call (from the tool-call log)."""
    if ctx is None:
        return []
    for call in reversed(ctx.storage.tool_calls(ctx.session)):
        if not (call.ok and call.name.startswith("Hass")):
            continue
        try:
            result = json.loads(call.result)
        except ValueError:
            continue
        rows = (result.get("success") or result.get("states") or []) if isinstance(result, dict) else []
        ids = [r["entity_id"] for r in rows if isinstance(r, dict) and "entity_id" in r]
        if ids:
            return ids
    return []


# words by which a request is about every device of a kind, not one room's ("all the lights", "the whole house")
EVERYWHERE = frozenset({"all", "every", "everything", "everywhere", "whole", "house", "both"})


def everywhere(ctx: ToolContext | None) -> bool:
    """Whether the request said it means every device that fits (the words of ``EVERYWHERE``)."""
    return ctx is not None and bool(EVERYWHERE & set(ctx.heard.lower().split()))


async def _targets(name: str | None, area: str | None, domain: str | list[str] | None,
                   device_class: str | None, ctx: ToolContext, *, reading: bool = False) -> list[Entity]:
    """The devices a call means: by name, area and kind, in the speaker's room first (``ctx.room``); a
    question about states may span the house (``reading``), a command only when said so."""
    home = connection(ctx).require()
    if area == HERE:  # Home Assistant's "here" sentences ("turn on the lights"): the speaker's room
        if not ctx.room:
            raise ToolError("Which room do you mean?", "area_missing")
        area = ctx.room
    if name and name.strip().lower() in PRONOUNS and not area:
        ids = await asyncio.to_thread(_last_devices, ctx)
        found = [home.entities[i] for i in ids if i in home.entities]
        if domain:
            found = [e for e in found if e.domain in ([domain] if isinstance(domain, str) else domain)]
        if not found:
            raise ToolError(f"Which device do you mean by {name.strip()!r}? Say its name.", "ha_no_target")
        return found
    return home.match(name=name, area=area, domain=domain, device_class=device_class, room=ctx.room,
                      everywhere=reading or everywhere(ctx))


def _described(entities: list[Entity]) -> list[dict[str, Any]]:
    return [{"name": e.name, "entity_id": e.entity_id, "state": e.state} for e in entities]


async def _call_each(ctx: ToolContext, entities: list[Entity], service_for: Callable[[Entity], tuple[str, str]],
                     data: dict[str, Any] | None = None) -> None:
    """One service call per (domain, service), with every entity it concerns."""
    groups: dict[tuple[str, str], list[str]] = {}
    for e in entities:
        groups.setdefault(service_for(e), []).append(e.entity_id)
    for (domain, service), ids in groups.items():
        await connection(ctx).call_service(domain, service, data, ids)


def _done(verb: str, entities: list[Entity], name: str | None) -> ToolResult:
    domains = {e.domain for e in entities}
    if len(domains) == 1 and (d := next(iter(domains))) in ON and verb in ("Turned on", "Turned off"):
        word = (ON if verb == "Turned on" else OFF).get(d, ("", verb))[1]
        say = word
    elif len(entities) == 1:
        say = f"{verb} {THE.get(entities[0].domain, entities[0].name)}"
    elif len(domains) == 1:
        say = f"{verb} {THE_MANY.get(next(iter(domains)), 'the devices')}"
    else:
        say = f"{verb} the devices"
    return ToolResult({"success": _described(entities)}, say=say)


async def _switch(on: bool, name: str | None, area: str | None, domain: str | None, device_class: str | None,
                  ctx: ToolContext) -> ToolResult:
    """HassTurnOn / HassTurnOff: each device's own "on" or "off" service (open a cover, lock a lock...)."""
    await _ready(ctx)
    entities = await _targets(name, area, domain, device_class, ctx)
    services, default = (ON, "turn_on") if on else (OFF, "turn_off")
    await _call_each(ctx, entities, lambda e: (e.domain, services.get(e.domain, (default,))[0]))
    return _done("Turned on" if on else "Turned off", entities, name)


async def HassTurnOn(name: str | None = None, area: str | None = None, domain: str | None = None,
                     device_class: str | None = None, *, ctx: ToolContext) -> ToolResult:
    """Turn on a device or entity in the home (opens covers, locks locks, starts vacuums).

    Args:
        name: The device's name or alias, e.g. "Kitchen Lights"; several names joined with "and".
        area: The area, e.g. "Living Room" (all matching devices there).
        domain: The kind of device, e.g. "light", "cover", "fan", "switch", "media_player".
        device_class: A kind of cover or sensor, e.g. "garage", "window", "blind".
    """
    return await _switch(True, name, area, domain, device_class, ctx)


async def HassTurnOff(name: str | None = None, area: str | None = None, domain: str | None = None,
                     device_class: str | None = None, *, ctx: ToolContext) -> ToolResult:
    """Turn off a device or entity in the home (closes covers, unlocks locks, sends vacuums home).

    Args:
        name: The device's name or alias, e.g. "Kitchen Lights"; several names joined with "and".
        area: The area, e.g. "Living Room" (all matching devices there).
        domain: The kind of device, e.g. "light", "cover", "fan", "switch", "media_player".
        device_class: A kind of cover or sensor, e.g. "garage", "window", "blind".
    """
    return await _switch(False, name, area, domain, device_class, ctx)


async def HassLightSet(name: str | None = None, area: str | None = None, brightness: int | None = None,
                       color: str | None = None, *, ctx: ToolContext) -> ToolResult:
    """Set the brightness or the colour of lights.

    Args:
        name: The light's name or alias, e.g. "Bed Light".
        area: The area whose lights to set, e.g. "Kitchen".
        brightness: Brightness in percent, 0 to 100.
        color: A colour name, e.g. "red", "blue", "warm white".
    """
    await _ready(ctx)
    if brightness is None and not color:
        raise ToolError("Say a brightness or a colour", "ha_missing_value")
    if brightness is not None and not 0 <= brightness <= 100:
        raise ToolError("Brightness is a percentage from 0 to 100", "ha_bad_value")
    entities = await _targets(name, area, "light", None, ctx)
    if brightness is not None:
        entities = able(entities, "brightness")
    if color:
        entities = able(entities, "colour")
    data: dict[str, Any] = {}
    if brightness is not None:
        data["brightness_pct"] = brightness
    if color:
        data["color_name"] = color.lower().replace(" ", "")
    await _call_each(ctx, entities, lambda e: ("light", "turn_on"), data)
    return ToolResult({"success": _described(entities)}, say="Brightness set" if brightness is not None else "Color set")


async def HassSetPosition(position: int, name: str | None = None, area: str | None = None, *, ctx: ToolContext) -> ToolResult:
    """Set the position of a cover (blinds, windows, garage door): 0 is closed, 100 open.

    Args:
        position: Position in percent, 0 (closed) to 100 (open).
        name: The cover's name, e.g. "Kitchen Window".
        area: The area whose covers to set.
    """
    await _ready(ctx)
    if not 0 <= position <= 100:
        raise ToolError("The position is a percentage from 0 to 100", "ha_bad_value")
    entities = await _targets(name, area, ["cover", "valve"], None, ctx)
    if position in (0, 100):  # fully open or closed: what every cover and valve can do
        await _call_each(ctx, entities, lambda e: (e.domain, f"{'open' if position else 'close'}_{e.domain}"))
        return ToolResult({"success": _described(entities)}, say="Opened" if position else "Closed")
    entities = able(entities, "position")
    await _call_each(ctx, entities, lambda e: (e.domain, "set_cover_position" if e.domain == "cover"
                                          else "set_valve_position"), {"position": position})
    return ToolResult({"success": _described(entities)}, say="Position set")


async def _climates(name: str | None, area: str | None, ctx: ToolContext) -> list[Entity]:
    if name or area:
        return await _targets(name, area, "climate", None, ctx)
    home = connection(ctx).require()
    climates = [e for e in home.entities.values() if e.domain == "climate"]
    if not climates:
        raise ToolError("Sorry, I am not aware of any climate", "ha_no_such_name")
    return climates[:1]  # as Home Assistant does: the first thermostat when none is named


async def HassClimateSetTemperature(temperature: float, name: str | None = None, area: str | None = None, *, ctx: ToolContext) -> ToolResult:
    """Set the target temperature of a thermostat.

    Args:
        temperature: The target temperature in degrees.
        name: The thermostat's name, e.g. "Ecobee".
        area: The area whose thermostat to set, e.g. "Living Room".
    """
    await _ready(ctx)
    entities = able(await _climates(name, area, ctx), "temperature")
    await _call_each(ctx, entities, lambda e: ("climate", "set_temperature"), {"temperature": temperature})
    t = int(temperature) if float(temperature).is_integer() else temperature
    return ToolResult({"success": _described(entities)}, say=f"Temperature set to {t} {'degree' if t == 1 else 'degrees'}")


async def HassClimateGetTemperature(name: str | None = None, area: str | None = None, *, ctx: ToolContext) -> ToolResult:
    """Get the current temperature a thermostat measures.

    Args:
        name: The thermostat's name.
        area: The area, e.g. "Living Room".
    """
    await _ready(ctx)
    e = (await _climates(name, area, ctx))[0]
    current = e.attributes.get("current_temperature")
    t = e.state if current is None else current
    return ToolResult({"name": e.name, "current_temperature": current, "target_temperature": e.attributes.get("temperature"),
                       "state": e.state}, say=f"{t} degree" if t == 1 else f"{t} degrees")


async def _vacuum(service: str, say: str, name: str | None, area: str | None, ctx: ToolContext) -> ToolResult:
    """One vacuum service on the vacuums meant: by name or area, else the speaker's room's, else the only
    one able to (several: a question)."""
    await _ready(ctx)
    what = "start" if service == "start" else "return"
    if name or (area and area != HERE):
        entities = able(await _targets(name, area, "vacuum", None, ctx), what)
    else:
        home = connection(ctx).require()
        vacuums = able([e for e in home.entities.values() if e.domain == "vacuum"], what)
        here = home.area_named(ctx.room) if ctx.room else None
        entities = [e for e in vacuums if here is not None and e.area_id == here.area_id] or vacuums
        if len(entities) > 1:
            names = sorted(e.name for e in entities)
            raise ToolError(f"Which vacuum: {', '.join(names[:-1])} or {names[-1]}?", "name_ambiguous")
    await _call_each(ctx, entities, lambda e: ("vacuum", service if service != "start" or e.attributes.get(
        "supported_features", 0) & 8192 else "turn_on"))
    return ToolResult({"success": _described(entities)}, say=say)


async def HassVacuumStart(name: str | None = None, area: str | None = None, *, ctx: ToolContext) -> ToolResult:
    """Start a vacuum cleaner.

    Args:
        name: The vacuum's name.
        area: The area.
    """
    return await _vacuum("start", "Started", name, area, ctx)


async def HassVacuumReturnToBase(name: str | None = None, area: str | None = None, *, ctx: ToolContext) -> ToolResult:
    """Send a vacuum cleaner back to its dock.

    Args:
        name: The vacuum's name.
        area: The area.
    """
    return await _vacuum("return_to_base", "Returning", name, area, ctx)


async def HassGetState(name: str | None = None, area: str | None = None, domain: str | None = None,
                       state: str | None = None, device_class: str | None = None, *, ctx: ToolContext) -> ToolResult:
    """Read the live state of devices: "is the garage door open", "which lights are on".

    Args:
        name: The device's name, e.g. "Garage Door".
        area: The area, e.g. "Kitchen".
        domain: The kind of device, e.g. "light", "cover", "sensor".
        state: A state asked about, e.g. "on", "open": the answer says yes or no.
        device_class: A kind of cover or sensor, e.g. "garage", "window", "door".
    """
    await _ready(ctx)
    entities = await _targets(name, area, domain, device_class, ctx, reading=True)
    data = [{"name": e.name, "entity_id": e.entity_id, "state": e.state, "area": e.area_id,
             **({"current_temperature": e.attributes["current_temperature"]}
                if "current_temperature" in e.attributes else {})} for e in entities]
    if state:
        want = state.lower().strip()
        matched = [e for e in entities if e.state.lower() == want or (want in ("open", "opened") and e.state == "open")]
        if len(entities) == 1:
            say = "Yes" if matched else f"No, {entities[0].state_text()}"
        else:
            names = sorted(e.name for e in matched)
            say = ("Yes, " + _and(names)) if names else "No"
        return ToolResult({"states": data, "matched": [e.name for e in matched]}, say=say)
    say = _and([f"{e.name} is {e.state_text()}" for e in entities[:6]])
    if len(entities) > 6:
        say += f" and {len(entities) - 6} more"
    return ToolResult({"states": data}, say=say)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


TOOLS: list[Callable[..., Any]] = [
    HassTurnOn, HassTurnOff, HassLightSet, HassSetPosition, HassClimateSetTemperature, HassClimateGetTemperature,
    HassVacuumStart, HassVacuumReturnToBase, HassGetState,
]

# templates for small models and the router's vocabulary (tier 1 itself uses Home Assistant's sentences)
EXAMPLES: dict[str, list[str]] = {
    "HassTurnOn": ["turn on [the] {name}", "switch on [the] {name}", "open [the] {name}"],
    "HassTurnOff": ["turn off [the] {name}", "switch off [the] {name}", "close [the] {name}"],
    "HassLightSet": ["set [the] {name} brightness to {brightness} percent", "make [the] {name} {color}"],
    "HassSetPosition": ["set [the] {name} position to {position} percent"],
    "HassClimateSetTemperature": ["set the temperature to {temperature} degrees"],
    "HassClimateGetTemperature": ["what is the temperature"],
    "HassVacuumStart": ["start [the] vacuum"],
    "HassVacuumReturnToBase": ["send [the] vacuum home"],
    "HassGetState": ["is [the] {name} on", "what is the state of [the] {name}"],
}
