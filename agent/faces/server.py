"""Hearth as a local service: a websocket at ``/ws``, HTTP under ``/api``, and a chat page at ``/``.

One :class:`hearth.Agent` serves every client. A session's turns run in order (the agent holds a
lock per session); different sessions run at once up to ``concurrency`` turns, and up to
``queue`` more wait their turn. Past that, a request is answered ``busy`` at once rather than
left hanging. Every frame the server streams for a turn is exactly an event's ``to_dict()``
(``hearth.events``); the few frames of its own (``hello``, ``pong``, ``queued``, ``history``,
``error``) are documented in the README.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import logging
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Header, Query, Request, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.sse import format_sse_event
from pydantic import BaseModel, Field, create_model
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.websockets import WebSocketState

from hearth import __version__
from hearth.faces.guard import GuardMiddleware, error_response, host_guard
from hearth.faces.hub import Hub
from hearth.faces.openai_api import add_openai_routes
from hearth.faces.settings import SESSION_HEADER, ServerSettings, user_session
from hearth.faces.ws import Connection
from hearth.storage import Storage
from hearth.turn.text import visible_pattern

log = logging.getLogger(__name__)
WEB_DIR = Path(__file__).with_name("web")
# a failed turn's code -> the HTTP status it answers; any other code is 500 (internal_error and the like)
FAILED_STATUS = {"empty_message": 400, "model_load_failed": 503, "busy": 503, "backend_failed": 502, "timeout": 504}


# ---- HTTP models ------------------------------------------------------------------------------------


class ChatRequest(BaseModel):
    message: str = Field(min_length=1, description="What the user says, e.g. 'add eggs to my shopping list'.")
    user_id: str | None = Field(None, max_length=128, description="Who speaks. Without X-Session-ID, the "
                                "user's own conversation continues: session 'user-ID', with ID percent-encoded "
                                "(RFC 3986) unless it is plain ASCII letters, digits and '-._~'.")



def header_safe(value: str) -> bool:
    """Whether ``value`` can go back in a response header as it is (visible ASCII and spaces)."""
    return value.isascii() and value.isprintable() and value == value.strip()


class ToolCallReport(BaseModel):
    name: str
    arguments: dict[str, Any]
    ok: bool | None = None
    result: Any = None
    error_code: str | None = None


class ChatReply(BaseModel):
    session: str
    turn_id: str
    reply: str = Field(description="The whole reply, as said to the user.")
    tier: int = Field(description="1 intent fast path (no model), 2 router model, 3 main model.")
    tool_calls: list[ToolCallReport]
    timings: dict[str, float]
    user_id: str | None = None


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorReply(BaseModel):
    error: ErrorBody


class SessionHistory(BaseModel):
    session: str
    messages: list[dict[str, Any]]


class ToolRunReply(BaseModel):
    name: str
    ok: bool
    result: Any
    say: str | None = None
    error_code: str | None = None


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {s: {"model": ErrorReply} for s in statuses}


# what every /api route may answer besides its own: the guard's refusals (bad token, too large, too
# fast), a request it cannot read, and an unexpected failure (internal_error)
API_ERRORS = _errors(400, 401, 413, 429, 500)


# ---- the app ----------------------------------------------------------------------------------------


def create_app(agent, settings: ServerSettings | None = None) -> FastAPI:
    """The ASGI app serving ``agent``. ``hearth serve`` runs it with uvicorn."""
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
    # the message's limit is a setting, so the schema (and the check) are built here
    Chat = create_model("ChatRequest", __base__=ChatRequest, message=(str, Field(
        min_length=1, max_length=settings.max_message, pattern=visible_pattern(),
        description=ChatRequest.model_fields["message"].description)))
    app.add_middleware(GuardMiddleware, settings=settings)
    app.add_middleware(host_guard, settings=settings)  # outermost: the Host is checked first
    add_openai_routes(app, hub)  # /v1: OpenAI-style chat completions and models, behind the same rules
    if mcp_face is not None:  # a route, not a mount, so /mcp itself answers; the token and Host rules apply
        app.add_route("/mcp", mcp_face.app, methods=["GET", "POST", "DELETE"])  # type: ignore[arg-type]  # an ASGI app

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        first: dict[str, Any] = dict(exc.errors()[0]) if exc.errors() else {"msg": "invalid request", "loc": ()}
        if first.get("type") == "json_invalid":
            detail = (first.get("ctx") or {}).get("error", "")
            return error_response("bad_json", f"The body is not valid JSON{': ' + detail if detail else ''}.", 400)
        loc = tuple(first.get("loc", ()))
        if loc == ("body", "message") and first.get("type") in ("string_too_short", "string_pattern_mismatch"):
            return error_response("empty_message", "The message is empty; say or type something.", 400)
        if loc == ("body", "message") and first.get("type") == "string_too_long":
            return error_response("message_too_long", f"The message has {len(first.get('input') or '')} characters; "
                                  f"the limit is {settings.max_message}. Say it in shorter parts.", 400)
        where = ".".join(str(p) for p in loc if p != "body")
        return error_response("bad_request", f"{where + ': ' if where else ''}{first['msg']}.", 400)

    @app.exception_handler(StarletteHTTPException)
    async def httperror_response(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}
        message = (f"The body is larger than {settings.max_frame} bytes." if exc.status_code == 413
                   else str(exc.detail))
        # a 405 keeps the Allow header Starlette gives it
        return error_response(codes.get(exc.status_code, "http_error"), message, exc.status_code,
                              dict(exc.headers) if exc.headers else None)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.error("request %s %s failed", request.method, request.url.path, exc_info=exc)
        return error_response("internal_error", f"Hearth failed on this request: {type(exc).__name__}.", 500)

    @app.get("/", include_in_schema=False)
    async def page(token: str | None = Query(None)) -> Response:
        response = FileResponse(WEB_DIR / "index.html", media_type="text/html")
        if token:  # the page's own requests and websocket carry the token as a cookie
            response.set_cookie("hearth_token", token, httponly=True, samesite="strict")
        return response

    @app.get("/healthz", summary="Are the models loaded?")
    async def healthz() -> JSONResponse:
        """``ok`` is false when a model failed to load; ``ready`` is true when every role's model is
        loaded (tier-1 requests are answered before that)."""
        status = hub.agent.status()
        models = status["models"]
        failed = [n for n, m in models.items() if m["state"] == "failed"]
        ready = all(models.get(n, {}).get("state") == "ready" for n in hub.agent.role_models())
        body = {"ok": not failed, "ready": ready, "version": __version__, **status, "turns": hub.gate.status()}
        return JSONResponse(body, status_code=503 if failed else 200)

    async def chat(body: ChatRequest, stream: bool = Query(False, description="Stream the turn's events as server-sent events."),
                   x_session_id: str | None = Header(None, min_length=1, max_length=128, pattern=SESSION_HEADER,
                                                     description="The conversation to continue.")):
        """Answer one message in one JSON, or with ``?stream=true`` as server-sent events (``event:`` is
        the event type, ``data:`` the event's JSON, the same dicts the websocket sends). The session
        comes back in the ``X-Session-ID`` header. A failed turn answers its code: ``empty_message``
        400, ``model_load_failed`` and ``busy`` 503, ``backend_failed`` 502, ``timeout`` 504, any
        other 500."""
        session = x_session_id or (user_session(body.user_id) if body.user_id else Storage.new_session_id())
        if not header_safe(session):  # checked before the turn runs: a request never half-applies
            return error_response("bad_session", "X-Session-ID must be visible ASCII characters.", 400)
        headers = {"X-Session-ID": session}
        if stream:
            queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

            async def produce() -> None:
                try:
                    await hub.turn(body.message, session, queue.put)
                finally:
                    await queue.put(None)

            async def sse() -> AsyncIterator[bytes]:
                task = asyncio.create_task(produce())
                try:
                    while (frame := await queue.get()) is not None:
                        yield format_sse_event(data_str=json.dumps(frame, ensure_ascii=False, default=str), event=frame["type"])
                finally:
                    await asyncio.shield(task)  # a client that left does not stop the turn half-way
            return StreamingResponse(sse(), media_type="text/event-stream", headers=headers)

        frames: list[dict[str, Any]] = []

        async def collect(frame: dict[str, Any]) -> None:
            frames.append(frame)

        await hub.turn(body.message, session, collect)
        last = frames[-1]
        if last["type"] == "failed":
            status = FAILED_STATUS.get(last["code"], 500)
            return error_response(last["code"], last["message"], status,
                          {**headers, **({"Retry-After": "1"} if last["code"] == "busy" else {})},
                          session=session, turn_id=last["turn_id"])
        results = {f["call_id"]: f for f in frames if f["type"] == "tool_result"}
        calls = [ToolCallReport(name=f["name"], arguments=f["arguments"], ok=results.get(f["call_id"], {}).get("ok"),
                                result=results.get(f["call_id"], {}).get("result"),
                                error_code=results.get(f["call_id"], {}).get("error_code"))
                 for f in frames if f["type"] == "tool_call"]
        reply = ChatReply(session=session, turn_id=last["turn_id"], reply=last["text"], tier=last["tier"],
                          tool_calls=calls, timings=last["timings"], user_id=body.user_id)
        return JSONResponse(reply.model_dump(), headers=headers)

    chat.__annotations__["body"] = Chat  # the model with this server's message limit
    app.post("/api/chat", response_model=ChatReply, summary="Answer one message",
             responses={**API_ERRORS, **_errors(502, 503, 504), 200: {"content": {"text/event-stream": {
                 "schema": {"description": "With ?stream=true: server-sent events, each event's data one of the "
                                           "turn's event dicts (see the README)."}}}}})(chat)

    @app.get("/api/sessions/{session_id}", response_model=SessionHistory, responses={**API_ERRORS, **_errors(404)},
             summary="A conversation's messages")
    async def session_history(session_id: str) -> Any:
        """The stored messages of a session, oldest first (user, assistant, tool calls and results)."""
        storage = hub.agent.storage
        messages = await storage.call(storage.history, session_id)
        if not messages:
            return error_response("session_not_found", f"No conversation {session_id!r} is stored.", 404)
        return SessionHistory(session=session_id, messages=messages)

    @app.get("/api/tools", summary="The tools and their JSON schemas", responses=API_ERRORS)
    async def tools() -> list[dict[str, Any]]:
        return [t.schema() for t in hub.agent.tools]

    @app.post("/api/tools/{name}", response_model=ToolRunReply, responses={**API_ERRORS, **_errors(404)},
              summary="Run one tool directly")
    async def run_tool(name: str, arguments: dict[str, Any] | None = None,
                       x_session_id: str | None = Header(None, min_length=1, max_length=128,
                                                         pattern=SESSION_HEADER)) -> Any:
        """Call a tool without a model (the web page reads the shopping list this way); logged like
        a model's call. A failed call answers 200 with ``ok: false`` and its ``error_code``."""
        if hub.agent.tools.get(name) is None:
            return error_response("unknown_tool", f"No tool named {name!r}; GET /api/tools lists them.", 404)
        outcome = await hub.agent.run_tool(name, arguments or {}, session=x_session_id or "http")
        return ToolRunReply(name=name, ok=outcome.ok, result=outcome.result, say=outcome.say,
                            error_code=outcome.error_code)

    @app.websocket("/ws")
    async def ws_endpoint(ws: WebSocket, session: str | None = Query(None, max_length=128)) -> None:
        """Chat over a websocket: see the README's protocol section."""
        await ws.accept()
        try:
            await Connection(hub, ws, session or Storage.new_session_id()).run()
        finally:
            if ws.client_state == WebSocketState.CONNECTED:
                try:
                    await ws.close()
                except Exception:
                    pass

    def openapi() -> dict[str, Any]:
        """FastAPI's description without the 422 it lists by default: a request the server cannot read
        is answered 400 ``bad_request`` (listed on every route)."""
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    operation.get("responses", {}).pop("422", None)
            tool = schema.get("paths", {}).get("/api/tools/{name}", {}).get("post", {})
            for param in tool.get("parameters", []):  # the tools there are at start, as examples
                if param.get("name") == "name":
                    param["examples"] = {t.name: {"value": t.name} for t in hub.agent.tools}
            for name in ("HTTPValidationError", "ValidationError"):
                schema.get("components", {}).get("schemas", {}).pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
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
