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
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Header, Query, Request, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.sse import format_sse_event
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect, WebSocketState

from . import __version__
from .config import is_loopback
from .errors import HearthError
from .events import Event, Routed, TextDelta, ToolCalled, ToolReturned, TurnFailed, TurnFinished, TurnStarted
from .storage import Storage

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).with_name("web")
TURN_EVENTS = {cls.type for cls in (TurnStarted, Routed, TextDelta, ToolCalled, ToolReturned, TurnFinished, TurnFailed)}
FAILED_STATUS = {"empty_message": 400, "busy": 503, "timeout": 504}


class ServerError(HearthError):
    """A request the server will not take (``busy``, ``bad_frame``...)."""


@dataclass(frozen=True)
class ServerSettings:
    """How ``hearth serve`` listens and what it will take (every limit has a CLI option)."""

    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = None
    concurrency: int = 4          # turns running at once, across sessions
    queue: int = 64               # turns waiting for a slot before "busy"
    connection_queue: int = 8     # chats one websocket may have waiting
    max_frame: int = 64 * 1024    # bytes of one websocket frame / HTTP body
    max_message: int = 4000       # characters of one message
    rate: float = 5.0             # frames (or requests) per second, per connection (or client)
    burst: int = 20               # ... with this many at once
    turn_timeout: float = 120.0   # seconds
    prewarm: bool = True

    def check(self) -> None:
        """Refuse to listen beyond this machine without a token."""
        if not is_loopback(self.host) and not self.token:
            raise ServerError(
                f"binding to {self.host} exposes Hearth to the network; set a token with --token or "
                "HEARTH_TOKEN (clients send it as 'Authorization: Bearer TOKEN' or ?token=TOKEN)", "token_required")


# ---- limits -----------------------------------------------------------------------------------------


class TurnGate:
    """At most ``capacity`` turns at once; at most ``max_waiting`` more wait (FIFO); beyond, busy."""

    def __init__(self, capacity: int, max_waiting: int) -> None:
        self.capacity = capacity
        self.max_waiting = max_waiting
        self._sem = asyncio.Semaphore(capacity)
        self.running = 0
        self.waiting = 0

    @asynccontextmanager
    async def slot(self, on_queued: Callable[[int], Awaitable[None]] | None = None) -> AsyncIterator[None]:
        if self._sem.locked() or self.waiting:
            if self.waiting >= self.max_waiting:
                raise ServerError(f"Hearth is busy: {self.running} turns running and {self.waiting} waiting; "
                                  "try again in a moment.", "busy")
            self.waiting += 1
            try:
                if on_queued is not None:
                    await on_queued(self.waiting)
                await self._sem.acquire()
            finally:
                self.waiting -= 1
        else:
            await self._sem.acquire()
        self.running += 1
        try:
            yield
        finally:
            self.running -= 1
            self._sem.release()

    def status(self) -> dict[str, int]:
        return {"running": self.running, "waiting": self.waiting, "capacity": self.capacity, "queue": self.max_waiting}


