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
import contextlib
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hearth import Check, SchemaTool, ToolError, ToolResult, hearth_home, hookimpl
from hearth.kit import models_toml_path, read_toml, validation_error

__version__ = "0.1.0"

log = logging.getLogger(__name__)

PLUGIN = "mcp_client"
SAY_LIMIT = 200  # a text result this short is also the sentence a tier-1 reply says


# ---- configuration --------------------------------------------------------------------------------


class McpServerConfig(BaseModel):
    """One ``[[mcp.servers]]`` table: stdio (``command``) or streamable HTTP (``url``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,31}$",
                      description="the server's name: shown beside its tools, and the prefix of a clashing tool name")
    command: str | None = Field(None, description="stdio: the program that runs the server")
    args: list[str] = Field(default_factory=list, description="stdio: its arguments")
    env: dict[str, str] = Field(default_factory=dict, description="stdio: extra environment variables")
    cwd: str | None = Field(None, description="stdio: the working directory")
    url: str | None = Field(None, description="streamable HTTP: the server's MCP endpoint")
    token_env: str | None = Field(None, description="streamable HTTP: environment variable holding a bearer token")
    timeout: float = Field(30.0, gt=0, description="seconds one tool call may take")
    connect_timeout: float = Field(15.0, gt=0, description="seconds to connect and list the tools")
    ping_interval: float = Field(10.0, gt=0, description="seconds between liveness pings")
    max_backoff: float = Field(60.0, gt=0, description="longest wait between reconnection attempts, in seconds")
    examples: dict[str, list[str]] = Field(
        default_factory=dict, description="tier-1 sentence templates per tool, e.g. {add_note = ['note {text}']}")

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^https?://", v):
            raise ValueError("url must start with http:// or https://")
        return v

    @model_validator(mode="after")
    def _one_transport(self) -> McpServerConfig:
        if (self.command is None) == (self.url is None):
            raise ValueError("give either command (stdio) or url (streamable HTTP)")
        if self.url is None and self.token_env:
            raise ValueError("token_env is for a url server")
        if self.command is None and (self.args or self.env or self.cwd):
            raise ValueError("args, env and cwd are for a command (stdio) server")
        return self

    @property
    def transport(self) -> Literal["stdio", "http"]:
        return "stdio" if self.command else "http"


class McpConfig(BaseModel):
    """The ``[mcp]`` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    servers: list[McpServerConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> McpConfig:
        names = [s.name for s in self.servers]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"two servers are named {', '.join(dup)}; give each its own name")
        return self


def mcp_config(data: dict[str, Any] | None, source: str | Path) -> McpConfig:
    """Validate an ``[mcp]`` table; ConfigError naming the file, the table and the key."""
    data = data or {}

    def where(loc: tuple) -> str:
        parts = [str(p) for p in loc]
        if len(parts) >= 2 and parts[0] == "servers" and parts[1].isdigit():
            i = int(parts[1])
            servers = data.get("servers") or []
            name = servers[i].get("name") if i < len(servers) and isinstance(servers[i], dict) else None
            table = f"[[mcp.servers]] #{i + 1}" + (f" ({name})" if isinstance(name, str) else "")
            key = ".".join(parts[2:])
        else:
            table, key = "[mcp]", ".".join(parts)
        return f"{table} key '{key}'" if key else table

    try:
        return McpConfig.model_validate(data)
    except ValidationError as err:
        raise validation_error(err, source, where) from err


def config_for(agent: Any) -> McpConfig:
    """The agent's ``[mcp]`` table; for an agent built from an in-memory ModelsFile without one (as
    ``hearth tools run`` does), the ``[mcp]`` table of the models.toml in force."""
    table = getattr(agent.models, "mcp", None) or {}
    path = agent.models_path
    if not table and str(path) == "<memory>":
        path = models_toml_path()
        table = read_toml(path).get("mcp") if path.exists() else {}
    return mcp_config(table, path)


# ---- one server -----------------------------------------------------------------------------------


def _tool_name(name: str) -> str:
    """A Hearth tool name for an MCP tool name (which may hold dots, dashes, slashes...)."""
    clean = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not re.match(r"^[A-Za-z_]", clean):
        clean = "t_" + clean
    return clean[:64]


