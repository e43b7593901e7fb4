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
from dataclasses import dataclass
from typing import Any
from urllib.parse import ParseResult, urlparse

from wyoming.asr import Transcript
from wyoming.audio import AudioChunk, AudioChunkConverter, AudioStart, AudioStop
from wyoming.client import AsyncClient
from wyoming.error import Error
from wyoming.event import Event, async_read_event
from wyoming.handle import Handled, NotHandled
from wyoming.info import Attribution, Describe, HandleModel, HandleProgram, Info, IntentModel, IntentProgram
from wyoming.intent import Entity, Intent, NotRecognized, Recognize
from wyoming.ping import Ping, Pong
from wyoming.pipeline import PipelineStage, RunPipeline
from wyoming.satellite import RunSatellite
from wyoming.server import AsyncEventHandler, AsyncServer
from wyoming.timer import TimerCancelled as WyomingTimerCancelled
from wyoming.timer import TimerFinished as WyomingTimerFinished
from wyoming.timer import TimerStarted as WyomingTimerStarted

from hearth import __version__
from hearth.errors import HearthError
from hearth.events import (
    Announcement,
    CountdownCancelled,
    CountdownFinished,
    CountdownStarted,
    Transcribed,
    TurnFailed,
    TurnFinished,
)
from hearth.events import Event as HearthEvent
from hearth.voice.loop import VoiceLoop
from hearth.voice.wakeword import WakeWord

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
            # Home Assistant's own sentences first: HA can handle its own intents
            match = (self.agent.intents.home_assistant(self.agent.router.read(text))
                     or self.agent.router.route(text).match) if text else None
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


# ---- satellites: Hearth drives them as Home Assistant does ------------------------------------------


@dataclass(frozen=True)
class SatelliteSpec:
    """One satellite to drive: ``hearth wyoming --satellite NAME=tcp://HOST:PORT`` or a
    ``[[speech.satellites]]`` table."""

    name: str
    uri: str
    room: str | None = None  # the room as the home names it; default: the name, "_" read as a space


class SatelliteSink:
    """Reply audio to a satellite's speaker: ``audio-start``, ``audio-chunk``..., ``audio-stop``."""

    def __init__(self, link: SatelliteLink) -> None:
        self.link = link
        self._open = False

    async def play(self, pcm16: bytes, rate: int) -> None:
        if not self._open:
            self._open = True
            await self.link.send(AudioStart(rate=rate, width=2, channels=1).event())
        await self.link.send(AudioChunk(rate=rate, width=2, channels=1, audio=pcm16).event())

    async def stop(self) -> None:
        if self._open:
            self._open = False
            await self.link.send(AudioStop().event())

    async def reply_done(self) -> None:
        await self.stop()

    async def close(self) -> None:
        await self.stop()


