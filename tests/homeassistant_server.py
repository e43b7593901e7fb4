"""A real Home Assistant (``homeassistant==2024.3.3``, the newest release that installs on Python 3.11) for
tests and benchmarks: its own virtual environment, its demo home, onboarded through its own REST API.

- :func:`make_venv` builds the virtual environment from PyPI (minutes; once per test session). Home
  Assistant's wheel ships ``package_constraints.txt``, the versions it was released with: without it pip
  backtracks for ever through today's bluetooth packages. The demo's integrations' requirements are
  installed up front, and Home Assistant runs with ``--skip-pip``, so it installs nothing while it runs.
- :class:`HomeAssistant` writes a config folder (``demo:`` plus the few integrations the demo, the REST
  and websocket APIs, onboarding and the conversation agent need, without ``default_config``), starts
  ``python -m homeassistant`` on 127.0.0.1 and a free port, creates the owner through
  ``POST /api/onboarding/users`` (which answers an auth code), trades the code at ``/auth/token`` for an
  access token, and asks the websocket API for a long-lived token (``auth/long_lived_access_token``),
  the kind a user pastes into Hearth. Onboarding creates the areas Living Room, Kitchen and Bedroom; the
  harness adds an Office and puts the demo lights in them (the demo's devices have no areas), and gives
  the ceiling lights an alias ("big light").

With ``own_home=True`` the same Home Assistant also holds a second home, "the Hearth test home"
(tests/home/home.yaml): eight more rooms, lights that share a name across rooms, fans, covers, valves, a
vacuum, locks, media players, switches and to-do lists, from the in-memory integration in
tests/home/custom_components/hearth_home, put in their areas (with their aliases) through the websocket API
and exposed to Assist.

``HEARTH_TEST_HA_VENV`` names a virtual environment made earlier by :func:`make_venv` to reuse one
across runs on a developer's machine; CI leaves it unset and builds a fresh one in the run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx
import yaml

HA_VERSION = "2024.3.3"
# requirements of the integrations the demo home loads (their manifests in 2024.3.3), installed up front
# (and of the default integrations every Home Assistant sets up: frontend, backup, hardware...)
DEMO_REQUIREMENTS = [
    "hassil==1.6.1", "home-assistant-intents==2024.3.12",  # conversation
    "home-assistant-frontend==20240307.0", "janus==1.0.0",  # frontend (recovery mode without it), file_upload
    "securetar==2024.2.1", "psutil-home-assistant==0.0.1",  # backup, hardware
    "Pillow==10.2.0",  # image_upload (person, onboarding)
    "PyTurboJPEG==1.7.1",  # camera
    "mutagen==1.47.0", "ha-ffmpeg==3.1.0",  # tts, ffmpeg
    "SQLAlchemy==2.0.27", "fnv-hash-fast==0.5.0",  # recorder (imported by history's helpers)
    "josepy==1.14.0",  # http imports hass-nabucasa -> acme 2.8, which breaks on josepy 2 (released later)
]
CLIENT_ID = "http://hearth.test/"
USER, PASSWORD = "hearth", "hearth-test-password"
# where the harness puts the demo lights (onboarding makes the first three areas)
AREAS = {
    "light.kitchen_lights": "kitchen",
    "light.bed_light": "bedroom",
    "light.ceiling_lights": "living_room",
    "light.living_room_rgbww_lights": "living_room",
    "light.office_rgbw_lights": "office",
    "climate.hvac": "living_room",
    "climate.heatpump": "bedroom",  # (the Ecobee keeps a range, heat_cool: no single target)
    "cover.kitchen_window": "kitchen",
    "cover.living_room_window": "living_room",
    "cover.hall_window": "office",
}
ALIASES = {"light.ceiling_lights": ["big light"]}
EXPOSED = ["media_player.living_room", "media_player.bedroom", "media_player.kitchen", "media_player.walkman"]
HIDDEN = ["switch.ac"]
OWN_HOME = Path(__file__).resolve().parent / "home"  # the Hearth test home: home.yaml and its integration


def own_home_spec() -> dict[str, Any]:
    """The Hearth test home's areas and devices (tests/home/home.yaml)."""
    return yaml.safe_load((OWN_HOME / "home.yaml").read_text())

CONFIGURATION = """\
homeassistant:
  name: Demo Home
  latitude: 52.3731
  longitude: 4.8922
  elevation: 0
  unit_system: metric
  time_zone: UTC
  currency: EUR
  country: NL
  language: en
http:
  server_host: 127.0.0.1
  server_port: {port}
api:
websocket_api:
auth:
config:
onboarding:
conversation:
demo:
"""