class TokenBucket:
    """``rate`` tokens a second, ``burst`` at most: ``take()`` is 0 when allowed, else seconds to wait."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.at = time.monotonic()

    def take(self) -> float:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return round((1 - self.tokens) / self.rate, 3)


def _error(code: str, message: str, status: int, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}, **extra}, status_code=status, headers=headers)


class GuardMiddleware:
    """Checks the token on every HTTP request and websocket, and rate-limits HTTP per client.

    A wrong or missing token is refused without detail (401, or the websocket handshake is denied).
    The token may come as ``Authorization: Bearer T``, ``?token=T`` (websockets from a browser
    cannot set headers) or the ``hearth_token`` cookie that ``/?token=T`` sets for the page.
    Without a token (loopback only), the Host header must name this machine, so a web page
    elsewhere cannot reach the server through DNS rebinding.
    """

    def __init__(self, app: ASGIApp, settings: ServerSettings) -> None:
        self.app = app
        self.settings = settings
        self.buckets: dict[str, TokenBucket] = {}

    def _token(self, scope: Scope) -> str | None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if query.get("token"):
            return query["token"][0]
        cookie = SimpleCookie(headers.get("cookie", ""))
        return cookie["hearth_token"].value if "hearth_token" in cookie else None

    def _host_ok(self, scope: Scope) -> bool:
        for k, v in scope.get("headers", []):
            if k == b"host":
                host = v.decode("latin-1").rsplit(":", 1)[0] if not v.startswith(b"[") else v.decode("latin-1").split("]")[0] + "]"
                return is_loopback(host) or host == self.settings.host
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        want = self.settings.token
        if want:
            got = self._token(scope) or ""
            ok = hmac.compare_digest(got.encode(), want.encode())
        else:
            ok = self._host_ok(scope)
        if not ok:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            return await _error("unauthorized", "unauthorized", 401)(scope, receive, send)
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            client = (scope.get("client") or ("?", 0))[0]
            if len(self.buckets) > 4096:  # forget clients idle for a minute, so the table stays small
                cutoff = time.monotonic() - 60
                self.buckets = {k: b for k, b in self.buckets.items() if b.at > cutoff}
            bucket = self.buckets.setdefault(client, TokenBucket(self.settings.rate, self.settings.burst))
            wait = bucket.take()
            if wait:
                return await _error("rate_limited", f"Too many requests; wait {wait:.1f} s.", 429,
                                    {"Retry-After": str(max(1, round(wait)))})(scope, receive, send)
            limit = self.settings.max_frame
            length = dict(scope.get("headers", [])).get(b"content-length", b"")
            if length.isdigit() and int(length) > limit:
                return await _error("body_too_large", f"The body is larger than {limit} bytes.", 413)(scope, receive, send)
            seen = 0

            async def limited() -> Any:  # a chunked body is counted as it arrives
                nonlocal seen
                message = await receive()
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise StarletteHTTPException(413)
                return message
            return await self.app(scope, limited, send)
        await self.app(scope, receive, send)


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


class Hub:
    """The server's state: the agent, the turn gate, and which websockets follow which session."""

    def __init__(self, agent, settings: ServerSettings) -> None:
        self.agent = agent
        self.settings = settings
        self.gate = TurnGate(settings.concurrency, settings.queue)
        self.followers: dict[str, set[Connection]] = {}
        self.tasks: set[asyncio.Task] = set()  # connection workers finishing a turn after their client left
        self._unsubscribe: Callable[[], None] | None = None

    async def start(self) -> None:
        await self.agent.start(load_model=False, prewarm=self.settings.prewarm)
        self._unsubscribe = self.agent.bus.subscribe(self._push)

    async def stop(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
        if self.tasks:  # let turns whose clients left finish and be stored
            await asyncio.wait(self.tasks, timeout=self.settings.turn_timeout)
        await self.agent.stop()

    async def _push(self, event: Event) -> None:
        """Events from outside a turn (a timer that finished) go to every socket on that session."""
        if event.type in TURN_EVENTS:
            return
        for conn in list(self.followers.get(event.session, ())):
            await conn.send(event.to_dict())

    def follow(self, session: str, conn: Connection) -> None:
        self.followers.setdefault(session, set()).add(conn)

    def unfollow(self, conn: Connection) -> None:
        for session, conns in list(self.followers.items()):
            conns.discard(conn)
            if not conns:
                del self.followers[session]

    async def turn(self, text: str, session: str, send: Callable[[dict[str, Any]], Awaitable[None]],
                   cancelled: asyncio.Event | None = None) -> None:
        """Run one turn through the gate, streaming its event dicts to ``send``.

        The turn always ends with a ``finished`` or ``failed`` dict: ``busy`` past the queue,
        ``timeout`` past ``turn_timeout``, ``cancelled`` when the client asked. A cancel takes
        effect between events, so a tool call that started is finished and logged.
        """
        async def queued(position: int) -> None:
            await send({"type": "queued", "session": session, "position": position})

        try:
            async with self.gate.slot(queued):
                turn_id = ""
                if cancelled is not None and cancelled.is_set():
                    await send(TurnFailed(session, turn_id, message="Cancelled.", code="cancelled").to_dict())
                    return
                agen = self.agent.turn(text, session=session)
                try:
                    async with asyncio.timeout(self.settings.turn_timeout):
                        async for ev in agen:
                            turn_id = ev.turn_id
                            await send(ev.to_dict())
                            if cancelled is not None and cancelled.is_set() and not isinstance(ev, (TurnFinished, TurnFailed)):
                                await agen.aclose()  # stop the turn before saying so
                                await send(TurnFailed(session, turn_id, message="Cancelled.", code="cancelled").to_dict())
                                return
                except TimeoutError:
                    await send(TurnFailed(session, turn_id, code="timeout", message=(
                        f"The turn took longer than {self.settings.turn_timeout:g} s and was stopped.")).to_dict())
                finally:
                    await agen.aclose()
        except ServerError as err:
            await send(TurnFailed(session, "", message=str(err), code=err.code).to_dict())


class Connection:
    """One websocket: frames in (chat, cancel, ping, history), events out, one turn at a time."""

    def __init__(self, hub: Hub, ws: WebSocket, session: str) -> None:
        self.hub, self.ws, self.session = hub, ws, session
        self.settings = hub.settings
        self.chats: asyncio.Queue[tuple[str, str]] = asyncio.Queue(self.settings.connection_queue)
        self.bucket = TokenBucket(self.settings.rate, self.settings.burst)
        self.cancelled = asyncio.Event()
        self.busy = False
        self.open = True
        self._send_lock = asyncio.Lock()

    async def send(self, frame: dict[str, Any]) -> None:
        """Send a frame; after the client left, frames are dropped (the turn still finishes)."""
        if not self.open:
            return
        try:
            async with self._send_lock:
                await self.ws.send_text(json.dumps(frame, ensure_ascii=False, default=str))
        except Exception:  # the client went away mid-send
            self.open = False

    async def error(self, code: str, message: str, **extra: Any) -> None:
        await self.send({"type": "error", "code": code, "message": message, **extra})

    async def worker(self) -> None:
        """Run this connection's chats in order; ``None`` (the client left) ends it after the
        turn under way has finished and been stored."""
        while (item := await self.chats.get()) is not None:
            self.cancelled.clear()
            self.busy = True
            try:
                await self.hub.turn(item[0], item[1], self.send, self.cancelled)
            except Exception:  # never let one turn end the connection's worker
                log.exception("turn failed in the server")
            finally:
                self.busy = False

    async def handle(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "ping":
            await self.send({"type": "pong", **({"id": frame["id"]} if "id" in frame else {})})
        elif kind == "chat":
            text = frame.get("text")
            session = frame.get("session") or self.session
            if not isinstance(text, str) or not isinstance(session, str) or len(session) > 128:
                return await self.error("bad_frame", "A chat frame needs a string 'text' (and an optional string 'session').")
            if len(text) > self.settings.max_message:
                return await self.error("message_too_long", f"The message has {len(text)} characters; the limit is {self.settings.max_message}.")
            if session != self.session:
                self.hub.unfollow(self)
                self.session = session
            self.hub.follow(session, self)
            try:
                self.chats.put_nowait((text, session))
            except asyncio.QueueFull:
                await self.error("busy", f"{self.settings.connection_queue} messages are already waiting on this connection; wait for a reply.")
        elif kind == "cancel":
            self.cancelled.set()
            dropped = 0
            while not self.chats.empty():
                self.chats.get_nowait()
                dropped += 1
            if not self.busy and not dropped:
                await self.error("nothing_to_cancel", "No turn is running.")
        elif kind == "history":
            session = frame.get("session") or self.session
            if not isinstance(session, str):
                return await self.error("bad_frame", "'session' must be a string.")
            messages = await asyncio.to_thread(self.hub.agent.storage.history, session)
            await self.send({"type": "history", "session": session, "messages": messages})
        else:
            await self.error("unknown_type", f"Unknown frame type {kind!r}; use chat, cancel, ping or history.")

    async def run(self) -> None:
        await self.send({"type": "hello", "session": self.session, "version": __version__,
                         "limits": {"max_frame": self.settings.max_frame, "max_message": self.settings.max_message,
                                    "rate": self.settings.rate, "burst": self.settings.burst}})
        self.hub.follow(self.session, self)
        worker = asyncio.create_task(self.worker())
        self.hub.tasks.add(worker)
        worker.add_done_callback(self.hub.tasks.discard)
        try:
            while True:
                msg = await self.ws.receive()
                if msg["type"] == "websocket.disconnect":
                    break
                wait = self.bucket.take()
                if wait:
                    await self.error("rate_limited", f"Too many frames; wait {wait:.1f} s.", retry_after=wait)
                    continue
                if msg.get("bytes") is not None:
                    await self.error("binary_not_supported", "Frames are JSON text; binary frames are not read.")
                    continue
                raw = msg.get("text") or ""
                if len(raw.encode()) > self.settings.max_frame:
                    await self.error("frame_too_large", f"The frame has {len(raw.encode())} bytes; the limit is {self.settings.max_frame}.")
                    continue
                try:
                    frame = json.loads(raw)
                except json.JSONDecodeError as err:
                    await self.error("bad_json", f"The frame is not JSON: {err.msg} at character {err.pos}.")
                    continue
                if not isinstance(frame, dict):
                    await self.error("bad_frame", "A frame is a JSON object with a 'type'.")
                    continue
                await self.handle(frame)
        except WebSocketDisconnect:
            pass
        finally:
            self.open = False
            self.hub.unfollow(self)
            # a turn under way finishes (and is stored) without its listener; waiting chats are dropped
            while not self.chats.empty():
                self.chats.get_nowait()
            self.chats.put_nowait(None)


def create_app(agent, settings: ServerSettings | None = None) -> FastAPI:
    """The ASGI app serving ``agent``. ``hearth serve`` runs it with uvicorn."""
    settings = settings or ServerSettings()
    settings.check()
    hub = Hub(agent, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await hub.start()
        try:
            yield
        finally:
            await hub.stop()

    app = FastAPI(title="Hearth", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="A local voice and tool agent. Websocket protocol at /ws: see the README.")
    app.state.hub = hub
    app.add_middleware(GuardMiddleware, settings=settings)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"msg": "invalid request", "loc": ()}
        if first.get("type") == "json_invalid":
            detail = (first.get("ctx") or {}).get("error", "")
            return _error("bad_json", f"The body is not valid JSON{': ' + detail if detail else ''}.", 400)
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return _error("bad_request", f"{where + ': ' if where else ''}{first['msg']}", 400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}
        message = (f"The body is larger than {settings.max_frame} bytes." if exc.status_code == 413
                   else str(exc.detail))
        return _error(codes.get(exc.status_code, "http_error"), message, exc.status_code)

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
            return _error("message_too_long", f"The message has {len(body.message)} characters; the limit is {settings.max_message}.", 400)
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
            return _error(last["code"], last["message"], status,
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
            return _error("session_not_found", f"No conversation {session_id!r} is stored.", 404)
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
            return _error("unknown_tool", f"No tool named {name!r}; GET /api/tools lists them.", 404)
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
    import uvicorn
    app = create_app(agent, settings)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level=log_level,
                            ws_max_size=max(settings.max_frame * 16, 1 << 20), ws_ping_interval=20,
                            ws_ping_timeout=20, timeout_keep_alive=5, proxy_headers=False)
    uvicorn.Server(config).run(sockets=[sock] if sock is not None else None)
