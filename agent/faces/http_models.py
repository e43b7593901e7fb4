"""The shapes of Hearth's ``/api`` requests and replies (pydantic models, as the OpenAPI schema lists
them) and the error replies every route may answer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ChatRequest(BaseModel):
    message: str = Field(min_length=1, description="What the user says, e.g. 'add eggs to my shopping list'.")
    user_id: str | None = Field(None, max_length=128, description="Who speaks. Without X-Session-ID, the "
                                "user's own conversation continues: session 'user-ID', with ID percent-encoded "
                                "(RFC 3986) unless it is plain ASCII letters, digits and '-._~'.")
    room: str | None = Field(None, max_length=64, description="The room the speaker is in, as the home names it "
                             "('Kitchen'): 'turn off the lights' means this room's. Kept for the session.")


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


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` entry of a route for the error statuses it may answer."""
    return {s: {"model": ErrorReply} for s in statuses}


# what every /api route may answer besides its own: the guard's refusals (bad token, too large, too
# fast), a request it cannot read, and an unexpected failure (internal_error)
API_ERRORS = errors(400, 401, 413, 429, 500)
