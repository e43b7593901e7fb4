"""The homeassistant plugin's settings and name matching, without a Home Assistant: the registry is built from
answers in the shapes Home Assistant 2024.3.3 sends (as recorded from the demo home in tests/test_homeassistant.py)."""

from __future__ import annotations

import pytest

from hearth import ConfigError, ToolError
from hearth.plugins.homeassistant.context import describe
from hearth.plugins.homeassistant.registry import Home
from hearth.plugins.homeassistant.settings import resolve


def test_table_and_environment():
    s = resolve({"url": "http://ha.local:8123", "token_env": "MY_TOKEN"}, environ={"MY_TOKEN": "t1"})
    assert s is not None and (s.url, s.token, s.token_source) == ("http://ha.local:8123", "t1", "$MY_TOKEN")
    s = resolve({}, environ={"HASS_URL": "http://x:8123", "HASS_TOKEN": "t2"})
    assert s is not None and (s.url, s.token) == ("http://x:8123", "t2")
    assert resolve({}, environ={}) is None  # not set up: the plugin registers nothing


def test_unknown_key_names_file_table_and_key():
    with pytest.raises(ConfigError) as err:
        resolve({"url": "http://x", "tokn_env": "A"}, "/home/me/models.toml", environ={})
    assert str(err.value) == "/home/me/models.toml: [homeassistant] key tokn_env: unknown key"


def _state(entity_id: str, name: str, state: str = "off", **attrs) -> dict:
    return {"entity_id": entity_id, "state": state, "attributes": {"friendly_name": name, **attrs}}


@pytest.fixture
def home() -> Home:
    states = [
        _state("light.kitchen_lights", "Kitchen Lights"), _state("light.bed_light", "Bed Light"),
        _state("light.ceiling_lights", "Ceiling Lights"), _state("light.living_room_rgbww_lights", "Living Room RGBWW Lights"),
        _state("cover.garage_door", "Garage Door", "closed", device_class="garage"),
        _state("media_player.kitchen", "Kitchen", "playing"), _state("switch.ac", "AC"),
        _state("sensor.sun_next_dawn", "Next dawn", "2026-12-01T07:00:00"),
    ]
    areas = [{"area_id": "kitchen", "name": "Kitchen", "aliases": []},
             {"area_id": "living_room", "name": "Living Room", "aliases": ["lounge"]}]
    registry = [{"entity_id": "light.kitchen_lights", "area_id": "kitchen", "aliases": []},
                {"entity_id": "light.ceiling_lights", "area_id": None, "device_id": "d1", "aliases": ["big light"]},
                {"entity_id": "light.living_room_rgbww_lights", "area_id": "living_room", "aliases": []},
                {"entity_id": "sensor.sun_next_dawn", "entity_category": "diagnostic"}]
    devices = [{"id": "d1", "area_id": "living_room"}]
    exposed = {"switch.ac": {"conversation": False}, "media_player.kitchen": {"conversation": True}}
    return Home.build(states, areas, devices, registry, exposed)


def names(entities) -> list[str]:
    return [e.name for e in entities]


def test_exposed_entities_only(home):
    assert "switch.ac" not in home.entities  # hidden from Assist
    assert "sensor.sun_next_dawn" not in home.entities  # a diagnostic entity, not exposed by default
    assert home.entities["light.ceiling_lights"].area_id == "living_room"  # through its device


@pytest.mark.parametrize("kwargs, expected", [
    ({"name": "kitchen lights"}, ["Kitchen Lights"]),
    ({"name": "the Kitchen Light"}, ["Kitchen Lights"]),  # folded: article, case, plural
    ({"name": "big light"}, ["Ceiling Lights"]),  # an alias
    ({"name": "bed"}, ["Bed Light"]),  # part of a name, one device fits
    ({"name": "kitchen lights and bed light"}, ["Kitchen Lights", "Bed Light"]),
    ({"name": "living room lights"}, ["Ceiling Lights", "Living Room RGBWW Lights"]),  # area + kind
    ({"area": "lounge", "domain": "light"}, ["Ceiling Lights", "Living Room RGBWW Lights"]),  # area alias
    ({"name": "kitchen", "domain": "media_player"}, ["Kitchen"]),
])
def test_match(home, kwargs, expected):
    assert sorted(names(home.match(**kwargs))) == sorted(expected)


