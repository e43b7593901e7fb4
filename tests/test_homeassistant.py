"""Hearth controls a real Home Assistant 2024.3.3 (tests/homeassistant_server.py: its own virtual environment
made in the run, the demo home, onboarded through its REST API). Every effect is read back through Home
Assistant's REST API (``GET /api/states/<entity_id>``)."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import pytest
from conftest import free_port, run_hearth

sys.path.insert(0, str(Path(__file__).parent))
from homeassistant_server import HomeAssistant  # noqa: E402

pytestmark = pytest.mark.slow

PLUGINS = "llamacpp,shopping_list,homeassistant"


@pytest.fixture(scope="module")
def ha(ha_python, tmp_path_factory):
    server = HomeAssistant(ha_python, tmp_path_factory.mktemp("ha-config")).start()
    yield server
    server.stop()


@pytest.fixture
def hass_env(ha, home, monkeypatch) -> dict[str, str]:
    """The environment a user sets: where Home Assistant is and the token."""
    if ha.proc is None:  # a test before stopped it
        ha.start()
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", PLUGINS)
    monkeypatch.setenv("HASS_URL", ha.url)
    monkeypatch.setenv("HASS_TOKEN", ha.token)
    return {"HASS_URL": ha.url, "HASS_TOKEN": ha.token}


def tool(tool_name: str, /, **arguments) -> tuple[int, dict]:
    r = run_hearth("tools", "run", tool_name, "--json-args", json.dumps(arguments), timeout=120)
    return r.returncode, json.loads(r.stdout)


def wait_state(ha: HomeAssistant, entity_id: str, state: str, timeout: float = 10) -> dict:
    deadline = time.time() + timeout
    while True:
        s = ha.state(entity_id)
        if s["state"] == state or time.time() > deadline:
            return s
        time.sleep(0.1)


# ---- the acceptance sentence ----------------------------------------------------------------------------


def test_chat_turns_on_the_kitchen_lights(ha, hass_env):
    ha.call("light", "turn_off", entity_id="light.kitchen_lights")
    assert wait_state(ha, "light.kitchen_lights", "off")["state"] == "off"
    r = run_hearth("chat", "turn on the kitchen lights", timeout=120)
    assert r.returncode == 0, r.stderr
    assert "Turned on the light" in r.stdout
    assert "plugin homeassistant matched" in r.stdout + r.stderr  # tier 1: Home Assistant's sentences, no model
    assert wait_state(ha, "light.kitchen_lights", "on")["state"] == "on"


@pytest.mark.parametrize("text, entity, state, reply", [
    ("turn off the kitchen lights and the bed light", "light.bed_light", "off", "Turned off the lights"),
    ("please switch on the big light", "light.ceiling_lights", "on", "Turned on the light"),  # an alias, polite
    ("turn off the living room lights", "light.living_room_rgbww_lights", "off", "Turned off the lights"),  # area
    ("open the garage door", "cover.garage_door", "open", "Opened"),
    ("pause the walkman", "media_player.walkman", "paused", "Paused"),
])
def test_chat_sentences(ha, hass_env, text, entity, state, reply):
    r = run_hearth("chat", text, timeout=120)
    assert r.returncode == 0, r.stderr
    assert reply in r.stdout
    assert wait_state(ha, entity, state)["state"] == state


# ---- tools through `hearth tools run` ---------------------------------------------------------------------


def test_tools_run_light_set_and_read_back(ha, hass_env):
    code, out = tool("HassLightSet", name="Bed Light", brightness=40, color="red")
    assert code == 0, out
    s = wait_state(ha, "light.bed_light", "on")
    assert s["attributes"]["brightness"] == round(255 * 0.4)
    assert s["attributes"]["rgb_color"] == [255, 0, 0]
    code, out = tool("HassGetState", name="bed light")
    assert code == 0 and out["states"][0]["state"] == "on"


def test_tools_run_climate_media_vacuum(ha, hass_env):
    assert tool("HassClimateSetTemperature", area="Bedroom", temperature=21)[0] == 0
    assert ha.state("climate.heatpump")["attributes"]["temperature"] == 21
    assert tool("HassSetVolume", name="Bedroom", volume_level=30)[0] == 0
    assert ha.state("media_player.bedroom")["attributes"]["volume_level"] == 0.3
    assert tool("HassVacuumStart", name="0_Ground_floor")[0] == 0
    assert wait_state(ha, "vacuum.0_ground_floor", "cleaning")["state"] == "cleaning"
    assert tool("HassVacuumReturnToBase", name="0_Ground_floor")[0] == 0
    assert wait_state(ha, "vacuum.0_ground_floor", "returning")["state"] == "returning"


# ---- what Home Assistant does not know or refuses ---------------------------------------------------------


def test_unknown_device_and_area(ha, hass_env):
    code, out = tool("HassTurnOn", name="spaceship")
    assert code == 1 and out == {"error": "ha_no_such_name",
                                 "message": "Sorry, I am not aware of any device called spaceship"}
    code, out = tool("HassTurnOn", area="garden", domain="light")
    assert code == 1 and out["error"] == "ha_no_such_area" and "any area called garden" in out["message"]
    r = run_hearth("chat", "turn on the spaceship", timeout=120)
    assert "not aware of any device called spaceship" in r.stdout


def test_entity_hidden_from_assist_is_unknown(ha, hass_env):
    ha.call("switch", "turn_off", entity_id="switch.ac")
    code, out = tool("HassTurnOn", name="AC")
    assert code == 1 and out["error"] == "ha_no_such_name"
    assert ha.state("switch.ac")["state"] == "off"


def test_a_value_the_device_cannot_take_is_refused_before_any_call(ha, hass_env):
    # the demo garage door opens and closes but has no position: no service call, the door stays shut
    ha.call("cover", "close_cover", entity_id="cover.garage_door")
    code, out = tool("HassSetPosition", name="Garage Door", position=50)
    assert code == 1 and out["error"] == "ha_not_supported"
    assert "Garage Door can't do a position" in out["message"]
    assert ha.state("cover.garage_door")["state"] == "closed"


def test_a_thermostat_with_a_range_is_not_given_one_temperature(ha, hass_env):
    code, out = tool("HassClimateSetTemperature", name="Ecobee", temperature=21)
    assert code == 1 and out["error"] == "ha_not_supported", out


def test_refused_service_call(ha, hass_env):
    # the demo's fourth-floor vacuum supports no service: Home Assistant refuses the start
    code, out = tool("HassTurnOn", name="4_Fourth_floor")
    assert code == 1 and out["error"] == "ha_service_refused", out
    assert "does not support this service" in out["message"]


def test_wrong_token(ha, hass_env, monkeypatch):
    monkeypatch.setenv("HASS_TOKEN", "not-a-token")
    ha.call("light", "turn_off", entity_id="light.office_rgbw_lights")
    code, out = tool("HassTurnOn", name="Office RGBW Lights")
    assert code == 1 and out["error"] == "ha_auth_failed"
    assert "rejected the access token ($HASS_TOKEN)" in out["message"]
    assert ha.state("light.office_rgbw_lights")["state"] == "off"


def test_models_toml_table(ha, hass_env, home, monkeypatch):
    monkeypatch.delenv("HASS_URL")
    monkeypatch.delenv("HASS_TOKEN")
    monkeypatch.setenv("MY_HA_TOKEN", ha.token)
    from hearth.config import DEFAULT_MODELS_TOML
    base = DEFAULT_MODELS_TOML.read_text()
    target = home / "models.toml"  # $HEARTH_HOME/models.toml, as a user writes it
    target.write_text(base + f'\n[homeassistant]\nurl = "{ha.url}"\ntoken_env = "MY_HA_TOKEN"\n')
    ha.call("light", "turn_off", entity_id="light.entrance_color_white_lights")
    code, out = tool("HassTurnOn", name="Entrance Color + White Lights")
    assert code == 0, out
    assert wait_state(ha, "light.entrance_color_white_lights", "on")["state"] == "on"
    target.write_text(base + f'\n[homeassistant]\nurl = "{ha.url}"\ntoken = "x"\n')
    r = run_hearth("tools", "run", "HassTurnOn", "--arg", "name=Bed Light", timeout=120)
    assert r.returncode != 0
    assert f"{target}: [homeassistant] key 'token': unknown key" in r.stdout + r.stderr
    assert "Traceback" not in r.stderr


# ---- an agent that stays up while Home Assistant comes and goes -------------------------------------------


async def _agent(models_path: Path | None = None):
    from hearth import Agent
    from hearth.config import ModelConfig, ModelsFile, Roles
    models = ModelsFile(roles=Roles(main="none"), models={"none": ModelConfig(backend="none", model="none")})
    agent = Agent(models=models_path or models)
    await agent.start(load_model=False)
    return agent


async def _until_ok(agent, name: str, arguments: dict, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while True:
        outcome = await agent.run_tool(name, arguments)
        if outcome.ok or time.monotonic() > deadline:
            return outcome
        await asyncio.sleep(1)


async def test_home_assistant_down_at_start_then_back(ha, hass_env):
    ha.stop()
    agent = await _agent()
    try:
        outcome = await agent.run_tool("HassTurnOn", {"name": "Kitchen Lights"})
        assert not outcome.ok and outcome.error_code == "ha_unavailable"
        assert "unavailable" in str(outcome.result)
        # Hearth itself works: tier 1 without Home Assistant falls through, other tools run
        assert (await agent.run_tool("get_shopping_list", {})).ok
        await asyncio.to_thread(ha.start)
        outcome = await _until_ok(agent, "HassTurnOff", {"name": "Kitchen Lights"})
        assert outcome.ok, outcome.result
        assert wait_state(ha, "light.kitchen_lights", "off")["state"] == "off"
    finally:
        await agent.stop()


async def test_restart_mid_use_and_live_states(ha, hass_env):
    agent = await _agent()
    try:
        assert (await agent.run_tool("HassTurnOn", {"name": "Bed Light"})).ok
        # a change made elsewhere (an automation, the app) reaches Hearth through state_changed
        ha.call("light", "turn_off", entity_id="light.bed_light")
        for _ in range(50):
            outcome = await agent.run_tool("HassGetState", {"name": "Bed Light"})
            if outcome.result["states"][0]["state"] == "off":
                break
            await asyncio.sleep(0.1)
        assert outcome.result["states"][0]["state"] == "off"
        await asyncio.to_thread(ha.restart)
        outcome = await _until_ok(agent, "HassTurnOn", {"name": "Bed Light"})
        assert outcome.ok, outcome.result
        assert wait_state(ha, "light.bed_light", "on")["state"] == "on"
        match = agent.router.route("turn off the bed light").match
        assert match is not None and match.name == "HassTurnOff" and match.arguments == {"name": "Bed Light"}
    finally:
        await agent.stop()


def test_unreachable_url_keeps_hearth_working(home, monkeypatch):
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", PLUGINS)
    monkeypatch.setenv("HASS_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("HASS_TOKEN", "whatever")
    code, out = tool("HassTurnOn", name="Kitchen Lights")
    assert code == 1 and out["error"] == "ha_unavailable"
    r = run_hearth("tools", "run", "add_to_shopping_list", "--arg", "item=milk", timeout=120)
    assert r.returncode == 0, r.stderr


def test_follow_up_it(ha, hass_env):
    ha.call("light", "turn_off", entity_id="light.bed_light")
    for text, state in (("turn on the bed light", "on"), ("now turn it off", "off")):
        r = run_hearth("chat", "--session", "follow", text, timeout=120)
        assert r.returncode == 0, r.stderr
        assert wait_state(ha, "light.bed_light", state)["state"] == state, r.stdout


async def test_todo_store_is_home_assistants_shopping_list(ha, hass_env, monkeypatch):
    """``[homeassistant] todo = true``: the shopping list lives in Home Assistant's todo.shopping_list."""
    from hearth.plugins.homeassistant import todo
    agent = await _agent(_models_with(ha, hass_env, "todo = true"))
    try:
        store = todo.store(agent)
        assert store is not None and store.entity_id == "todo.shopping_list"
        await store.clear()
        await store.add("milk")
        await store.add("Apples")
        assert [(i.name, i.checked) for i in await store.items()] == [("milk", False), ("Apples", False)]
        assert ha.state("todo.shopping_list")["state"] == "2"  # Home Assistant counts the open items
        await store.check_off("apple")  # plural- and case-insensitive
        assert ha.state("todo.shopping_list")["state"] == "1"
        await store.remove("Milk")
        assert [(i.name, i.checked) for i in await store.items()] == [("Apples", True)]
        with pytest.raises(Exception) as err:
            await store.remove("bread")
        assert getattr(err.value, "code", None) == "item_not_found"
    finally:
        await agent.stop()
    assert todo.store(agent) is None  # the plugin stopped


