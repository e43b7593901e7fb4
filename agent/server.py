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
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Header, Query, Request, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.sse import format_sse_event
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.websockets import WebSocketState

from . import __version__
from .server_guard import GuardMiddleware, error_response, host_guard
from .server_hub import Hub
from .server_settings import ServerSettings
from .server_ws import Connection
from .storage import Storage

WEB_DIR = Path(__file__).with_name("web")
FAILED_STATUS = {"empty_message": 400, "busy": 503, "timeout": 504}


# ---- HTTP models ------------------------------------------------------------------------------------


class ChatRequest(BaseModel):
    message: str = Field(description="What the user says, e.g. 'add eggs to my shopping list'.")
    user_id: str | None = Field(None, max_length=128, description="Who speaks. Without X-Session-ID, the "
                                "user's own conversation (session 'user-ID') continues.")


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


ERRORS = {400: {"model": ErrorReply}, 401: {"model": ErrorReply}, 413: {"model": ErrorReply},
          429: {"model": ErrorReply}, 503: {"model": ErrorReply}}


# ---- the app ----------------------------------------------------------------------------------------


def create_app(agent, settings: ServerSettings | None = None) -> FastAPI:
    """The ASGI app serving ``agent``. ``hearth serve`` runs it with uvicorn."""
    settings = settings or ServerSettings()
    settings.check()
    hub = Hub(agent, settings)
    mcp_face = None
    if importlib.util.find_spec("mcp") is not None:  # the MCP face at /mcp, with the MCP extra installed
        from .mcp_server import McpHttp
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
    if mcp_face is not None:  # a route, not a mount, so /mcp itself answers; the token and Host rules apply
        app.add_route("/mcp", mcp_face.app, methods=["GET", "POST", "DELETE"])

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"msg": "invalid request", "loc": ()}
        if first.get("type") == "json_invalid":
            detail = (first.get("ctx") or {}).get("error", "")
            return error_response("bad_json", f"The body is not valid JSON{': ' + detail if detail else ''}.", 400)
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return error_response("bad_request", f"{where + ': ' if where else ''}{first['msg']}", 400)

    @app.exception_handler(StarletteHTTPException)
    async def httperror_response(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}
        message = (f"The body is larger than {settings.max_frame} bytes." if exc.status_code == 413
                   else str(exc.detail))
        return error_response(codes.get(exc.status_code, "http_error"), message, exc.status_code)

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

    @app.post("/api/chat", response_model=ChatReply, responses={**ERRORS, 504: {"model": ErrorReply}},
              summary="Answer one message")
    async def chat(body: ChatRequest, stream: bool = Query(False, description="Stream the turn's events as server-sent events."),
                   x_session_id: str | None = Header(None, max_length=128, description="The conversation to continue.")):
        """Answer one message in one JSON, or with ``?stream=true`` as server-sent events (``event:`` is
        the event type, ``data:`` the event's JSON, the same dicts the websocket sends). The session
        comes back in the ``X-Session-ID`` header."""
        if len(body.message) > settings.max_message:
            return error_response("message_too_long", f"The message has {len(body.message)} characters; the limit is {settings.max_message}.", 400)
        session = x_session_id or (f"user-{body.user_id}" if body.user_id else Storage.new_session_id())
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

    @app.get("/api/sessions/{session_id}", response_model=SessionHistory, responses={404: {"model": ErrorReply}},
             summary="A conversation's messages")
    async def session_history(session_id: str) -> Any:
        """The stored messages of a session, oldest first (user, assistant, tool calls and results)."""
        messages = await asyncio.to_thread(hub.agent.storage.history, session_id)
        if not messages:
            return error_response("session_not_found", f"No conversation {session_id!r} is stored.", 404)
        return SessionHistory(session=session_id, messages=messages)

    @app.get("/api/tools", summary="The tools and their JSON schemas")
    async def tools() -> list[dict[str, Any]]:
        return [t.schema() for t in hub.agent.tools]

    @app.post("/api/tools/{name}", response_model=ToolRunReply, responses={**ERRORS, 404: {"model": ErrorReply}},
              summary="Run one tool directly")
    async def run_tool(name: str, arguments: dict[str, Any] | None = None,
                       x_session_id: str | None = Header(None, max_length=128)) -> Any:
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

    return app


def serve(agent, settings: ServerSettings, *, log_level: str = "info", sock=None) -> None:
    """Run the app with uvicorn until interrupted (on ``sock`` if given, already bound)."""
    app = create_app(agent, settings)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level=log_level,
                            ws_max_size=max(settings.max_frame * 16, 1 << 20), ws_ping_interval=20,
                            ws_ping_timeout=20, timeout_keep_alive=5, proxy_headers=False)
    uvicorn.Server(config).run(sockets=[sock] if sock is not None else None)