def _result(result: Any, tool: str) -> ToolResult:
    """An MCP CallToolResult as what the model reads: its text, its structured content, or both."""
    texts = []
    for block in result.content or []:
        kind = getattr(block, "type", "")
        if kind == "text":
            texts.append(block.text)
        elif kind in ("image", "audio"):
            texts.append(f"[{kind} {getattr(block, 'mime_type', '')}]")
        elif kind == "resource_link":
            texts.append(f"[resource {block.uri}]")
        elif kind == "resource":
            texts.append(getattr(block.resource, "text", None) or f"[resource {block.resource.uri}]")
    text = "\n".join(t for t in texts if t)
    if result.is_error:
        raise ToolError(f"{tool} failed: {text or 'the server reported an error'}", "mcp_tool_error")
    structured = result.structured_content
    data: Any = text
    if structured is not None:
        data = {"text": text, "structured": structured}
        if not text or _same(text, structured):
            data = structured
        elif isinstance(structured, dict) and list(structured) == ["result"] and _same(text, structured["result"]):
            data = structured["result"]  # the SDK's wrapping of a plain return value
    spoken = text if text and len(text) <= SAY_LIMIT and not text.lstrip().startswith(("{", "[")) else None
    return ToolResult(data, say=spoken)


def _same(text: str, value: Any) -> bool:
    """Whether ``text`` is ``value`` written out (as JSON, or as the string itself)."""
    if isinstance(value, str):
        return text == value
    try:
        return json.loads(text) == value
    except ValueError:
        return False


@dataclass
class ServerStatus:
    name: str
    transport: str
    state: Literal["starting", "connected", "down", "stopped"]
    error: str | None
    tools: list[str]


