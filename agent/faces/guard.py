"""The server's guards: the token, the Host header, the request rate and the body size."""

from __future__ import annotations

import hmac
import time
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from hearth.faces.settings import ServerSettings

LOOPBACK_HOSTS = ("localhost", "localhost.localdomain", "127.0.0.1", "[::1]")


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


# OpenAI's error ``type`` by status, so one error body reads right to Hearth's clients and OpenAI's alike
ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error",
               413: "invalid_request_error", 429: "rate_limit_error", 503: "server_busy", 504: "timeout"}


def error_response(code: str, message: str, status: int, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    """The JSON error every refusal answers: ``{"error": {"code", "message", "type", "param"}, ...extra}``
    (``type`` and ``param`` as OpenAI's clients read them, so ``/v1`` answers in their shape too)."""
    body = {"code": code, "message": message, "type": ERROR_TYPES.get(status, "server_error"), "param": None}
    return JSONResponse({"error": body, **extra}, status_code=status, headers=headers)


class GuardMiddleware:
    """Checks the token on every HTTP request and websocket, and rate-limits HTTP per client.

    A wrong or missing token is refused without detail (401, or the websocket handshake is denied).
    The token may come as ``Authorization: Bearer T``, ``?token=T`` (websockets from a browser
    cannot set headers) or the ``hearth_token`` cookie that ``/?token=T`` sets for the page.
    (Without a token the server listens on loopback only, and :func:`host_guard` checks the Host.)
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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        want = self.settings.token
        if want and not hmac.compare_digest((self._token(scope) or "").encode(), want.encode()):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            return await error_response("unauthorized", "unauthorized", 401)(scope, receive, send)
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            client = (scope.get("client") or ("?", 0))[0]
            if len(self.buckets) > 4096:  # forget clients idle for a minute, so the table stays small
                cutoff = time.monotonic() - 60
                self.buckets = {k: b for k, b in self.buckets.items() if b.at > cutoff}
            bucket = self.buckets.setdefault(client, TokenBucket(self.settings.rate, self.settings.burst))
            wait = bucket.take()
            if wait:
                return await error_response("rate_limited", f"Too many requests; wait {wait:.1f} s.", 429,
                                    {"Retry-After": str(max(1, round(wait)))})(scope, receive, send)
            limit = self.settings.max_frame
            length = dict(scope.get("headers", [])).get(b"content-length", b"")
            if length.isdigit() and int(length) > limit:
                return await error_response("body_too_large", f"The body is larger than {limit} bytes.", 413)(scope, receive, send)
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


def host_guard(app: ASGIApp, settings: ServerSettings) -> ASGIApp:
    """Without a token (loopback only), the Host header must name this machine, so a web page elsewhere
    cannot reach the server through DNS rebinding: Starlette's TrustedHostMiddleware answers any other
    Host ``400 Invalid host header``. With a token, the token is the check."""
    if settings.token:
        return app
    bound = f"[{settings.host}]" if ":" in settings.host else settings.host
    return TrustedHostMiddleware(app, allowed_hosts=sorted({*LOOPBACK_HOSTS, bound.lower()}), www_redirect=False)
