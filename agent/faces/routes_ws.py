"""The websocket at ``/ws`` (its protocol is :class:`hearth.faces.ws.Connection`'s, see the README)."""

from __future__ import annotations

from fastapi import APIRouter, Query, WebSocket
from starlette.websockets import WebSocketState

from hearth.faces.hub import Hub
from hearth.faces.ws import Connection
from hearth.storage import Storage


def ws_router(hub: Hub) -> APIRouter:
    """``/ws``: one connection per client, its session from ``?session=`` or a fresh one."""
    router = APIRouter()

    @router.websocket("/ws")
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

    return router
