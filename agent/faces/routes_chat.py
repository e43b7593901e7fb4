"""``/api/chat`` (one message answered as one JSON or as server-sent events) and
``/api/sessions/{id}`` (a conversation's stored messages)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.sse import format_sse_event
from pydantic import Field, create_model

from hearth.faces.guard import error_response
from hearth.faces.http_models import API_ERRORS, ChatReply, ChatRequest, SessionHistory, ToolCallReport, errors
from hearth.faces.hub import Hub
from hearth.faces.settings import SESSION_HEADER, ServerSettings, user_session
from hearth.storage import Storage
from hearth.turn.text import visible_pattern

# a failed turn's code -> the HTTP status it answers; any other code is 500 (internal_error and the like)
FAILED_STATUS = {"empty_message": 400, "model_load_failed": 503, "busy": 503, "backend_failed": 502, "timeout": 504}


def header_safe(value: str) -> bool:
    """Whether ``value`` can go back in a response header as it is (visible ASCII and spaces)."""
    return value.isascii() and value.isprintable() and value == value.strip()


def streamed(hub: Hub, message: str, session: str, headers: dict[str, str]) -> StreamingResponse:
    """The turn as server-sent events; a client that leaves does not stop the turn half-way."""

    async def sse() -> AsyncIterator[bytes]:
        async with aclosing(hub.stream(message, session)) as frames:
            async for frame in frames:
                yield format_sse_event(data_str=json.dumps(frame, ensure_ascii=False, default=str), event=frame["type"])

    return StreamingResponse(sse(), media_type="text/event-stream", headers=headers)


def reply_of(frames: list[dict[str, Any]], session: str, user_id: str | None,
             headers: dict[str, str]) -> JSONResponse:
    """A whole turn's frames as one JSON reply, or its failure with the status of its code."""
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
                      tool_calls=calls, timings=last["timings"], user_id=user_id)
    return JSONResponse(reply.model_dump(), headers=headers)


def chat_router(hub: Hub, settings: ServerSettings) -> APIRouter:
    """``POST /api/chat`` (its message limit is the server's setting) and ``GET /api/sessions/{id}``."""
    router = APIRouter()
    # the message's limit is a setting, so the schema (and the check) are built here
    Chat = create_model("ChatRequest", __base__=ChatRequest, message=(str, Field(
        min_length=1, max_length=settings.max_message, pattern=visible_pattern(),
        description=ChatRequest.model_fields["message"].description)))

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
        if body.room is not None:
            hub.agent.set_room(session, body.room)
        if stream:
            return streamed(hub, body.message, session, headers)
        frames: list[dict[str, Any]] = []

        async def collect(frame: dict[str, Any]) -> None:
            frames.append(frame)

        await hub.turn(body.message, session, collect)
        return reply_of(frames, session, body.user_id, headers)

    chat.__annotations__["body"] = Chat  # the model with this server's message limit
    router.post("/api/chat", response_model=ChatReply, summary="Answer one message",
                responses={**API_ERRORS, **errors(502, 503, 504), 200: {"content": {"text/event-stream": {
                    "schema": {"description": "With ?stream=true: server-sent events, each event's data one of the "
                                              "turn's event dicts (see the README)."}}}}})(chat)

    @router.get("/api/sessions/{session_id}", response_model=SessionHistory, responses={**API_ERRORS, **errors(404)},
                summary="A conversation's messages")
    async def session_history(session_id: str) -> Any:
        """The stored messages of a session, oldest first (user, assistant, tool calls and results)."""
        storage = hub.agent.storage
        messages = await storage.call(storage.history, session_id)
        if not messages:
            return error_response("session_not_found", f"No conversation {session_id!r} is stored.", 404)
        return SessionHistory(session=session_id, messages=messages)

    return router