class McpServer:
    """One configured server: a supervisor task that connects, lists the tools, watches the connection
    and reconnects with backoff, and the SchemaTools that call through it."""

    def __init__(self, cfg: McpServerConfig, agent: Any) -> None:
        self.cfg = cfg
        self.agent = agent
        self.state: Literal["starting", "connected", "down", "stopped"] = "starting"
        self.error: str | None = None
        self.tools: dict[str, SchemaTool] = {}  # by the server's own tool name
        self.attempts = 0
        self.connections = 0
        self._client: Any = None
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()  # a list change, a dropped call or stop: the watcher looks again
        self._relist = False
        self._dropped = False
        self._first = asyncio.Event()  # the first attempt ended (connected or failed)
        self._connected = asyncio.Event()  # this attempt connected
        self.log_path = hearth_home() / "logs" / f"mcp-{cfg.name}.log"
        self._errlog: Any = None

    # -- lifecycle

    async def start(self) -> None:
        """Start the supervisor and wait for the first attempt (at most ``connect_timeout`` seconds)."""
        self._task = asyncio.create_task(self._supervise(), name=f"mcp server {self.cfg.name}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._first.wait(), self.cfg.connect_timeout + 1)

    async def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), 10)
            except (TimeoutError, Exception):
                self._task.cancel()
                with contextlib.suppress(BaseException):
                    await self._task
        for name in list(self.tools):
            self._drop_tool(name)
        self.state = "stopped"
        if self._errlog is not None:
            self._errlog.close()
            self._errlog = None

    def status(self) -> ServerStatus:
        return ServerStatus(self.cfg.name, self.cfg.transport, self.state, self.error,
                            sorted(t.name for t in self.tools.values()))

    # -- the supervisor

    async def _supervise(self) -> None:
        delay = 1.0
        while not self._stop.is_set():
            self.attempts += 1
            connected_before = self.connections
            self._connected = asyncio.Event()
            conn = asyncio.create_task(self._connection(), name=f"mcp connection {self.cfg.name}")
            try:
                # the connection task opens anyio task groups, so the connect timeout cancels it from outside
                waiter = asyncio.create_task(self._connected.wait())
                await asyncio.wait({conn, waiter}, timeout=self.cfg.connect_timeout,
                                   return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                if not conn.done() and not self._connected.is_set():
                    conn.cancel()
                    with contextlib.suppress(BaseException):
                        await conn
                    raise TimeoutError
                await conn
            except asyncio.CancelledError:
                conn.cancel()
                raise
            except BaseException as err:  # anyio wraps failures in exception groups
                self.error = _describe(err)
                if isinstance(err, TimeoutError):
                    self.error = f"no answer within {self.cfg.connect_timeout:g} s"
                log.warning("mcp server %s: %s", self.cfg.name, self.error)
            else:
                self.error = self.error if self._stop.is_set() else "the connection closed"
            self._set_available(False, self.error or "disconnected")
            self._client = None
            self._first.set()
            if self._stop.is_set():
                break
            self.state = "down"
            if self.connections > connected_before:
                delay = 1.0  # it worked for a while: try again soon
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), delay)
            delay = min(delay * 2, self.cfg.max_backoff)

    def _transport(self) -> Any:
        from mcp import StdioServerParameters, stdio_client
        from mcp.client.streamable_http import streamable_http_client
        if self.cfg.command:
            params = StdioServerParameters(command=self.cfg.command, args=list(self.cfg.args), env=dict(self.cfg.env),
                                           cwd=self.cfg.cwd)
            # the server's stderr goes to its own log, not into Hearth's output (or Hearth's own MCP stream)
            if self._errlog is None:
                self.log_path.parent.mkdir(parents=True, exist_ok=True)
                self._errlog = open(self.log_path, "a", encoding="utf-8")  # noqa: SIM115 (closed in stop)
            return stdio_client(params, errlog=self._errlog)
        import httpx2
        headers = {}
        if self.cfg.token_env:
            token = os.environ.get(self.cfg.token_env)
            if not token:
                raise ToolError(f"the environment variable {self.cfg.token_env} (token_env) is not set", "mcp_config")
            headers["Authorization"] = f"Bearer {token}"
        timeout = httpx2.Timeout(self.cfg.connect_timeout, read=max(self.cfg.timeout, 300.0))
        http = httpx2.AsyncClient(headers=headers, timeout=timeout)
        assert self.cfg.url is not None
        return streamable_http_client(self.cfg.url, http_client=http)

    async def _connection(self) -> None:
        """One connection: connect, list, then watch (list changes, pings) until it drops or Hearth stops."""
        import anyio
        from mcp import Client
        from mcp_types.version import MODERN_PROTOCOL_VERSIONS

        async def on_message(message: Any) -> None:
            if getattr(message, "method", None) == "notifications/tools/list_changed":
                self._relist = True
                self._wake.set()

        self._dropped = False
        async with Client(self._transport(), message_handler=on_message, read_timeout_seconds=self.cfg.timeout,
                          cache=None) as client:
            with anyio.fail_after(self.cfg.connect_timeout):
                await self._list(client)
            self._client = client
            self.state, self.error = "connected", None
            self.connections += 1
            self._set_available(True)
            self._connected.set()
            self._first.set()
            log.info("mcp server %s: connected, %d tools", self.cfg.name, len(self.tools))
            listener = None
            if client.protocol_version in MODERN_PROTOCOL_VERSIONS:
                listener = asyncio.create_task(self._listen(client), name=f"mcp listen {self.cfg.name}")
            try:
                await self._watch(client)
            finally:
                self._client = None
                if listener is not None:
                    listener.cancel()
                    with contextlib.suppress(BaseException):
                        await listener

    async def _listen(self, client: Any) -> None:
        """2026-era servers announce list changes on a ``subscriptions/listen`` stream."""
        try:
            async with client.listen(tools_list_changed=True) as sub:
                async for _event in sub:
                    self._relist = True
                    self._wake.set()
        except asyncio.CancelledError:
            raise
        except BaseException as err:
            log.info("mcp server %s: no list-change stream (%s)", self.cfg.name, _describe(err))

    async def _watch(self, client: Any) -> None:
        import anyio
        from mcp_types.version import MODERN_PROTOCOL_VERSIONS
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.cfg.ping_interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            if self._dropped:
                raise ConnectionError("a call found the connection gone")
            if self._relist:
                self._relist = False
                with anyio.fail_after(self.cfg.connect_timeout):
                    await self._list(client)
                continue
            with anyio.fail_after(min(self.cfg.ping_interval, 10.0)):
                if client.protocol_version in MODERN_PROTOCOL_VERSIONS:
                    await self._list(client)  # 2026-era servers have no ping: a listing proves it alive
                else:
                    await client.send_ping()

    # -- tools

    async def _list(self, client: Any) -> None:
        listed = []
        cursor = None
        for _ in range(100):
            page = await client.list_tools(cursor=cursor, cache_mode="refresh") if cursor else await client.list_tools()
            listed += page.tools
            cursor = page.next_cursor
            if not cursor:
                break
        seen = set()
        for t in listed:
            seen.add(t.name)
            old = self.tools.get(t.name)
            if old is not None and old.parameters == {**t.input_schema, **{
                    "properties": dict(t.input_schema.get("properties") or {}),
                    "required": list(t.input_schema.get("required") or [])}} and old.description == " ".join(
                    (t.description or "").split()):
                continue
            if old is not None:
                self._drop_tool(t.name)
            self._add_tool(t)
        for name in [n for n in self.tools if n not in seen]:
            self._drop_tool(name)

    def _add_tool(self, t: Any) -> None:
        registry = self.agent.tools
        name = registry.free_name(_tool_name(t.name), self.cfg.name)

        async def call(arguments: dict[str, Any], _name: str = t.name) -> ToolResult:
            return await self._call(_name, arguments)

        try:
            tool = SchemaTool(name, t.description or "", t.input_schema, call, plugin=PLUGIN, server=self.cfg.name,
                              examples=self.cfg.examples.get(t.name, ()), timeout=self.cfg.timeout)
            registry.add(tool)
        except Exception as err:
            log.warning("mcp server %s: tool %s skipped: %s", self.cfg.name, t.name, err)
            return
        self.tools[t.name] = tool
        info = self.agent.plugins.info.get(PLUGIN)
        if info is not None and name not in info.tools:
            info.tools.append(name)

    def _drop_tool(self, mcp_name: str) -> None:
        tool = self.tools.pop(mcp_name)
        if self.agent.tools.get(tool.name) is tool:
            self.agent.tools.remove(tool.name)
        info = self.agent.plugins.info.get(PLUGIN)
        if info is not None and tool.name in info.tools:
            info.tools.remove(tool.name)

    def _set_available(self, available: bool, reason: str = "") -> None:
        for tool in self.tools.values():
            tool.set_available(available, f"MCP server {self.cfg.name} is {reason}" if reason else "")

    async def _call(self, mcp_name: str, arguments: dict[str, Any]) -> ToolResult:
        from mcp import MCPError
        client = self._client
        if client is None:
            raise ToolError(f"MCP server {self.cfg.name} is not connected: {self.error or 'reconnecting'}",
                            "tool_unavailable")
        try:
            result = await client.call_tool(mcp_name, arguments, read_timeout_seconds=self.cfg.timeout)
        except MCPError as err:
            raise ToolError(f"MCP server {self.cfg.name} refused {mcp_name}: {err}", "mcp_error") from err
        except (asyncio.CancelledError, TimeoutError):
            raise
        except BaseException as err:
            if not isinstance(err, Exception) and not isinstance(err, BaseExceptionGroup):
                raise
            self._dropped = True
            self._wake.set()
            raise ToolError(f"MCP server {self.cfg.name} dropped the call: {_describe(err)}",
                            "tool_unavailable") from err
        return _result(result, mcp_name)


