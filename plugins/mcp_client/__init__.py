"""MCP servers' tools as Hearth tools: the ``[[mcp.servers]]`` of models.toml, over stdio or streamable HTTP.

.. code-block:: toml

    [[mcp.servers]]
    name = "notes"
    command = "python"                # stdio: command, args, env, cwd
    args = ["notes_server.py"]

    [[mcp.servers]]
    name = "home"
    url = "http://homeassistant.local:8123/api/mcp"   # streamable HTTP
    token_env = "HASS_TOKEN"                          # sent as a bearer token

At ``startup`` each server is connected and its tools listed (again whenever it says its list
changed); each becomes a :class:`hearth.tooling.tool.SchemaTool` whose arguments are checked against the
server's input schema before the call. A server that dies or drops is reconnected with backoff; its
tools stay listed but fail with ``tool_unavailable`` meanwhile. A server that never starts is
reported (``doctor_checks``, ``server_status``) and Hearth goes on without it. A tool whose name
another tool has already gets the server's name as a prefix (``home_HassTurnOn``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from hearth import Check, hookimpl

from .config import McpConfig, McpServerConfig, mcp_config
from .server import PLUGIN, McpServer, ServerStatus

__version__ = "0.1.0"

__all__ = ["McpConfig", "McpServer", "McpServerConfig", "ServerStatus", "clients", "config_for", "mcp_config",
           "server_status"]

log = logging.getLogger(__name__)


def config_for(agent: Any) -> McpConfig:
    """The agent's ``[mcp]`` table, as the core validated it (``agent.settings("mcp")``)."""
    return agent.settings("mcp") or McpConfig()


class McpClients:
    """Every configured server of one agent."""

    def __init__(self, agent: Any, config: McpConfig) -> None:
        self.servers = [McpServer(cfg, agent) for cfg in config.servers]

    async def start(self) -> None:
        await asyncio.gather(*(s.start() for s in self.servers))

    async def stop(self) -> None:
        await asyncio.gather(*(s.stop() for s in self.servers))

    def status(self) -> list[ServerStatus]:
        return [s.status() for s in self.servers]


class McpState:
    """One agent's MCP servers (``agent.state(McpState)``): None before ``startup`` and after ``shutdown``."""

    def __init__(self) -> None:
        self.clients: McpClients | None = None


def clients(agent: Any) -> McpClients | None:
    """The MCP servers of a started agent (None before ``startup``)."""
    return agent.state(McpState).clients


def server_status(agent: Any) -> list[ServerStatus]:
    """Each configured server's state, error and tools (for ``hearth plugins`` and ``/healthz``)."""
    found = clients(agent)
    return found.status() if found else []


@hookimpl
def register_settings(register: Any) -> None:
    register("mcp", McpConfig)


@hookimpl
async def startup(agent: Any) -> None:
    config = config_for(agent)  # a bad [mcp] table is this plugin's error: hearth plugins shows it
    if not config.servers:
        return
    found = McpClients(agent, config)
    agent.state(McpState).clients = found
    await found.start()
    for s in found.status():
        if s.state != "connected":
            agent.plugins.warn(PLUGIN, f"MCP server {s.name} did not start: {s.error}; Hearth goes on without it "
                                       "and keeps retrying")


@hookimpl
async def shutdown(agent: Any) -> None:
    state = agent.state(McpState)
    found, state.clients = state.clients, None
    if found is not None:
        await found.stop()


# ---- doctor ---------------------------------------------------------------------------------------


@hookimpl
async def doctor_checks(models: Any, load: bool = False) -> list[Check]:
    """One line per configured MCP server: connected with N tools, or why not."""
    CheckType = Check
    try:
        config = mcp_config(models.plugin_tables().get("mcp") or {}, "models.toml")
    except Exception as err:
        return [CheckType("fail", "mcp", str(err))]
    out = []
    for cfg in config.servers:
        probe = _Probe()
        server = McpServer(cfg.model_copy(update={"max_backoff": cfg.connect_timeout * 4}), probe)
        await server.start()
        st = server.status()
        await server.stop()
        where = cfg.url or " ".join([cfg.command or "", *cfg.args])
        if st.state == "connected":
            out.append(CheckType("ok", f"mcp server {cfg.name}", f"{len(st.tools)} tools ({where})"))
        else:
            out.append(CheckType("fail", f"mcp server {cfg.name}", f"did not start: {st.error} ({where})"))
    return out


class _Probe:
    """Just enough of an agent for a doctor's connection test."""

    def __init__(self) -> None:
        from hearth.kit import ToolRegistry
        self.tools = ToolRegistry()
        self.plugins = type("_NoPlugins", (), {"info": {}})()
