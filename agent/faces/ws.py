"""The websocket protocol at ``/ws``: frames in (chat, cancel, ping, history), events out, one turn at a
time per connection. The frames are documented in the README."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect

from hearth import __version__
from hearth.faces.guard import TokenBucket
from hearth.faces.hub import Hub

log = logging.getLogger(__name__)


class Connection:
    """One websocket: frames in (chat, cancel, ping, history), events out, one turn at a time."""

    def __init__(self, hub: Hub, ws: WebSocket, session: str) -> None:
        self.hub, self.ws, self.session = hub, ws, session
        self.settings = hub.settings
        self.chats: asyncio.Queue[tuple[str, str] | None] = asyncio.Queue(self.settings.connection_queue)
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
            room = frame.get("room")
            if room is not None and (not isinstance(room, str) or len(room) > 64):
                return await self.error("bad_frame", "'room' must be a string of at most 64 characters (a room of the home).")
            if room is not None:
                self.hub.agent.set_room(session, room)
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
            storage = self.hub.agent.storage
            messages = await storage.call(storage.history, session)
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
