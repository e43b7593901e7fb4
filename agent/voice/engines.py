"""The speech engine interface (what ``register_stt`` / ``register_tts`` factories return) and
:class:`Speech`, which runs engines safely from the event loop.

Engines speak primitives only (16-bit PCM bytes and a sample rate in, text out; text in, PCM
chunks out), so any engine (faster-whisper, piper, a Wyoming server) fits behind the same voice
loop. Engines are blocking objects; :class:`Speech` runs them in threads, one lock per engine.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pydantic import BaseModel

from hearth.errors import HearthError
from hearth.voice.audio import RATE

if TYPE_CHECKING:
    from hearth.voice.speech import SpeechConfig


class SpeechEngineError(HearthError):
    """The configured speech engine is not available, or failed."""

    code = "speech_engine_missing"


@runtime_checkable
class SpeechToText(Protocol):
    """A blocking STT engine; Hearth calls it from a thread, never two calls at once."""

    def load(self) -> None:
        """Load the model (once; later calls return at once). Raise ``ModelLoadError`` if missing."""

    def transcribe(self, pcm16: bytes, rate: int) -> str:
        """The words in 16-bit little-endian mono PCM at ``rate`` Hz; ``""`` for none."""


@runtime_checkable
class TextToSpeech(Protocol):
    """A blocking TTS engine; Hearth calls it from a thread, never two calls at once."""

    sample_rate: int
    """Hz of the PCM ``synthesize`` yields (known after ``load``)."""

    def load(self) -> None:
        """Load the voice (once; later calls return at once). Raise ``ModelLoadError`` if missing."""

    def synthesize(self, text: str) -> Iterator[bytes]:
        """16-bit little-endian mono PCM chunks, the first as early as possible (e.g. per sentence)."""


def build_engine(registry: dict[str, Any], config: Any, kind: str) -> Any:
    """The engine ``config.engine`` names, made by its registered factory; SpeechEngineError naming the
    loaded ones (and the default, the engine the settings name when left out) when none has that name."""
    name = config.engine
    factory = registry.get(name)
    if factory is None:
        known = ", ".join(sorted(registry)) or "none"
        default = type(config).model_fields["engine"].default
        raise SpeechEngineError(
            f"no {kind.upper()} engine named {name!r} is loaded (loaded: {known}); set [speech.{kind}] engine "
            f"to one of them, or enable its plugin (the default is {default!r}: check HEARTH_LOAD_PLUGINS "
            "and `hearth plugins`)")
    return factory(config)


def stt_engine(plugins: Any, config: BaseModel) -> SpeechToText:
    """Build the configured STT engine from the ``register_stt`` registrations."""
    return build_engine(plugins.stt, config, "stt")


def tts_engine(plugins: Any, config: BaseModel) -> TextToSpeech:
    """Build the configured TTS engine from the ``register_tts`` registrations."""
    return build_engine(plugins.tts, config, "tts")


class Speech:
    """STT and TTS engines made safe for the event loop: loads and calls run in threads, one lock each."""

    def __init__(self, stt: SpeechToText | None, tts: TextToSpeech | None) -> None:
        self.stt, self.tts = stt, tts
        self._stt_lock = asyncio.Lock()
        self._tts_lock = asyncio.Lock()

    @classmethod
    def from_config(cls, plugins, config: SpeechConfig, *, stt: bool = True, tts: bool = True) -> Speech:
        """The engines the ``[speech]`` settings name (each only when asked for)."""
        return cls(stt_engine(plugins, config.stt) if stt else None, tts_engine(plugins, config.tts) if tts else None)

    async def load(self) -> None:
        """Load both engines side by side."""
        jobs = []
        if self.stt is not None:
            jobs.append(self._locked(self._stt_lock, self.stt.load))
        if self.tts is not None:
            jobs.append(self._locked(self._tts_lock, self.tts.load))
        await asyncio.gather(*jobs)

    @staticmethod
    async def _locked(lock: asyncio.Lock, fn, *args):
        async with lock:
            return await asyncio.to_thread(fn, *args)

    async def transcribe(self, pcm16: bytes, rate: int = RATE) -> str:
        assert self.stt is not None
        return (await self._locked(self._stt_lock, self.stt.transcribe, pcm16, rate)).strip()

    async def synthesize(self, text: str) -> AsyncIterator[bytes]:
        """Chunks of speech as the engine makes them, each made in a thread."""
        tts = self.tts
        assert tts is not None
        async with self._tts_lock:
            chunks = await asyncio.to_thread(lambda: iter(tts.synthesize(text)))
            while True:
                chunk = await asyncio.to_thread(next, chunks, None)
                if chunk is None:
                    return
                if chunk:
                    yield chunk

    @property
    def sample_rate(self) -> int:
        assert self.tts is not None
        return self.tts.sample_rate