class SatelliteLink:
    """One room: connect to the satellite, ``describe``, ``run-satellite``, hear its microphone
    through the voice loop (VAD, STT, a turn, TTS by sentence) and send the reply audio back.

    The conversation is per satellite (session ``satellite-NAME``). When the satellite goes away the
    link retries with backoff (1 s doubling to 30 s) and says so; ``status()`` tells where it is.
    A timer set from this room is announced in this room: a ``timer-finished`` event and its sentence.
    """

    def __init__(self, agent, speech, voice_config, spec: SatelliteSpec, *, on_state=None, emit=None) -> None:
        self.agent, self.speech, self.spec = agent, speech, spec
        # the wake word Hearth listens for when a satellite leaves wake-word detection to its server
        # (run-pipeline from the wake stage); "" listens to everything it streams
        self.wake_word = voice_config.wake_word or ""
        self.voice_config = voice_config
        self.session = f"satellite-{spec.name}"
        agent.set_room(self.session, spec.room or spec.name.replace("_", " "))
        self.state = "connecting"
        self.error: str | None = None
        self.connects = 0
        self._client: AsyncClient | None = None
        self._send_lock = asyncio.Lock()
        self._on_state, self._emit = on_state, emit
        self._loop: Any = None

    def status(self) -> dict[str, Any]:
        return {"name": self.spec.name, "uri": self.spec.uri, "state": self.state, "error": self.error,
                "connects": self.connects, "session": self.session}

    def _set(self, state: str, error: str | None = None) -> None:
        self.state, self.error = state, error
        if self._on_state is not None:
            self._on_state(self)

    async def send(self, event: Event) -> None:
        client = self._client
        if client is None:
            return
        try:
            async with self._send_lock:
                await client.write_event(event)
        except (ConnectionError, RuntimeError, OSError) as err:
            log.info("satellite %s: could not send %s: %s", self.spec.name, event.type, err)

    async def run(self) -> None:
        """Drive the satellite until cancelled, reconnecting whenever it goes away."""
        delay = 1.0
        unsubscribe = self.agent.bus.subscribe(self._on_bus)
        try:
            while True:
                try:
                    await self._run_once()
                    delay = 1.0
                    self._set("disconnected", "the satellite closed the connection")
                except (TimeoutError, OSError, ConnectionError) as err:
                    self._set("unreachable", f"{type(err).__name__}: {err}" if str(err) else type(err).__name__)
                finally:
                    self._client = None
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
        finally:
            unsubscribe()

    async def _run_once(self) -> None:
        client = AsyncClient.from_uri(self.spec.uri)
        await asyncio.wait_for(client.connect(), 5)
        try:
            self._client = client
            self.connects += 1
            await self.send(Describe().event())
            async with asyncio.timeout(10):
                while not Info.is_type((event := await self._read(client)).type):
                    pass
            info = Info.from_event(event)
            if info.satellite is None:
                raise ConnectionError(f"{self.spec.uri} is not a Wyoming satellite (its info has no 'satellite')")
            loop = None
            converter = AudioChunkConverter(rate=16000, width=2, channels=1)
            await self.send(RunSatellite().event())
            self._set("running")
            while True:
                incoming = await client.read_event()
                if incoming is None:
                    break
                event = incoming
                if AudioChunk.is_type(event.type):
                    if loop is None:
                        loop = self._voice_loop(remote_wake=False)
                    await loop.feed(converter.convert(AudioChunk.from_event(event)).audio)
                elif RunPipeline.is_type(event.type):
                    # from the wake stage: Hearth listens for the wake word; from speech (the
                    # satellite heard its wake word itself): every utterance is a request
                    remote_wake = RunPipeline.from_event(event).start_stage == PipelineStage.WAKE
                    if loop is None or (loop.wake is not None) != (remote_wake and bool(self.wake_word)):
                        if loop is not None:
                            await loop.finish()
                        loop = self._voice_loop(remote_wake)
                    self._set("streaming")
            if loop is not None:
                await loop.finish()
        finally:
            await client.disconnect()

    def _voice_loop(self, remote_wake: bool) -> VoiceLoop:
        wake = WakeWord(self.wake_word) if remote_wake and self.wake_word else None
        return VoiceLoop(self.agent, self.speech, self.voice_config, SatelliteSink(self), session=self.session,
                         emit=self._on_voice, wake=wake, overlap=False)

    @staticmethod
    async def _read(client) -> Event:
        event = await client.read_event()
        if event is None:
            raise ConnectionError("the satellite closed the connection")
        return event

    async def _on_voice(self, event: HearthEvent) -> None:
        """Voice-loop events: the transcript goes to the satellite (its LEDs and event service)."""
        if isinstance(event, Transcribed) and event.text:
            await self.send(Transcript(text=event.text).event())
        if self._emit is not None:
            await self._emit(self, event)

    def _for_me(self, event: HearthEvent) -> bool:
        """Whether a between-turns event goes to this satellite: countdowns set from its room; an
        announcement for its room, its session, or everyone."""
        if isinstance(event, Announcement):
            return event.room == self.spec.name if event.room else event.session in ("", self.session)
        return event.session == self.session

    async def _on_bus(self, event: HearthEvent) -> None:
        """Countdowns (timers) set from this room: started, cancelled and finished go to its satellite
        as Wyoming's timer events (as Home Assistant sends them), and a finished one is said on its
        speaker; so is an announcement for this room."""
        if self._client is None or not self._for_me(event):
            return
        if isinstance(event, CountdownStarted):
            h, rest = divmod(int(event.duration_s), 3600)
            await self.send(WyomingTimerStarted(
                id=str(event.id), total_seconds=int(event.duration_s), name=event.name, start_hours=h,
                start_minutes=rest // 60, start_seconds=rest % 60).event())
        elif isinstance(event, CountdownCancelled):
            await self.send(WyomingTimerCancelled(id=str(event.id)).event())
        elif isinstance(event, CountdownFinished):
            await self.send(WyomingTimerFinished(id=str(event.id)).event())
            await self._say(event.say, event.kind)
        elif isinstance(event, Announcement):
            await self._say(event.text, "announcement")

    async def _say(self, text: str, what: str) -> None:
        """Speak ``text`` on the satellite's speaker (``what`` names it in a warning if it cannot be)."""
        sink = SatelliteSink(self)
        try:
            async for chunk in self.speech.synthesize(text):
                await sink.play(chunk, self.speech.sample_rate)
        except HearthError as err:
            log.warning("satellite %s: could not speak the %s: %s", self.spec.name, what, err)
        finally:
            await sink.reply_done()


async def run_satellites(agent, speech, voice_config, specs: list[SatelliteSpec], *, on_state=None, emit=None) -> None:
    """Drive every satellite at once until cancelled; each room keeps its own conversation."""
    links = [SatelliteLink(agent, speech, voice_config, s, on_state=on_state, emit=emit) for s in specs]
    await asyncio.gather(*(link.run() for link in links))


def parse_satellite(value: str) -> SatelliteSpec:
    """``NAME=tcp://HOST:PORT`` (or just the URI: the name is then HOST-PORT)."""
    name, sep, uri = value.partition("=")
    if not sep:
        name, uri = "", value
    parsed = parse_uri(uri)
    if parsed is None:
        raise ValueError(f"{value!r} is not a satellite; use NAME=tcp://HOST:PORT")
    return SatelliteSpec(name=name or f"{parsed.hostname}-{parsed.port}", uri=uri)


def parse_uri(uri: str) -> ParseResult | None:
    """``uri`` split (``urllib.parse``) if it is a Wyoming address, tcp://HOST:PORT or unix://PATH; else None."""
    parsed = urlparse(uri)
    if parsed.scheme not in ("tcp", "unix") or (parsed.scheme == "tcp" and (not parsed.hostname or parsed.port is None)):
        return None
    return parsed
