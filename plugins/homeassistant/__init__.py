"""Home Assistant: Hearth is the voice and the understanding, Home Assistant stays the owner of the devices.

Configured by ``[homeassistant] url, token_env`` in models.toml or ``HASS_URL`` / ``HASS_TOKEN``; without
either the plugin registers nothing. It connects to Home Assistant's websocket API in the background
(:mod:`.client`), offers the Assist intents as tools (:mod:`.tools`), answers Home Assistant's own sentences
without a model (:mod:`.intents`, the ``match_intent`` hook) and describes the exposed devices for model
prompts (:mod:`.context`). ``hearth doctor`` checks the connection (:func:`doctor_checks`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from hearth import Check, ConfigError, RegisterTool, hookimpl

from . import tools as _tools
from .client import Connection, websocket_url
from .intents import Matcher
from .settings import Settings, from_models, resolve

__version__ = "0.1.0"

log = logging.getLogger("hearth.homeassistant")
FIRST_CONNECT_WAIT = 5.0  # seconds startup waits for the first connection (one-shot `hearth chat`)

_matcher = Matcher()


def configured() -> Settings | None:
    """The settings from models.toml (``hearth.load_models``) and the environment, None when not set up.

    ``register_tools`` is called before the agent's models file is at hand, so it reads it here."""
    from hearth import load_models
    try:
        path, models = load_models()
        return from_models(models, path)
    except ConfigError as err:
        if "homeassistant" in str(err):
            raise
        return resolve({})


@hookimpl
def register_tools(register: RegisterTool) -> None:
    if configured() is None:
        return
    for fn in _tools.TOOLS:
        register(fn, name=fn.__name__, examples=_tools.EXAMPLES.get(fn.__name__, ()), timeout=15.0)


@hookimpl
async def startup(agent: Any) -> None:
    # the agent's models file, or models.toml itself when the agent runs on a placeholder (hearth tools run)
    settings = from_models(agent.models) or configured()
    if settings is None:
        return
    if not settings.token:
        log.error("no Home Assistant token: set %s to a long-lived access token (your profile page in Home "
                  "Assistant, Security, Long-lived access tokens)", settings.token_source)
    connection = Connection(settings)
    _tools.set_connection(connection)
    connection.start()
    if not await connection.wait_first(FIRST_CONNECT_WAIT):
        agent.plugins.warn("homeassistant", f"{connection.error or 'Home Assistant is not connected yet'}; Hearth "
                           "starts without it and keeps trying")
    if settings.todo:  # said plainly rather than silently ignored
        agent.plugins.warn("homeassistant", f"todo = true: {settings.todo_entity} is not yet what the shopping-list "
                           "tools read and write; they keep Hearth's own list")


@hookimpl
async def shutdown(agent: Any) -> None:
    connection = _tools._connection
    if connection is not None:
        await connection.stop()
        _tools.set_connection(None)


@hookimpl
def match_intent(text: str) -> dict[str, Any] | None:
    connection = _tools._connection
    if connection is None or not connection.connected.is_set():
        return None
    return _matcher.match(text, connection.home)


# ---- doctor ---------------------------------------------------------------------------------------


@hookimpl
async def doctor_checks(models: Any, load: bool = False) -> list[Check]:
    """The connection, the token and how many entities are exposed to Assist."""
    CheckType = Check
    settings = from_models(models)
    if settings is None:
        return []
    name = "Home Assistant"
    if not settings.token:
        return [CheckType("fail", name, f"no token: set {settings.token_source} to a long-lived access token")]
    from hass_client import HomeAssistantClient
    from hass_client.exceptions import AuthenticationFailed, BaseHassClientError
    client = HomeAssistantClient(websocket_url(settings.url), settings.token)
    try:
        await asyncio.wait_for(client.connect(), 10)
        listener = asyncio.create_task(client.start_listening())
        connection = Connection(settings)
        await asyncio.wait_for(connection._load(client), 20)
        home = connection.home
        listener.cancel()
        return [CheckType("ok", name, f"{settings.url}: Home Assistant {client.version}, {len(home.entities)} "
                                      f"entities exposed to Assist in {len(home.areas)} areas")]
    except AuthenticationFailed as err:
        return [CheckType("fail", name, f"{settings.url} rejected the token in {settings.token_source}: {err}")]
    except (BaseHassClientError, TimeoutError, OSError) as err:
        return [CheckType("fail", name, f"{settings.url} is unreachable: {type(err).__name__}: {err}")]
    finally:
        await client.disconnect()