@pytest.mark.parametrize("kwargs, code, message", [
    ({"name": "spaceship"}, "ha_no_such_name", "Sorry, I am not aware of any device called spaceship"),
    ({"name": "kitchen lights and spaceship"}, "ha_no_such_name", "Sorry, I am not aware of any device called spaceship"),
    ({"area": "garden"}, "ha_no_such_area", "Sorry, I am not aware of any area called garden"),
    ({"area": "kitchen", "domain": "fan"}, "ha_no_such_name", "Sorry, I am not aware of any fan in the Kitchen area"),
    ({"name": "ac"}, "ha_no_such_name", "Sorry, I am not aware of any device called ac"),
    ({}, "ha_no_target", "Which device? Say its name or its area."),
])
def test_match_errors(home, kwargs, code, message):
    with pytest.raises(ToolError) as err:
        home.match(**kwargs)
    assert (err.value.code, str(err.value)) == (code, message)


def test_state_changes_are_kept(home):
    home.update_state({"state": "on", "attributes": {"friendly_name": "Bed Light", "brightness": 10}}, "light.bed_light")
    assert home.entities["light.bed_light"].state == "on"
    home.update_state(None, "light.bed_light")
    assert "light.bed_light" not in home.entities


def test_prompt_context_fits_the_budget(home):
    text = describe(home, 10_000)
    assert "Ceiling Lights [big light] (light)" in text.split("- Living Room: ")[1].split("\n")[0]
    assert "Garage Door (cover)" in text.split("- no area: ")[1]
    short = describe(home, 160)
    assert len(short) <= 160 and short.endswith("more (ask HassGetState)")
    assert describe(home, 10_000, room="Kitchen").split("\n")[1].startswith("- Kitchen: ")  # the speaker's room first


@pytest.mark.parametrize("text, call", [
    ("turn on the kitchen lights", ("HassTurnOn", {"name": "Kitchen Lights"})),
    ("could you please switch on the big light", ("HassTurnOn", {"name": "Ceiling Lights"})),
    ("turn off the lights in the lounge", ("HassTurnOff", {"area": "Living Room", "domain": "light"})),
    ("turn off the kitchen lights and the bed light", ("HassTurnOff", {"name": "Kitchen Lights and Bed Light"})),
    ("open the garage", ("HassTurnOn", {"name": "garage"})),  # part of a name, through the wildcard pass
    ("turn on the bed lamp", ("HassTurnOn", {"name": "bed"})),
    ("is the garage door open", ("HassGetState", {"name": "Garage Door", "state": "open"})),
    ("set the bed light brightness to 50%", ("HassLightSet", {"name": "Bed Light", "brightness": 50})),
    ("dim the kitchen lights to 20 percent", ("HassLightSet", {"name": "Kitchen Lights", "brightness": 20})),
    ("pause the kitchen", ("HassMediaPause", {"name": "Kitchen"})),
    ("continue playing the kitchen", ("HassMediaUnpause", {"name": "Kitchen"})),
])
def test_tier1_sentences(home, text, call):
    from hearth.plugins.homeassistant.intents import Matcher
    assert Matcher().match(text, home) == {"name": call[0], "arguments": call[1]}


@pytest.mark.parametrize("text", ["turn on the spaceship", "pause the bed light", "turn on the ac",
                                  "add milk to my shopping list", "turn on the kitchen lights and make coffee"])
def test_tier1_leaves_the_rest(home, text):
    from hearth.plugins.homeassistant.intents import Matcher
    assert Matcher().match(text, home) is None


def test_several_devices_never_a_wildcard(home):
    from hearth.plugins.homeassistant.intents import Matcher
    assert Matcher().match("switch off the bed light and the kitchen lights", home) == {
        "name": "HassTurnOff", "arguments": {"name": "Bed Light and Kitchen Lights"}}
    assert Matcher().match("turn off the bed light and the spaceship", home) is None


def test_device_class_in_an_area_falls_back_to_the_domain(home):
    assert names(home.match(area="kitchen", domain="light", device_class="ceiling")) == ["Kitchen Lights"]
    with pytest.raises(ToolError):  # without an area a class that fits nothing is not "every cover"
        home.match(domain="cover", device_class="window")
