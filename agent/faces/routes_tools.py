"""``/api/tools``: the tools and their schemas, and one tool run directly (no model)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Header

from hearth.faces.guard import error_response
from hearth.faces.http_models import API_ERRORS, ToolRunReply, errors
from hearth.faces.hub import Hub
from hearth.faces.settings import SESSION_HEADER


def tools_router(hub: Hub) -> APIRouter:
    """``GET /api/tools`` and ``POST /api/tools/{name}``."""
    router = APIRouter()

    @router.get("/api/tools", summary="The tools and their JSON schemas", responses=API_ERRORS)
    async def tools() -> list[dict[str, Any]]:
        # with the hints the faces read (the page's list panel), as the tools' plugins gave them
        return [{**t.schema(), **({"hints": dict(t.hints)} if t.hints else {})} for t in hub.agent.tools]

    @router.post("/api/tools/{name}", response_model=ToolRunReply, responses={**API_ERRORS, **errors(404)},
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

    return router