def _describe(err: BaseException) -> str:
    """The first real error inside anyio's exception groups, as one line."""
    while isinstance(err, BaseExceptionGroup) and err.exceptions:
        err = err.exceptions[0]
    if isinstance(err, TimeoutError):
        return "no answer in time"
    if isinstance(err, ImportError) and (err.name or "").split(".")[0] in ("mcp", "mcp_types", "jsonschema", "httpx2"):
        return "the MCP SDK is not installed: pip install 'hearth[mcp]'"
    return f"{type(err).__name__}: {err}".strip().rstrip(":")


# ---- the plugin -----------------------------------------------------------------------------------


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


_clients: dict[int, McpClients] = {}  # by id(agent)


def clients(agent: Any) -> McpClients | None:
    """The MCP servers of a started agent (None before ``startup``)."""
    return _clients.get(id(agent))


def server_status(agent: Any) -> list[ServerStatus]:
    """Each configured server's state, error and tools (for ``hearth plugins`` and ``/healthz``)."""
    found = clients(agent)
    return found.status() if found else []


@hookimpl
async def startup(agent: Any) -> None:
    config = config_for(agent)  # a bad [mcp] table is this plugin's error: hearth plugins shows it
    if not config.servers:
        return
    found = McpClients(agent, config)
    _clients[id(agent)] = found
    await found.start()
    for s in found.status():
        if s.state != "connected":
            agent.plugins.warn(PLUGIN, f"MCP server {s.name} did not start: {s.error}; Hearth goes on without it "
                                       "and keeps retrying")


@hookimpl
async def shutdown(agent: Any) -> None:
    found = _clients.pop(id(agent), None)
    if found is not None:
        await found.stop()


# ---- doctor ---------------------------------------------------------------------------------------


@hookimpl
async def doctor_checks(models: Any, load: bool = False) -> list[Check]:
    """One line per configured MCP server: connected with N tools, or why not."""
    CheckType = Check
    try:
        config = mcp_config(getattr(models, "mcp", None) or {}, "models.toml")
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
