"""The connection to Home Assistant's websocket API (``/api/websocket``) through ``hass-client``.

:class:`Connection` connects with a long-lived access token, reads the area, device and entity registries,
the states and which entities are exposed to Assist, subscribes to ``state_changed`` to keep states
current, and reconnects with backoff (1 s doubling to 30 s) when Home Assistant goes away, logging each
step. Service calls go over the same socket, so Home Assistant's automations and logbook see them.
Tools hear a coded :class:`hearth.ToolError` when Home Assistant is down (``ha_unavailable``), rejects the
token (``ha_auth_failed``) or refuses a call (``ha_service_refused``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from hearth import ToolError

from .registry import Home
from .settings import Settings

log = logging.getLogger("hearth.homeassistant")

BACKOFF_FIRST, BACKOFF_MAX = 1.0, 30.0
CALL_TIMEOUT = 10.0


def websocket_url(url: str) -> str:
    """``http://host:8123`` -> ``ws://host:8123/api/websocket`` (https -> wss)."""
    base = url.rstrip("/")
    if base.endswith("/api/websocket"):
        return base
    return base.replace("https://", "wss://", 1).replace("http://", "ws://", 1) + "/api/websocket"


class Connection:
    """One Home Assistant, kept connected in the background; ``home`` is what it exposes to Assist."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.home = Home()
        self.connected = asyncio.Event()
        self.attempted = asyncio.Event()  # the first try to connect is over (either way)
        self.error: str | None = None  # why it is not connected, in words
        self.error_code = "ha_unavailable"
        self.version: str | None = None
        self.reconnects = 0
        self._client: Any = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    # ---- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background (Hearth starts whether or not Home Assistant answers)."""
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name="homeassistant-connection")

    async def stop(self) -> None:
        self._stopping = True
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.disconnect()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        self.connected.clear()

    async def wait_connected(self, timeout: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.connected.wait(), timeout)
        return self.connected.is_set()

    async def wait_first(self, timeout: float) -> bool:
        """Wait until the first try to connect is over; whether it connected."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.attempted.wait(), timeout)
        return self.connected.is_set()

    async def _run(self) -> None:
        from hass_client import HomeAssistantClient
        from hass_client.exceptions import AuthenticationFailed

        delay = BACKOFF_FIRST
        url = websocket_url(self.settings.url)
        while not self._stopping:
            client = HomeAssistantClient(url, self.settings.token)
            self._client = client
            listener: asyncio.Task[None] | None = None
            try:
                await client.connect()
                listener = asyncio.create_task(client.start_listening())
                await self._load(client)
                await client.subscribe_events(self._on_state_changed, "state_changed")
                self.version = client.version
                self.error = None
                self.connected.set()
                self.attempted.set()
                log.info("connected to Home Assistant %s at %s: %d entities exposed to Assist, %d areas",
                         self.version, self.settings.url, len(self.home.entities), len(self.home.areas))
                delay = BACKOFF_FIRST
                await listener
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if self._stopping or (task is not None and task.cancelling()):
                    raise
                # the listener ended under a command in flight: the connection is gone
                self.error, self.error_code = f"lost the connection to Home Assistant at {self.settings.url}", \
                    "ha_unavailable"
            except AuthenticationFailed as err:
                self.error, self.error_code = (f"Home Assistant at {self.settings.url} rejected the access token "
                                               f"({self.settings.token_source}): {err}"), "ha_auth_failed"
                log.error("%s", self.error)
            except Exception as err:  # down, restarting, network: try again later
                self.error, self.error_code = (f"Home Assistant at {self.settings.url} is unavailable "
                                               f"({type(err).__name__}: {err})"), "ha_unavailable"
                log.warning("%s", self.error)
            finally:
                self.attempted.set()
                was = self.connected.is_set()
                self.connected.clear()
                if listener is not None and not listener.done():
                    listener.cancel()
                with contextlib.suppress(Exception):
                    await client.disconnect()
                if was and not self._stopping:
                    self.error, self.error_code = f"lost the connection to Home Assistant at {self.settings.url}", \
                        "ha_unavailable"
                    log.warning("%s; reconnecting", self.error)
            if self._stopping:
                break
            self.reconnects += 1
            log.info("reconnecting to Home Assistant in %.0f s", delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX)

    async def _load(self, client: Any) -> None:
        from hass_client.exceptions import FailedCommand

        states = await client.get_states()
        areas = await client.get_area_registry()
        devices = await client.get_device_registry()
        entities = await client.get_entity_registry()
        try:  # the full entries, with aliases (the list leaves them out)
            full = await client.send_command("config/entity_registry/get_entries",
                                             entity_ids=[e["entity_id"] for e in entities])
            entities = [full.get(e["entity_id"]) or e for e in entities]
        except FailedCommand:  # before Home Assistant 2023.3
            pass
        try:
            exposed = (await client.send_command("homeassistant/expose_entity/list"))["exposed_entities"]
        except FailedCommand:  # before Home Assistant 2023.5: no Assist exposure settings
            exposed = None
        self.home = Home.build(states, areas, devices, entities, exposed)

    def _on_state_changed(self, event: dict[str, Any]) -> None:
        data = event.get("data") or {}
        if "entity_id" in data:
            self.home.update_state(data.get("new_state"), data["entity_id"])

    # ---- use -------------------------------------------------------------------------------------

    def require(self) -> Home:
        """The home, or the coded error a tool gives while Home Assistant cannot be used."""
        if not self.connected.is_set():
            raise ToolError(self.error or f"Home Assistant at {self.settings.url} is unavailable (connecting)",
                            self.error_code)
        return self.home

    async def command(self, command: str, **kwargs: Any) -> Any:
        """Send a websocket command; its result (a refusal is ``ha_command_failed``)."""
        from hass_client.exceptions import BaseHassClientError, FailedCommand

        self.require()
        try:
            return await asyncio.wait_for(self._client.send_command(command, **kwargs), CALL_TIMEOUT)
        except FailedCommand as err:
            raise ToolError(f"Home Assistant refused {command}: {err}", "ha_command_failed") from err
        except (BaseHassClientError, TimeoutError, asyncio.CancelledError, OSError) as err:
            raise ToolError(f"Home Assistant at {self.settings.url} is unavailable ({type(err).__name__})",
                            "ha_unavailable") from err

    async def call_service(self, domain: str, service: str, data: dict[str, Any] | None = None,
                           entity_ids: list[str] | None = None) -> None:
        """Call a Home Assistant service on entities; a refusal is ``ha_service_refused``."""
        from hass_client.exceptions import BaseHassClientError, FailedCommand

        self.require()
        target = {"entity_id": entity_ids} if entity_ids else None
        log.info("call %s.%s %s %s", domain, service, entity_ids or "", data or "")
        try:
            await asyncio.wait_for(self._client.call_service(domain, service, data or None, target), CALL_TIMEOUT)
        except FailedCommand as err:
            raise ToolError(f"Home Assistant refused {domain}.{service}: {err}", "ha_service_refused") from err
        except (BaseHassClientError, TimeoutError, asyncio.CancelledError, OSError) as err:
            raise ToolError(f"Home Assistant at {self.settings.url} is unavailable ({type(err).__name__})",
                            "ha_unavailable") from err
