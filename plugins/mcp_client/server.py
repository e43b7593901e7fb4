"""One configured MCP server: a supervisor task that connects, lists the tools, watches the connection and
reconnects with backoff, and the :class:`hearth.SchemaTool` s that call through it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass
from typing import Any, Literal

from hearth import SchemaTool, ToolError, ToolResult, hearth_home

from .config import McpServerConfig
from .results import call_result, describe, tool_name

log = logging.getLogger("hearth.plugins.mcp_client")

PLUGIN = "mcp_client"


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
                self.error = describe(err)
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
            log.info("mcp server %s: no list-change stream (%s)", self.cfg.name, describe(err))

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
        name = registry.free_name(tool_name(t.name), self.cfg.name)

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
            raise ToolError(f"MCP server {self.cfg.name} dropped the call: {describe(err)}",
                            "tool_unavailable") from err
        return call_result(result, mcp_name)
