"""``hearth doctor`` for Home Assistant: the connection, the token and how many entities are exposed to Assist."""

from __future__ import annotations

import asyncio
from typing import Any

from hearth import Check

from .client import Connection, websocket_url
from .settings import from_models


async def doctor_checks(models: Any, load: bool = False) -> list[Check]:
    """One check for the Home Assistant that ``models`` (its ``[homeassistant]`` table) and the environment
    name; none when Home Assistant is not configured."""
    settings = from_models(models)
    if settings is None:
        return []
    name = "Home Assistant"
    if not settings.token:
        return [Check("fail", name, f"no token: set {settings.token_source} to a long-lived access token")]
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
        return [Check("ok", name, f"{settings.url}: Home Assistant {client.version}, {len(home.entities)} "
                                  f"entities exposed to Assist in {len(home.areas)} areas")]
    except AuthenticationFailed as err:
        return [Check("fail", name, f"{settings.url} rejected the token in {settings.token_source}: {err}")]
    except (BaseHassClientError, TimeoutError, OSError) as err:
        return [Check("fail", name, f"{settings.url} is unreachable: {type(err).__name__}: {err}")]
    finally:
        await client.disconnect()