def _models_with(ha, env: dict[str, str], extra: str) -> Path:
    from hearth.config import DEFAULT_MODELS_TOML, hearth_home
    path = hearth_home() / "models.toml"
    path.write_text(DEFAULT_MODELS_TOML.read_text() + f'\n[homeassistant]\nurl = "{env["HASS_URL"]}"\n{extra}\n')
    return path


async def test_doctor_checks(ha, hass_env, monkeypatch):
    from hearth.config import ModelConfig, ModelsFile, Roles
    from hearth.plugins.homeassistant import doctor_checks
    models = ModelsFile(roles=Roles(main="none"), models={"none": ModelConfig(backend="none", model="none")})
    [check] = await doctor_checks(models, load=False)
    assert check.status == "ok" and "Home Assistant 2024.3.3" in check.detail and "entities exposed" in check.detail
    monkeypatch.setenv("HASS_TOKEN", "wrong")
    [check] = await doctor_checks(models, load=False)
    assert check.status == "fail" and "rejected the token in $HASS_TOKEN" in check.detail
    monkeypatch.setenv("HASS_URL", f"http://127.0.0.1:{free_port()}")
    [check] = await doctor_checks(models, load=False)
    assert check.status == "fail" and "unreachable" in check.detail


# ---- the same request by voice and over the websocket ------------------------------------------------


