"""Hearth as an MCP server: the agent's tools for any MCP client, over stdio or streamable HTTP.

Every call goes through :meth:`hearth.Agent.run_tool`, so it is validated, checked by
``before_tool_call`` and written to the tool-call log like any other call (session ``mcp`` unless
told otherwise). A failed call is an MCP tool error (``isError``) whose text carries Hearth's code.

- ``hearth mcp``: ``asyncio.run(run_stdio(agent))``.
- ``hearth serve``: ``face = McpHttp(agent)``; route ``/mcp`` to ``face.app`` and run
  ``face.running()`` in the server's lifespan (see :class:`McpHttp`).

Needs the ``mcp`` extra (``pip install 'hearth[mcp]'``).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from hearth.errors import HearthError

if TYPE_CHECKING:
    from mcp.server.lowlevel import Server

    from hearth.agent import Agent

SERVER_NAME = "hearth"
DEFAULT_SESSION = "mcp"


def _require_mcp() -> None:
    try:
        import mcp  # noqa: F401
    except ImportError as err:
        raise HearthError("Serving MCP needs the MCP SDK: pip install 'hearth[mcp]'", "missing_extra") from err


def build_server(agent: Agent, *, session: str = DEFAULT_SESSION) -> Server[Any]:
    """An MCP server (the SDK's low-level ``Server``) that lists the agent's tools with their JSON
    schemas and runs a call through ``agent.run_tool`` under ``session``."""
    _require_mcp()
    import mcp_types as types
    from mcp.server.lowlevel import Server

    from hearth import __version__

    async def list_tools(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        tools = []
        for t in agent.tools:
            if not getattr(t, "available", True):
                continue
            description = t.description + (f" (from MCP server {t.server})" if getattr(t, "server", None) else "")
            tools.append(types.Tool(name=t.name, description=description, input_schema=t.parameters))
        return types.ListToolsResult(tools=tools)

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        outcome = await agent.run_tool(params.name, dict(params.arguments or {}), session=session)
        if not outcome.ok:
            text = json.dumps({"error": outcome.error_code, "message": outcome.result}, ensure_ascii=False)
            return types.CallToolResult(content=[types.TextContent(text=text)], is_error=True)
        content = [types.TextContent(text=json.dumps(outcome.result, ensure_ascii=False, default=str))]
        if outcome.say:
            content.insert(0, types.TextContent(text=outcome.say))
        structured = outcome.result if isinstance(outcome.result, dict) else None
        return types.CallToolResult(content=content, structured_content=structured)

    return Server(SERVER_NAME, version=__version__, instructions=instructions(agent), on_list_tools=list_tools,
                  on_call_tool=call_tool)


def instructions(agent: Agent) -> str:
    """What the server tells a client it offers, from the registered tools: their plugins, by name."""
    plugins = list(dict.fromkeys((t.plugin or "hearth").replace("_", " ") for t in agent.tools))
    if not plugins:
        return "Hearth's home tools (none are registered)."
    return "Hearth's home tools, from its plugins: " + ", ".join(plugins) + "."


async def run_stdio(agent: Agent, *, session: str = DEFAULT_SESSION) -> None:
    """Serve the agent's tools over stdin/stdout until the client closes them (``hearth mcp``).

    Starts the agent without loading a model (tools need none) and stops it at the end. While
    serving, anything written to stdout goes to stderr, so logs cannot corrupt the protocol.
    """
    _require_mcp()
    from mcp.server.stdio import stdio_server

    server = build_server(agent, session=session)
    await agent.start(load_model=False)
    try:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())
    finally:
        await agent.stop()


class McpHttp:
    """Streamable HTTP for MCP clients, to mount in ``hearth serve``.

    ``app`` is a plain ASGI app serving one endpoint; route the server's ``/mcp`` path to it
    (``fastapi_app.add_route("/mcp", face.app)``: a Route, not a Mount, so ``/mcp`` itself answers)
    behind the server's own token and Host checks, and keep ``face.running()`` open for the
    server's lifetime (its lifespan), which runs the SDK's session manager. The SDK's own
    DNS-rebinding guard is off: the server's Host rules apply instead.
    """

    def __init__(self, agent: Agent, *, session: str = DEFAULT_SESSION, json_response: bool = False,
                 stateless: bool = False) -> None:
        from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager

        self.server = build_server(agent, session=session)
        self.manager = StreamableHTTPSessionManager(app=self.server, json_response=json_response, stateless=stateless)
        self.app = StreamableHTTPASGIApp(self.manager)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the session manager (once per McpHttp)."""
        async with self.manager.run():
            yield


def mcp_asgi_app(agent: Agent, *, path: str = "/mcp", session: str = DEFAULT_SESSION) -> Any:
    """A standalone Starlette app serving the agent's tools at ``path`` (the agent started and stopped
    with the app): for running Hearth's MCP endpoint alone, e.g. ``uvicorn.run(mcp_asgi_app(agent))``."""
    from starlette.applications import Starlette
    from starlette.routing import Route

    face = McpHttp(agent, session=session)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        await agent.start(load_model=False)
        try:
            async with face.running():
                yield
        finally:
            await agent.stop()

    return Starlette(routes=[Route(path, endpoint=face.app)], lifespan=lifespan)
