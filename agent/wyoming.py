"""Hearth over Wyoming, Home Assistant's voice protocol (the ``wyoming`` package does the framing).

``hearth wyoming --uri tcp://127.0.0.1:10700`` serves:

- ``describe`` -> ``info``: a *handle* program (Hearth as a conversation agent) and an *intent*
  program (tier-1 recognition).
- ``transcript`` -> ``handled`` (the reply) or ``not-handled`` (why not): a whole Hearth turn. The
  conversation is ``context.conversation_id`` when Home Assistant sends one, else the satellite or
  device id, else one per connection, so follow-up turns keep their history.
- ``recognize`` -> ``intent`` or ``not-recognized``: tier 1 only, nothing is run. A match on Home
  Assistant's own sentences answers with HA's intent name and slots (HA can handle it); a match on
  a Hearth tool's template answers with the tool's name and arguments.
- ``ping`` -> ``pong``; any other event -> ``error`` (code ``unknown_event``), connection kept.
  A line that is not a Wyoming event gets ``error`` (code ``bad_event``) and the connection is
  closed, since the stream can no longer be framed.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from wyoming.asr import Transcript
from wyoming.error import Error
from wyoming.event import Event, async_read_event
from wyoming.handle import Handled, NotHandled
from wyoming.info import Attribution, Describe, HandleModel, HandleProgram, Info, IntentModel, IntentProgram
from wyoming.intent import Entity, Intent, NotRecognized, Recognize
from wyoming.ping import Ping, Pong
from wyoming.server import AsyncEventHandler, AsyncServer

from . import __version__
from .events import TurnFailed, TurnFinished

log = logging.getLogger(__name__)

ATTRIBUTION = Attribution(name="Hearth", url="https://github.com/")


def hearth_info(agent) -> Info:
    """What ``describe`` answers: Hearth's conversation agent and its tier-1 recognizer."""
    main = agent.models.roles.main
    return Info(
        handle=[HandleProgram(
            name="hearth", description="Hearth: a local agent that acts through tools", attribution=ATTRIBUTION,
            installed=True, version=__version__, supports_handled_streaming=False,
            models=[HandleModel(name=main, description=agent.models.models[main].description or main,
                                attribution=ATTRIBUTION, installed=True, version=None, languages=["en"])])],
        intent=[IntentProgram(
            name="hearth-intents", description="Hearth tier 1: tool templates and Home Assistant's sentences (hassil)",
            attribution=ATTRIBUTION, installed=True, version=__version__,
            models=[IntentModel(name="hearth-tier1", description="templates of the loaded tools",
                                attribution=ATTRIBUTION, installed=True, version=None, languages=["en"])])],
    )


class ConversationHandler(AsyncEventHandler):
    """One client connection (Home Assistant, a script, a satellite bridge)."""

    def __init__(self, agent, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        super().__init__(reader, writer)
        self.agent = agent
        self.connection_session = "wyoming-" + uuid.uuid4().hex[:12]

    async def run(self) -> None:
        """The library's loop, plus a clear error for a line that is not an event."""
        try:
            while True:
                event = await async_read_event(self.reader)
                if event is None:
                    if not self.reader.at_eof():  # not the end: a line the library could not read
                        await self.send(Error(text="That line is not a Wyoming event (a JSON header line, "
                                                   "then its data and payload).", code="bad_event").event())
                    break
                if not await self.handle_event(event):
                    break
        finally:
            await self.disconnect()
            self.writer.close()

    async def send(self, event: Event) -> None:
        """Write an event; a client that left is not an error (its turn was already stored)."""
        try:
            await self.write_event(event)
        except (ConnectionError, RuntimeError) as err:
            log.info("wyoming client left before %s: %s", event.type, err)

    def session_for(self, context: dict[str, Any] | None) -> str:
        context = context or {}
        for key in ("conversation_id", "satellite_id", "device_id"):
            if isinstance(context.get(key), str) and context[key]:
                return context[key]
        return self.connection_session

    async def handle_event(self, event: Event) -> bool:
        if Describe.is_type(event.type):
            await self.send(hearth_info(self.agent).event())
        elif Ping.is_type(event.type):
            await self.send(Pong(text=Ping.from_event(event).text).event())
        elif Transcript.is_type(event.type):
            await self.transcript(Transcript.from_event(event))
        elif Recognize.is_type(event.type):
            await self.recognize(Recognize.from_event(event))
        else:
            await self.send(Error(text=f"Hearth does not take {event.type!r} events here; it takes describe, "
                                       "transcript, recognize and ping.", code="unknown_event").event())
        return True

    async def transcript(self, transcript: Transcript) -> None:
        session = self.session_for(transcript.context)
        context = {**(transcript.context or {}), "conversation_id": session}
        last = await self.agent.ask(transcript.text or "", session=session)
        if isinstance(last, TurnFinished):
            await self.send(Handled(text=last.text, context=context).event())
        else:
            assert isinstance(last, TurnFailed)
            await self.send(NotHandled(text=last.message, context={**context, "code": last.code}).event())

    async def recognize(self, request: Recognize) -> None:
        text = (request.text or "").strip()
        try:
            match = self.agent.router.route(text).match if text else None
        except Exception as err:  # a router that cannot decide has not recognized it
            log.info("wyoming recognize: %s", err)
            match = None
        if match is None:
            await self.send(NotRecognized(text=f"No tier-1 match for {text!r}." if text else "Nothing was said.",
                                          context=request.context).event())
            return
        name, slots = (match.intent, match.slots) if match.intent else (match.name, match.arguments)
        await self.send(Intent(name=name, entities=[Entity(name=k, value=v) for k, v in slots.items()],
                               context=request.context).event())


async def run_service(agent, uri: str, *, ready=None) -> None:
    """Serve ``agent`` on ``uri`` (``tcp://HOST:PORT`` or ``unix://PATH``) until cancelled."""
    server = AsyncServer.from_uri(uri)
    await server.start(lambda reader, writer: ConversationHandler(agent, reader, writer))
    if ready is not None:
        ready()
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()
