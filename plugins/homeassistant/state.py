"""One agent's Home Assistant: the connection its tools, tier 1, the prompt context and the to-do store use.

Each agent gets its own (``agent.state(HomeAssistantState)``, ``ctx.state(HomeAssistantState)`` in a
tool), so two agents in one process can talk to two Home Assistants, or one to none.
"""

from __future__ import annotations

from hearth import ToolError

from .client import Connection


class HomeAssistantState:
    """The agent's connection: None before ``startup``, when Home Assistant is not configured, and after
    ``shutdown``."""

    def __init__(self) -> None:
        self.connection: Connection | None = None
        self.error: str | None = None  # what is wrong with the [homeassistant] table, when something is

    def require(self) -> Connection:
        """The connection, or the coded error a tool gives when this agent has no Home Assistant."""
        if self.error is not None:
            raise ToolError(self.error, "ha_config_invalid")
        if self.connection is None:
            raise ToolError("Home Assistant is not set up: set [homeassistant] url in models.toml or HASS_URL",
                            "ha_not_configured")
        return self.connection
