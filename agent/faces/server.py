"""Hearth as a local service: a websocket at ``/ws``, HTTP under ``/api``, and a chat page at ``/``.

One :class:`hearth.Agent` serves every client. A session's turns run in order (the agent holds a
lock per session); different sessions run at once up to ``concurrency`` turns, and up to
``queue`` more wait their turn. Past that, a request is answered ``busy`` at once rather than
left hanging. Every frame the server streams for a turn is exactly an event's ``to_dict()``
(``hearth.events``); the few frames of its own (``hello``, ``pong``, ``queued``, ``history``,
``error``) are documented in the README.
"""

from __future__ import annotations

import contextlib
import importlib.util
import socket
from collections.abc import Callable
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from hearth import __version__
from hearth.faces.guard import GuardMiddleware, host_guard
from hearth.faces.http_errors import add_error_handlers
from hearth.faces.http_models import (
    API_ERRORS,
    ChatReply,
    ChatRequest,
    ErrorBody,
    ErrorReply,
    SessionHistory,
    ToolCallReport,
    ToolRunReply,
)
from hearth.faces.hub import Hub
from hearth.faces.openai_api import add_openai_routes
from hearth.faces.openapi import hearth_openapi
from hearth.faces.routes_chat import FAILED_STATUS, chat_router, header_safe
from hearth.faces.routes_page import WEB_DIR, page_router
from hearth.faces.routes_tools import tools_router
from hearth.faces.routes_ws import ws_router
from hearth.faces.settings import ServerSettings

# named here too: they were defined in this module before its routers had modules of their own
__all__ = ["API_ERRORS", "FAILED_STATUS", "WEB_DIR", "ChatReply", "ChatRequest", "ErrorBody", "ErrorReply",
           "ServerSettings", "SessionHistory", "ToolCallReport", "ToolRunReply", "create_app", "header_safe", "serve"]


def create_app(agent, settings: ServerSettings | None = None) -> FastAPI:
    """The ASGI app serving ``agent``: the guards, the error handlers and each face's router.
    ``hearth serve`` runs it with uvicorn."""
    settings = settings or ServerSettings()
    settings.check()
    hub = Hub(agent, settings)
    mcp_face = None
    if importlib.util.find_spec("mcp") is not None:  # the MCP face at /mcp, with the MCP extra installed
        from hearth.faces.mcp_server import McpHttp
        mcp_face = McpHttp(agent)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await hub.start()
        async with mcp_face.running() if mcp_face else contextlib.nullcontext():
            try:
                yield
            finally:
                await hub.stop()

    app = FastAPI(title="Hearth", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="A local voice and tool agent. Websocket protocol at /ws: see the README.")
    app.state.hub = hub
    app.add_middleware(GuardMiddleware, settings=settings)
    app.add_middleware(host_guard, settings=settings)  # outermost: the Host is checked first
    add_openai_routes(app, hub)  # /v1: OpenAI-style chat completions and models, behind the same rules
    if mcp_face is not None:  # a route, not a mount, so /mcp itself answers; the token and Host rules apply
        app.add_route("/mcp", mcp_face.app, methods=["GET", "POST", "DELETE"])  # an ASGI app
    add_error_handlers(app, settings)
    for router in (page_router(hub), chat_router(hub, settings), tools_router(hub), ws_router(hub)):
        app.include_router(router)
    app.openapi = hearth_openapi(app, hub)  # type: ignore[method-assign]
    return app


STOP_GRACE_S = 3  # seconds a stopping server gives open requests before it closes them


class _Server(uvicorn.Server):
    """uvicorn's server, calling ``on_ready`` once it has started (the app's startup done, the port
    accepting connections), so a line printed then is never ahead of the server."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None] | None) -> None:
        super().__init__(config)
        self.on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self.on_ready is not None:
            self.on_ready()


def serve(agent, settings: ServerSettings, *, log_level: str = "info", sock: socket.socket | None = None,
          on_ready: Callable[[], None] | None = None) -> None:
    """Run the app with uvicorn until SIGINT or SIGTERM (on ``sock`` if given, already bound).

    The first signal stops it within a few seconds whatever its tools are doing: open requests get
    ``STOP_GRACE_S`` to finish, and a tool still running is abandoned (its thread is a daemon)."""
    app = create_app(agent, settings)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level=log_level,
                            ws_max_size=max(settings.max_frame * 16, 1 << 20), ws_ping_interval=20,
                            ws_ping_timeout=20, timeout_keep_alive=5, proxy_headers=False,
                            timeout_graceful_shutdown=STOP_GRACE_S)
    _Server(config, on_ready).run(sockets=[sock] if sock is not None else None)
