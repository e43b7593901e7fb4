"""The chat page at ``/`` and the health check at ``/healthz``."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, JSONResponse, Response

from hearth import __version__
from hearth.faces.hub import Hub

WEB_DIR = Path(__file__).with_name("web")


def page_router(hub: Hub) -> APIRouter:
    """``GET /`` (the page; ``?token=T`` becomes a cookie) and ``GET /healthz``."""
    router = APIRouter()

    @router.get("/", include_in_schema=False)
    async def page(token: str | None = Query(None)) -> Response:
        response = FileResponse(WEB_DIR / "index.html", media_type="text/html")
        if token:  # the page's own requests and websocket carry the token as a cookie
            response.set_cookie("hearth_token", token, httponly=True, samesite="strict")
        return response

    @router.get("/healthz", summary="Are the models loaded?")
    async def healthz() -> JSONResponse:
        """``ok`` is false when a model failed to load; ``ready`` is true when every role's model is
        loaded (tier-1 requests are answered before that)."""
        status = hub.agent.status()
        models = status["models"]
        failed = [n for n, m in models.items() if m["state"] == "failed"]
        ready = all(models.get(n, {}).get("state") == "ready" for n in hub.agent.role_models())
        body = {"ok": not failed, "ready": ready, "version": __version__, **status, "turns": hub.gate.status()}
        return JSONResponse(body, status_code=503 if failed else 200)

    return router
