"""Home Assistant: Hearth is the voice and the understanding, Home Assistant stays the owner of the devices.

Configured by ``[homeassistant] url, token_env`` in models.toml or ``HASS_URL`` / ``HASS_TOKEN``; an
agent without either has no Home Assistant tools once started. It connects to Home Assistant's websocket API in the background
(:mod:`.client`), offers the Assist intents as tools (:mod:`.tools`), answers Home Assistant's own sentences
without a model (:mod:`.intents`, the ``match_intent`` hook) and describes the exposed devices for model
prompts (:mod:`.context`). ``hearth doctor`` checks the connection (:mod:`.doctor`).

The plugin is a class (:class:`HomeAssistantPlugin`): one instance per agent, so every agent has its own
connection (:class:`.state.HomeAssistantState`, which the tools reach with ``ctx.state``), its own tier-1
matcher and its own settings (``agent.settings("homeassistant")``).
"""

from __future__ import annotations

import logging
from typing import Any

from hearth import Check, ConfigError, RegisterTool, hookimpl

from . import doctor, fans, lists, media
from .client import Connection
from .context import describe
from .intents import Matcher
from .settings import HomeAssistantTable, for_agent
from .state import HomeAssistantState
from .tools import EXAMPLES as DEVICE_EXAMPLES
from .tools import TOOLS as DEVICE_TOOLS

__version__ = "0.1.0"

log = logging.getLogger("hearth.homeassistant")
PLUGIN = "homeassistant"
TOOLS = [*DEVICE_TOOLS, *media.TOOLS, *fans.TOOLS, *lists.TOOLS]
EXAMPLES = {**DEVICE_EXAMPLES, **media.EXAMPLES, **fans.EXAMPLES, **lists.EXAMPLES}
FIRST_CONNECT_WAIT = 5.0  # seconds startup waits for the first connection (one-shot `hearth chat`)
TOOL_TIMEOUT = 15.0
PROMPT_CHARS = 2400  # the device list's share of a model's context (about 600 tokens)


class HomeAssistantPlugin:
    """The Home Assistant plugin of one agent: its connection, its tier-1 matcher and its tools."""

    __version__ = __version__

    def __init__(self) -> None:
        self.matcher = Matcher()
        self.state: HomeAssistantState | None = None  # the agent's, from startup on

    @hookimpl
    def register_settings(self, register: Any) -> None:
        register(PLUGIN, HomeAssistantTable)

    @hookimpl
    def register_tools(self, register: RegisterTool) -> None:
        """The Assist intents as tools. The settings are not known yet (they are the agent's), so the tools
        wait unavailable (not offered to models, as before a connection): ``startup`` makes them available
        where Home Assistant is configured and drops them where it is not."""
        for fn in TOOLS:
            tool = register(fn, name=fn.__name__, examples=EXAMPLES.get(fn.__name__, ()), timeout=TOOL_TIMEOUT)
            tool.hints["tier1"] = False  # tier 1 is match_intent over the live names, never "{name}" as any words
            tool.set_available(False, "Home Assistant is not set up yet (the agent has not started)")

    @hookimpl
    async def startup(self, agent: Any) -> None:
        """Connect when the agent's settings name a Home Assistant; otherwise take the tools away (so
        ``hearth tools`` and the models list them only where Home Assistant is configured)."""
        self.state = agent.state(HomeAssistantState)
        try:
            settings = for_agent(agent)
        except ConfigError as err:  # the tools say what is wrong with the table (hearth tools run)
            self.state.error = str(err)
            agent.plugins.warn(PLUGIN, str(err))
            return
        if settings is None:
            _remove_tools(agent)
            return
        for tool in _own_tools(agent):
            tool.set_available(True)
        if not settings.token:
            log.error("no Home Assistant token: set %s to a long-lived access token (your profile page in Home "
                      "Assistant, Security, Long-lived access tokens)", settings.token_source)
        connection = Connection(settings)
        self.state.connection = connection
        self.matcher.skip = {settings.todo_entity}  # Hearth's own shopping list answers for that one
        connection.start()
        if not await connection.wait_first(FIRST_CONNECT_WAIT):
            agent.plugins.warn(PLUGIN, f"{connection.error or 'Home Assistant is not connected yet'}; Hearth "
                               "starts without it and keeps trying")
        if settings.todo:  # said plainly rather than silently ignored
            agent.plugins.warn(PLUGIN, f"todo = true: {settings.todo_entity} is not yet what the shopping-list "
                               "tools read and write; they keep Hearth's own list")

    @hookimpl
    async def shutdown(self, agent: Any) -> None:
        state = self.state
        if state is None or state.connection is None:
            return
        await state.connection.stop()
        state.connection = None

    @hookimpl
    def match_intent(self, text: str) -> dict[str, Any] | None:
        connection = self.state.connection if self.state is not None else None
        if connection is None or not connection.connected.is_set():
            return None
        return self.matcher.match(text, connection.home)

    @hookimpl
    def prompt_context(self, session: str, room: str | None) -> str | None:
        """The exposed devices, by area, for the models of tiers 2 and 3 (within a character budget)."""
        connection = self.state.connection if self.state is not None else None
        if connection is None or not connection.connected.is_set():
            return None
        return describe(connection.home, PROMPT_CHARS) or None  # the same for every room: the prompt cache holds

    @hookimpl
    async def doctor_checks(self, models: Any, load: bool = False) -> list[Check]:
        """The connection, the token and how many entities are exposed to Assist."""
        return await doctor.doctor_checks(models, load)


def _own_tools(agent: Any) -> list[Any]:
    """This plugin's tools in the agent's registry."""
    return [t for fn in TOOLS if (t := agent.tools.get(fn.__name__)) is not None and t.plugin == PLUGIN]


def _remove_tools(agent: Any) -> None:
    """This agent has no Home Assistant: its tools go (from the registry and from ``hearth plugins``)."""
    info = agent.plugins.info.get(PLUGIN)
    for tool in _own_tools(agent):
        agent.tools.remove(tool.name)
        if info is not None and tool.name in info.tools:
            info.tools.remove(tool.name)


doctor_checks = doctor.doctor_checks  # the check itself, without an agent (tests, scripts)