def test_spoken_request_turns_on_the_kitchen_lights(ha, hass_env, tmp_path, monkeypatch):
    from piper import SynthesisConfig

    from hearth import TtsConfig
    from hearth.plugins.piper import Piper
    from hearth.voice.speech import write_wav
    ha.call("light", "turn_off", entity_id="light.kitchen_lights")
    assert wait_state(ha, "light.kitchen_lights", "off")["state"] == "off"
    piper = Piper(TtsConfig())
    piper.load()
    still = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)  # the same request every run
    pcm = b"".join(c.audio_int16_bytes for c in piper._voice.synthesize("Turn on the kitchen lights.",
                                                                         syn_config=still))
    silence = b"\0\0" * int(piper.sample_rate * 0.3)
    write_wav(tmp_path / "request.wav", silence + pcm + silence, piper.sample_rate)
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", PLUGINS + ",faster_whisper,piper")
    r = run_hearth("listen", "--input", str(tmp_path / "request.wav"), "--output", str(tmp_path / "reply.wav"),
                   "--json", timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert wait_state(ha, "light.kitchen_lights", "on")["state"] == "on"
    replies = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    assert any(e["type"] == "finished" and "Turned on" in e.get("text", "") for e in replies), r.stdout[-2000:]


async def test_websocket_request_turns_off_the_kitchen_lights(ha, hass_env, home):
    from test_server import Server
    from websockets.asyncio.client import connect
    ha.call("light", "turn_on", entity_id="light.kitchen_lights")
    assert wait_state(ha, "light.kitchen_lights", "on")["state"] == "on"
    server = Server(home).start()
    try:
        async with connect(server.ws) as ws:
            await ws.recv()  # hello
            await ws.send(json.dumps({"type": "chat", "text": "turn off the kitchen lights"}))
            frames = []
            async for raw in ws:
                frames.append(json.loads(raw))
                if frames[-1]["type"] in ("finished", "failed", "error"):
                    break
    finally:
        server.stop()
    assert frames[-1]["type"] == "finished" and "Turned off" in frames[-1]["text"], frames
    assert (await asyncio.to_thread(wait_state, ha, "light.kitchen_lights", "off"))["state"] == "off"
