"""The server's shared state: one agent, the turn gate, and which websockets follow which session."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, Protocol

from hearth.events import Event, Routed, TextDelta, ToolCalled, ToolReturned, TurnFailed, TurnFinished, TurnStarted
from hearth.faces.settings import ServerError, ServerSettings
from hearth.faces.turn_gate import TurnGate
from hearth.turn.text import clean_text

SAID = {TextDelta.type: "text", TurnFinished.type: "text", TurnFailed.type: "message"}  # what a person reads
TURN_EVENTS = {cls.type for cls in (TurnStarted, Routed, TextDelta, ToolCalled, ToolReturned, TurnFinished, TurnFailed)}


STOP_GRACE_S = 2.0  # how long a stopping server lets running turns finish


def said(frame: dict[str, Any]) -> dict[str, Any]:
    """The frame with what a person reads (a reply's text, a failure's message) cleaned of control
    and invisible formatting characters (a model's reply may carry a right-to-left override)."""
    key = SAID.get(frame.get("type", ""))
    if key and isinstance(frame.get(key), str):
        frame[key] = clean_text(frame[key])
    return frame


class Follower(Protocol):
    """A client that hears a session's events from outside a turn (a websocket connection)."""

    async def send(self, frame: dict[str, Any]) -> None: ...


class Hub:
    """The server's state: the agent, the turn gate, and which websockets follow which session."""

    def __init__(self, agent, settings: ServerSettings) -> None:
        self.agent = agent
        self.settings = settings
        self.gate = TurnGate(settings.concurrency, settings.queue)
        self.followers: dict[str, set[Follower]] = {}
        self.tasks: set[asyncio.Task] = set()  # connection workers finishing a turn after their client left
        self._unsubscribe: Callable[[], None] | None = None

    async def start(self) -> None:
        await self.agent.start(load_model=False, prewarm=self.settings.prewarm)
        self._unsubscribe = self.agent.bus.subscribe(self._push)

    async def stop(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
        if self.tasks:  # let turns whose clients left finish and be stored, for a moment: a stop is prompt
            await asyncio.wait(self.tasks, timeout=min(self.settings.turn_timeout, STOP_GRACE_S))
        await self.agent.stop()

    async def _push(self, event: Event) -> None:
        """Events from outside a turn (a timer that finished) go to every socket on that session."""
        if event.type in TURN_EVENTS:
            return
        for conn in list(self.followers.get(event.session, ())):
            await conn.send(event.to_dict())

    def follow(self, session: str, conn: Follower) -> None:
        self.followers.setdefault(session, set()).add(conn)

    def unfollow(self, conn: Follower) -> None:
        for session, conns in list(self.followers.items()):
            conns.discard(conn)
            if not conns:
                del self.followers[session]

    def stream(self, text: str, session: str) -> AsyncGenerator[dict[str, Any], None]:
        """Start a turn now and give :meth:`turn`'s dicts as an async iterator, for a face that streams
        them to a client. The turn runs in a task of its own, so a client that leaves does not stop it
        half-way: closing the iterator (``contextlib.aclosing``) waits for the turn to end."""
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

        async def produce() -> None:
            try:
                await self.turn(text, session, queue.put)
            finally:
                await queue.put(None)

        return _frames(queue, asyncio.create_task(produce()))

    async def turn(self, text: str, session: str, send: Callable[[dict[str, Any]], Awaitable[None]],
                   cancelled: asyncio.Event | None = None) -> None:
        """Run one turn through the gate, streaming its event dicts to ``send``.

        The turn always ends with a ``finished`` or ``failed`` dict: ``busy`` past the queue,
        ``timeout`` past ``turn_timeout``, ``cancelled`` when the client asked. A cancel takes
        effect between events, so a tool call that started is finished and logged.
        """
        text = clean_text(text)  # the message is stored and matched without control or invisible characters

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
                            await send(said(ev.to_dict()))
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


async def _frames(queue: asyncio.Queue[dict[str, Any] | None], task: asyncio.Task[None]) -> AsyncGenerator[dict[str, Any], None]:
    """The dicts of :meth:`Hub.stream`'s turn until its end; closed early, it still waits for the turn."""
    try:
        while (frame := await queue.get()) is not None:
            yield frame
    finally:
        await asyncio.shield(task)
