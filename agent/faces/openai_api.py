"""Hearth as an OpenAI-compatible endpoint: ``POST /v1/chat/completions`` and ``GET /v1/models``.

Any OpenAI client (Open WebUI, the ``openai`` package, curl) can talk to Hearth, and its tools act.
A request is one Hearth turn (routing, tools, stored history) run through the server's turn gate
(:meth:`hearth.faces.hub.Hub.turn`), so the ``busy``/``timeout`` rules hold as for ``/api/chat``;
the token and Host rules are the app's middleware, which covers these routes too.

- The conversation: the ``X-Session-ID`` header, else the ``user`` field (session ``user-ID``, as
  ``/api/chat``'s ``user_id``), else a fresh session. Hearth keeps the history itself, so only the
  last user message of ``messages`` is read; earlier messages are the client's copy of it.
- ``model``: a role (``main``, ``router``: the turn is routed as usual), or a Hearth model name as
  ``GET /v1/models`` lists them (also routed: a request may choose a role, never a model's settings).
- The tool calls Hearth made come back as ``hearth_tool_calls`` (name, arguments, ok, result) when
  the request sets ``"hearth_tool_calls": true`` or sends ``tools``; a client's own ``tools`` are not
  offered to the model (Hearth's tools act, not the client's).
- Streaming (``"stream": true``): server-sent ``chat.completion.chunk`` objects, then ``data: [DONE]``.
- Errors: OpenAI's shape, ``{"error": {"message", "type", "param", "code"}}``, with Hearth's code.

Mount with ``add_openai_routes(app, hub)`` in :func:`hearth.faces.server.create_app`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, Header, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from hearth.faces.guard import ERROR_TYPES
from hearth.faces.hub import Hub
from hearth.faces.settings import SESSION_HEADER, user_session
from hearth.storage import Storage
from hearth.turn.text import clean_text, visible_pattern

FAILED_STATUS = {"empty_message": 400, "busy": 503, "timeout": 504, "cancelled": 499}


class OpenAIErrorBody(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str


class OpenAIError(BaseModel):
    """An error in OpenAI's shape."""

    error: OpenAIErrorBody


# what a /v1 route may answer besides its own: the guard's refusals (bad token, too large, too fast), a
# request it cannot read, an unknown model, and a turn that failed (busy, a backend down, a timeout)
V1_ERRORS: dict[int | str, dict[str, Any]] = {s: {"model": OpenAIError} for s in (400, 401, 404, 413, 429, 500, 502,
                                                                                 503, 504)}


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)  # the schema's types exactly: "true" is no boolean
    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatCompletionRequest(BaseModel):
    """The fields of OpenAI's request Hearth reads; the rest (temperature, max_tokens...) are accepted and
    ignored: a model's settings are locked in models.toml."""

    model_config = ConfigDict(extra="allow", strict=True)  # the schema's types exactly: "true" is no boolean
    model: str = "main"
    # at least one user message with text (the last such message is the request): said in the schema
    # too, so a client (or a fuzzer) knows what is answerable before it sends
    messages: list[ChatMessage] = Field(min_length=1, json_schema_extra={"contains": {
        "type": "object", "required": ["role", "content"],
        "properties": {"role": {"const": "user"}, "content": {"type": "string", "pattern": visible_pattern()}}}})
    stream: bool = False
    user: str | None = Field(None, max_length=128)
    tools: list[dict[str, Any]] | None = None
    hearth_tool_calls: bool = Field(False, description="return the tool calls Hearth made as 'hearth_tool_calls'")


