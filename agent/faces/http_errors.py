"""How the HTTP app answers a request it cannot serve: one JSON error shape with a stable code for an
unreadable body (400), an unknown path or method (404, 405), a body too large (413) and a failure
of Hearth's own (500)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from hearth.faces.guard import error_response
from hearth.faces.settings import ServerSettings

log = logging.getLogger("hearth.faces.server")


def bad_request(exc: RequestValidationError, settings: ServerSettings) -> JSONResponse:
    """A request FastAPI could not read: bad JSON, an empty or too long message, any other field."""
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


def add_error_handlers(app: FastAPI, settings: ServerSettings) -> None:
    """Answer every error in Hearth's JSON shape (``hearth.faces.guard.error_response``)."""

    @app.exception_handler(RequestValidationError)
    async def unreadable(request: Request, exc: RequestValidationError) -> JSONResponse:
        return bad_request(exc, settings)

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