def make_venv(path: Path) -> Path:
    """A virtual environment at ``path`` with Home Assistant and the demo's requirements; its python."""
    py = path / "bin" / "python"
    if (path / ".hearth-ha-ready").exists():
        return py
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(path)], check=True)
    wheels = path / "wheels"

    def pip(*args: str) -> None:
        r = subprocess.run([str(py), "-m", "pip", "--disable-pip-version-check", "-q", *args],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"pip {' '.join(args[:3])}... failed:\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}")

    pip("download", "--no-deps", "-d", str(wheels), f"homeassistant=={HA_VERSION}")
    wheel = next(wheels.glob("homeassistant-*.whl"))
    constraints = path / "package_constraints.txt"
    with zipfile.ZipFile(wheel) as z:
        constraints.write_bytes(z.read("homeassistant/package_constraints.txt"))
    pip("install", str(wheel), "-c", str(constraints), *DEMO_REQUIREMENTS)
    shutil.rmtree(wheels, ignore_errors=True)
    (path / ".hearth-ha-ready").touch()
    return py


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HomeAssistant:
    """A running Home Assistant with the demo home; ``token`` is a long-lived access token."""

    def __init__(self, python: Path, config_dir: Path, port: int | None = None, own_home: bool = False) -> None:
        self.python, self.config_dir = python, config_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = ""
        self.proc: subprocess.Popen[bytes] | None = None
        self.own_home = own_home
        config_dir.mkdir(parents=True, exist_ok=True)
        config = CONFIGURATION.format(port=self.port)
        if own_home:
            config += "hearth_home:\n"
            target = config_dir / "custom_components" / "hearth_home"
            shutil.copytree(OWN_HOME / "custom_components" / "hearth_home", target, dirs_exist_ok=True)
            self.home = own_home_spec()
            (target / "home.json").write_text(json.dumps(self.home))
        (config_dir / "configuration.yaml").write_text(config)

    @classmethod
    def attach(cls, url: str, token: str) -> HomeAssistant:
        """One already running (``python tests/homeassistant_server.py`` printed its URL and token)."""
        ha = cls.__new__(cls)
        ha.url, ha.token, ha.proc = url.rstrip("/"), token, None
        ha.port = int(ha.url.rsplit(":", 1)[1])
        return ha

    # ---- process ---------------------------------------------------------------------------------

    def start(self, timeout: float = 600) -> HomeAssistant:
        """Start Home Assistant; onboard it (first start) and wait for the demo home's entities."""
        log = open(self.config_dir / "hearth-test-ha.log", "ab")  # noqa: SIM115 - the process owns it
        self.proc = subprocess.Popen(
            [str(self.python), "-m", "homeassistant", "--config", str(self.config_dir), "--skip-pip"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_http(timeout)
        if not self.token:
            self._onboard()
        self._wait_entities(timeout)
        if not (self.config_dir / ".hearth-arranged").exists():
            self._arrange()
            (self.config_dir / ".hearth-arranged").touch()
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, chars: int = 4000) -> str:
        p = self.config_dir / "hearth-test-ha.log"
        return p.read_text(errors="replace")[-chars:] if p.exists() else ""

    def _wait_http(self, timeout: float) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"Home Assistant exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                # 401 once the API is up; onboarding answers without a token
                r = httpx.get(f"{self.url}/api/onboarding", timeout=2)
                if r.status_code in (200, 401):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"Home Assistant did not answer on {self.url} in {timeout:.0f} s:\n{self.log_tail()}")

    def _wait_entities(self, timeout: float) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                ids = {s["entity_id"] for s in self.states()}
                want = {"light.kitchen_lights", "cover.kitchen_window", "vacuum.0_ground_floor"}
                if self.own_home:
                    want |= {d["id"] for d in self.home["devices"]}
                if want <= ids:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"the demo entities did not appear in {timeout:.0f} s:\n{self.log_tail()}")

    # ---- onboarding and setup --------------------------------------------------------------------

    def _onboard(self) -> None:
        r = httpx.post(f"{self.url}/api/onboarding/users", timeout=30, json={
            "client_id": CLIENT_ID, "name": "Hearth", "username": USER, "password": PASSWORD, "language": "en"})
        r.raise_for_status()
        r = httpx.post(f"{self.url}/auth/token", timeout=30, data={
            "grant_type": "authorization_code", "code": r.json()["auth_code"], "client_id": CLIENT_ID})
        r.raise_for_status()
        access = r.json()["access_token"]
        self.token = self.ws(access, {"type": "auth/long_lived_access_token", "client_name": "hearth tests",
                                      "lifespan": 365})[0]

    def _arrange(self) -> None:
        """Areas for the demo's devices and an alias, as a user sets them up in the UI."""
        areas = {a["area_id"] for a in self.ws(self.token, {"type": "config/area_registry/list"})[0]}
        if "office" not in areas:
            self.ws(self.token, {"type": "config/area_registry/create", "name": "Office"})
        present = {e["entity_id"] for e in self.ws(self.token, {"type": "config/entity_registry/list"})[0]}
        for entity_id, area in AREAS.items():
            if entity_id not in present:
                raise RuntimeError(f"the demo home has no {entity_id}; present: {sorted(present)}")
            msg: dict[str, Any] = {"type": "config/entity_registry/update", "entity_id": entity_id, "area_id": area}
            if entity_id in ALIASES:
                msg["aliases"] = ALIASES[entity_id]
            self.ws(self.token, msg)
        # Home Assistant's shopping list (todo.shopping_list), added as a user adds an integration in the UI
        flow = httpx.post(f"{self.url}/api/config/config_entries/flow", headers=self._headers(), timeout=30,
                          json={"handler": "shopping_list"}).json()
        if flow.get("type") == "form":
            httpx.post(f"{self.url}/api/config/config_entries/flow/{flow['flow_id']}", headers=self._headers(),
                       json={}, timeout=30).raise_for_status()
        deadline = time.time() + 60
        while "todo.shopping_list" not in {s["entity_id"] for s in self.states()} and time.time() < deadline:
            time.sleep(0.3)
        # the demo's media players have no unique id, so Home Assistant does not expose them to Assist by
        # default; a user exposes them in Settings > Voice assistants. The AC stays hidden from Assist.
        self.ws(self.token, {"type": "homeassistant/expose_entity", "assistants": ["conversation"],
                             "entity_ids": EXPOSED, "should_expose": True},
                {"type": "homeassistant/expose_entity", "assistants": ["conversation"],
                 "entity_ids": HIDDEN, "should_expose": False})
        if self.own_home:
            self._arrange_own_home()

    def _arrange_own_home(self) -> None:
        """The Hearth test home's areas, each device in its area with its aliases, all exposed to Assist."""
        areas = {a["name"]: a["area_id"] for a in self.ws(self.token, {"type": "config/area_registry/list"})[0]}
        for name in self.home["areas"]:
            if name not in areas:
                areas[name] = self.ws(self.token, {"type": "config/area_registry/create", "name": name})[0]["area_id"]
        updates = []
        for d in self.home["devices"]:
            msg: dict[str, Any] = {"type": "config/entity_registry/update", "entity_id": d["id"],
                                   "area_id": areas[d["area"]] if d.get("area") else None}
            if d.get("aliases"):
                msg["aliases"] = d["aliases"]
            updates.append(msg)
        self.ws(self.token, *updates, {"type": "homeassistant/expose_entity", "assistants": ["conversation"],
                                       "entity_ids": [d["id"] for d in self.home["devices"]], "should_expose": True})

    # ---- Home Assistant's APIs -------------------------------------------------------------------

    def ws(self, token: str, *commands: dict[str, Any]) -> list[Any]:
        """Run websocket commands in order; their results (an error raises)."""
        from websockets.sync.client import connect
        out = []
        with connect(f"ws://127.0.0.1:{self.port}/api/websocket", open_timeout=30) as ws:
            json.loads(ws.recv(30))  # auth_required
            ws.send(json.dumps({"type": "auth", "access_token": token}))
            reply = json.loads(ws.recv(30))
            if reply["type"] != "auth_ok":
                raise RuntimeError(f"websocket auth failed: {reply}")
            for i, cmd in enumerate(commands, start=1):
                ws.send(json.dumps({"id": i, **cmd}))
                while True:
                    msg = json.loads(ws.recv(60))
                    if msg.get("id") == i and msg.get("type") == "result":
                        break
                if not msg["success"]:
                    raise RuntimeError(f"{cmd['type']} failed: {msg['error']}")
                out.append(msg["result"])
        return out

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def states(self) -> list[dict[str, Any]]:
        r = httpx.get(f"{self.url}/api/states", headers=self._headers(), timeout=10)
        r.raise_for_status()
        return r.json()

    def state(self, entity_id: str) -> dict[str, Any]:
        """An entity's state through the REST API (``GET /api/states/<entity_id>``)."""
        r = httpx.get(f"{self.url}/api/states/{entity_id}", headers=self._headers(), timeout=10)
        r.raise_for_status()
        return r.json()

    def call(self, domain: str, service: str, **data: Any) -> None:
        r = httpx.post(f"{self.url}/api/services/{domain}/{service}", headers=self._headers(), json=data, timeout=30)
        r.raise_for_status()

    def converse(self, text: str) -> dict[str, Any]:
        """Home Assistant's own conversation agent (``POST /api/conversation/process``)."""
        r = httpx.post(f"{self.url}/api/conversation/process", headers=self._headers(),
                       json={"text": text, "language": "en"}, timeout=60)
        r.raise_for_status()
        return r.json()


if __name__ == "__main__":  # python tests/homeassistant_server.py VENV CONFIG [--own-home]: run one by hand
    ha = HomeAssistant(make_venv(Path(sys.argv[1])), Path(sys.argv[2]), own_home="--own-home" in sys.argv).start()
    print(f"HASS_URL={ha.url}\nHASS_TOKEN={ha.token}", flush=True)
    try:
        ha.proc.wait() if ha.proc else None
    except KeyboardInterrupt:
        ha.stop()