def openai_error(message: str, code: str, status: int, param: str | None = None,
                 headers: dict[str, str] | None = None) -> JSONResponse:
    """An error in OpenAI's shape (the ``openai`` client raises it as ``APIStatusError`` with ``code``)."""
    body = {"error": {"message": message, "type": ERROR_TYPES.get(status, "server_error"), "param": param, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


def _text(content: str | list[dict[str, Any]] | None) -> str:
    """A message's text: a string, or the ``text`` parts of a content list."""
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") for p in content or [] if p.get("type") == "text")


def _models(hub: Hub) -> list[str]:
    """The ids ``/v1/models`` lists: the roles, then the models they name."""
    roles = [r for r, n in hub.agent.models.roles.model_dump().items() if n]
    return list(dict.fromkeys([*roles, *hub.agent.role_models()]))


def _tool_calls(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    results = {f["call_id"]: f for f in frames if f["type"] == "tool_result"}
    return [{"id": f["call_id"], "name": f["name"], "arguments": f["arguments"],
             "ok": results.get(f["call_id"], {}).get("ok"), "result": results.get(f["call_id"], {}).get("result"),
             "error_code": results.get(f["call_id"], {}).get("error_code")}
            for f in frames if f["type"] == "tool_call"]


def _usage(timings: dict[str, Any]) -> dict[str, int]:
    prompt, completion = int(timings.get("prompt_tokens", 0) or 0), int(timings.get("completion_tokens", 0) or 0)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def openai_router(hub: Hub, *, max_message: int | None = None) -> APIRouter:
    """The ``/v1`` routes serving ``hub``'s agent."""
    router = APIRouter(prefix="/v1", tags=["openai"])
    limit = max_message if max_message is not None else hub.settings.max_message

    @router.get("/models", summary="Hearth's roles and models, as OpenAI model ids", responses=V1_ERRORS)
    async def models() -> dict[str, Any]:
        now = int(time.time())
        return {"object": "list", "data": [{"id": m, "object": "model", "created": now, "owned_by": "hearth"}
                                           for m in _models(hub)]}

    @router.post("/chat/completions", summary="One Hearth turn, in OpenAI's chat format",
                 responses={**V1_ERRORS, 200: {"content": {"application/json": {}, "text/event-stream": {
                     "schema": {"description": "With \"stream\": true: server-sent events, each event's data an "
                                               "OpenAI chat.completion.chunk, then [DONE]"}}}}})
    async def chat_completions(body: ChatCompletionRequest, request: Request,
                               x_session_id: str | None = Header(None, min_length=1, max_length=128,
                                                                 pattern=SESSION_HEADER)) -> Any:
        if body.model not in _models(hub):
            return openai_error(f"Hearth has no model {body.model!r}; GET /v1/models lists them ("
                                f"{', '.join(_models(hub))}).", "model_not_found", 404, "model")
        text = next((t for t in (clean_text(_text(m.content)).strip() for m in reversed(body.messages)
                                 if m.role == "user") if t), "")
        if not text:
            return openai_error("The request has no user message with text.", "empty_message", 400, "messages")
        if len(text) > limit:
            return openai_error(f"The message has {len(text)} characters; the limit is {limit}.",
                                "message_too_long", 400, "messages")
        session = x_session_id or (user_session(body.user) if body.user else Storage.new_session_id())
        headers = {"X-Session-ID": session}
        want_calls = body.hearth_tool_calls or bool(body.tools)
        cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        if body.stream:
            return StreamingResponse(_stream(hub, text, session, body.model, cid, created, want_calls),
                                     media_type="text/event-stream", headers=headers)
        frames: list[dict[str, Any]] = []

        async def collect(frame: dict[str, Any]) -> None:
            frames.append(frame)

        await hub.turn(text, session, collect)
        end = frames[-1]
        if end["type"] == "failed":
            return openai_error(end["message"], end["code"], FAILED_STATUS.get(end["code"], 500), headers={
                **headers, **({"Retry-After": "1"} if end["code"] == "busy" else {})})
        message: dict[str, Any] = {"role": "assistant", "content": end["text"]}
        reply: dict[str, Any] = {
            "id": cid, "object": "chat.completion", "created": created, "model": body.model,
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": _usage(end.get("timings") or {}),
            "hearth": {"session": session, "turn_id": end["turn_id"], "tier": end["tier"]}}
        if want_calls:
            reply["hearth_tool_calls"] = _tool_calls(frames)
        return JSONResponse(reply, headers=headers)

    return router


def _chunk(cid: str, created: int, model: str, delta: dict[str, Any], finish: str | None = None,
           **extra: Any) -> bytes:
    body = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
    return f"data: {json.dumps(body, ensure_ascii=False, default=str)}\n\n".encode()


async def _stream(hub: Hub, text: str, session: str, model: str, cid: str, created: int,
                  want_calls: bool) -> AsyncIterator[bytes]:
    """The turn as OpenAI's stream: a role chunk, text chunks, a last chunk with ``finish_reason``, ``[DONE]``.
    A turn that fails mid-way ends with an ``error`` object (as OpenAI's stream does) before ``[DONE]``."""
    frames: list[dict[str, Any]] = []
    async with aclosing(hub.stream(text, session)) as turn:  # a client that leaves does not stop the turn
        yield _chunk(cid, created, model, {"role": "assistant", "content": ""})
        async for frame in turn:
            frames.append(frame)
            kind: Literal["text_delta", "finished", "failed"] | str = frame["type"]
            if kind == "text_delta" and frame["text"]:
                yield _chunk(cid, created, model, {"content": frame["text"]})
            elif kind == "finished":
                said = "".join(f["text"] for f in frames if f["type"] == "text_delta")
                if frame["text"] != said and frame["text"].startswith(said):  # a tool's own sentence, say
                    yield _chunk(cid, created, model, {"content": frame["text"][len(said):]})
                extra: dict[str, Any] = {"usage": _usage(frame.get("timings") or {}),
                                         "hearth": {"session": session, "turn_id": frame["turn_id"], "tier": frame["tier"]}}
                if want_calls:
                    extra["hearth_tool_calls"] = _tool_calls(frames)
                yield _chunk(cid, created, model, {}, "stop", **extra)
            elif kind == "failed":
                err = {"error": {"message": frame["message"], "type": "server_error", "param": None, "code": frame["code"]}}
                yield f"data: {json.dumps(err, ensure_ascii=False)}\n\n".encode()
        yield b"data: [DONE]\n\n"


def add_openai_routes(app: FastAPI, hub: Hub) -> None:
    """Mount ``/v1`` on Hearth's app (``create_app`` calls it with its hub)."""
    app.include_router(openai_router(hub))
