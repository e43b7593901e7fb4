"""Speech engines on Wyoming servers: STT (e.g. ``wyoming-faster-whisper``) and TTS (e.g.
``wyoming-piper``), on this machine or another, chosen in models.toml::

    [speech.stt]
    engine = "wyoming"
    uri = "tcp://127.0.0.1:10300"

    [speech.tts]
    engine = "wyoming"
    uri = "tcp://127.0.0.1:10200"
    voice = "en_US-joe-medium"      # the server's voice name; "" for its default

Each call opens its own connection (as Home Assistant does), so a server that restarted is simply
reached again. Connecting retries with backoff (0.25 s, doubling, ``retries`` times) before the
call fails with ``SpeechEngineError``, which the voice loop reports before it listens on.
TTS uses ``synthesize-start`` / ``-chunk`` / ``-stop`` where the server says it streams, so the
audio of each sentence comes back as soon as it is made.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncClient
from wyoming.error import Error
from wyoming.info import Describe, Info
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop, SynthesizeStopped, SynthesizeVoice

from hearth import ModelLoadError, SpeechEngineError, hookimpl

CHUNK_BYTES = 2 * 1600  # 100 ms of 16-bit mono at 16 kHz
TIMEOUT_S = 60.0


async def _connect(uri: str, what: str, retries: int) -> AsyncClient:
    delay, last = 0.25, None
    for attempt in range(retries + 1):
        client = AsyncClient.from_uri(uri)
        try:
            await asyncio.wait_for(client.connect(), 5)
            return client
        except (TimeoutError, OSError) as err:
            last = err
            if attempt < retries:
                await asyncio.sleep(delay)
                delay *= 2
    raise SpeechEngineError(f"cannot reach the Wyoming {what} server at {uri} ({last}); is it running? "
                            f"Tried {retries + 1} times.", "wyoming_unreachable")


async def _read(client: AsyncClient, uri: str, what: str):
    event = await asyncio.wait_for(client.read_event(), TIMEOUT_S)
    if event is None:
        raise SpeechEngineError(f"the Wyoming {what} server at {uri} closed the connection mid-request", "wyoming_lost")
    if Error.is_type(event.type):
        e = Error.from_event(event)
        raise SpeechEngineError(f"the Wyoming {what} server at {uri} says: {e.text} ({e.code})", "wyoming_error")
    return event


async def _describe(uri: str, what: str, retries: int) -> Info:
    client = await _connect(uri, what, retries)
    try:
        await client.write_event(Describe().event())
        while not Info.is_type((event := await _read(client, uri, what)).type):
            pass
        return Info.from_event(event)
    finally:
        await client.disconnect()


def _need_uri(config: Any, kind: str) -> str:
    if not getattr(config, "uri", None):
        raise SpeechEngineError(f'[speech.{kind}] engine = "wyoming" needs uri = "tcp://HOST:PORT"', "config_invalid")
    return config.uri


class WyomingStt:
    """Speech to text on a Wyoming ASR server."""

    def __init__(self, config: Any) -> None:
        self.config = config
        self.uri = _need_uri(config, "stt")
        self.retries = 4
        self.info: Info | None = None

    def load(self) -> None:
        try:
            self.info = asyncio.run(_describe(self.uri, "STT", self.retries))
        except SpeechEngineError as err:
            raise ModelLoadError(str(err), err.code) from err
        if not any(p.installed for p in self.info.asr):
            raise ModelLoadError(f"the Wyoming server at {self.uri} offers no speech-to-text", "wyoming_no_asr")

    def transcribe(self, pcm16: bytes, rate: int) -> str:
        return asyncio.run(self._transcribe(pcm16, rate))

    async def _transcribe(self, pcm16: bytes, rate: int) -> str:
        client = await _connect(self.uri, "STT", self.retries)
        try:
            language = self.config.language or None
            await client.write_event(Transcribe(language=language).event())
            await client.write_event(AudioStart(rate=rate, width=2, channels=1).event())
            step = CHUNK_BYTES * max(1, rate // 16000)
            for i in range(0, len(pcm16), step):
                await client.write_event(AudioChunk(rate=rate, width=2, channels=1, audio=pcm16[i:i + step]).event())
            await client.write_event(AudioStop().event())
            while not Transcript.is_type((event := await _read(client, self.uri, "STT")).type):
                pass
            return Transcript.from_event(event).text or ""
        finally:
            await client.disconnect()


class WyomingTts:
    """Text to speech on a Wyoming TTS server; audio comes back chunk by chunk as the server sends it."""

    def __init__(self, config: Any) -> None:
        self.config = config
        self.uri = _need_uri(config, "tts")
        self.voice = getattr(config, "voice", "") or ""
        if self.voice.startswith("package:"):  # the in-process default means nothing to a server
            self.voice = ""
        self.retries = 4
        self.sample_rate = 22050
        self.streaming = False

    def load(self) -> None:
        try:
            info = asyncio.run(_describe(self.uri, "TTS", self.retries))
        except SpeechEngineError as err:
            raise ModelLoadError(str(err), err.code) from err
        programs = [p for p in info.tts if p.installed]
        if not programs:
            raise ModelLoadError(f"the Wyoming server at {self.uri} offers no text-to-speech", "wyoming_no_tts")
        self.streaming = any(p.supports_synthesize_streaming for p in programs)
        voices = {v.name for p in programs for v in p.voices if v.installed}
        if self.voice and voices and self.voice not in voices:
            raise ModelLoadError(f"the Wyoming server at {self.uri} has no voice {self.voice!r}; it has "
                                 f"{', '.join(sorted(voices))}", "voice_not_found")
        for _chunk in self.synthesize("Ready."):  # learns the sample rate and warms the server
            pass

    def synthesize(self, text: str) -> Iterator[bytes]:
        """Chunks as they arrive: a thread runs the request and hands chunks over a queue."""
        chunks: queue.Queue = queue.Queue()
        done = object()

        def run() -> None:
            try:
                asyncio.run(self._synthesize(text, chunks.put))
            except BaseException as err:  # handed to the caller's thread
                chunks.put(err)
            finally:
                chunks.put(done)

        threading.Thread(target=run, name="wyoming-tts", daemon=True).start()
        while (item := chunks.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item

    async def _synthesize(self, text: str, put) -> None:
        client = await _connect(self.uri, "TTS", self.retries)
        voice = SynthesizeVoice(name=self.voice) if self.voice else None
        try:
            if self.streaming:
                await client.write_event(SynthesizeStart(voice=voice).event())
                await client.write_event(SynthesizeChunk(text=text).event())
                await client.write_event(Synthesize(text=text, voice=voice).event())  # for older servers
                await client.write_event(SynthesizeStop().event())
                end = SynthesizeStopped.is_type
            else:
                await client.write_event(Synthesize(text=text, voice=voice).event())
                end = AudioStop.is_type
            t0 = time.monotonic()
            while not end((event := await _read(client, self.uri, "TTS")).type):
                if AudioStart.is_type(event.type):
                    start = AudioStart.from_event(event)
                    if start.width != 2 or start.channels != 1:
                        raise SpeechEngineError(f"the Wyoming TTS server at {self.uri} sends {start.width * 8}-bit "
                                                f"{start.channels}-channel audio; Hearth plays 16-bit mono", "wyoming_format")
                    self.sample_rate = start.rate
                elif AudioChunk.is_type(event.type):
                    put(AudioChunk.from_event(event).audio)
                if time.monotonic() - t0 > TIMEOUT_S:
                    raise SpeechEngineError(f"the Wyoming TTS server at {self.uri} took over {TIMEOUT_S:g} s", "wyoming_timeout")
        finally:
            await client.disconnect()


@hookimpl
def register_stt(register):
    register("wyoming", WyomingStt)


@hookimpl
def register_tts(register):
    register("wyoming", WyomingTts)
