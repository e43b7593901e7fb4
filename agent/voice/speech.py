"""Speech: the ``[speech]`` settings, the engine interface, audio conversion and engine lookup.

Engines speak primitives only (16-bit PCM bytes and a sample rate in, text out; text in, PCM
chunks out), so any engine (faster-whisper, piper, a Wyoming server) fits behind the same voice
loop. Engines are blocking objects; :class:`Speech` runs them in threads, one lock per engine.

Nothing here imports an engine: a text-only install never loads speech libraries.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import wave
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hearth.config import hearth_home, models_toml_path, read_toml, validation_error
from hearth.errors import HearthError, ModelLoadError

RATE = 16000
"""The voice loop's sample rate: 16 kHz, 16-bit, mono (what VAD, wake word and Whisper take)."""


# -------------------------------------------------------------------------------------------------
# errors
# -------------------------------------------------------------------------------------------------


class AudioError(HearthError):
    """An audio file or stream could not be read (``audio_missing``, ``audio_unreadable``)."""

    code = "audio_unreadable"


class MicrophoneError(HearthError):
    """No microphone (or speaker) could be opened."""

    code = "no_microphone"


class SpeechEngineError(HearthError):
    """The configured speech engine is not available, or failed."""

    code = "speech_engine_missing"


# -------------------------------------------------------------------------------------------------
# configuration: the [speech] table of models.toml
# -------------------------------------------------------------------------------------------------


class SttConfig(BaseModel):
    """``[speech.stt]``: which speech-to-text engine and model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    engine: str = Field("faster-whisper", description="a registered STT engine name")
    model: str = Field("package:tiny.en", description="'package:NAME' for a model shipped as a Python package, or a model folder")
    language: str | None = Field("en", description="spoken language; None lets the model guess")
    beam_size: int = Field(5, ge=1, le=20, description="beam search width (1 is faster and mishears more)")
    compute_type: str = Field("int8", description="CTranslate2 compute type: int8, int8_float16, float16, float32")
    device: str = Field("cpu", description="cpu, cuda or auto")
    cpu_threads: int = Field(0, ge=0, description="0: the engine's default")
    uri: str | None = Field(None, description='engine = "wyoming": the Wyoming STT server, tcp://HOST:PORT')


class TtsConfig(BaseModel):
    """``[speech.tts]``: which text-to-speech engine and voice."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    engine: str = Field("piper", description="a registered TTS engine name")
    voice: str = Field("package:en_US-joe-medium", description="'package:NAME' or a voice file (piper: .onnx beside its .onnx.json)")
    speaker_id: int | None = Field(None, ge=0, description="speaker of a multi-speaker voice")
    length_scale: float | None = Field(None, gt=0, le=4, description="speaking pace: < 1 faster, > 1 slower")
    volume: float = Field(1.0, gt=0, le=4)
    use_cuda: bool = False
    uri: str | None = Field(None, description='engine = "wyoming": the Wyoming TTS server, tcp://HOST:PORT')


class VoiceConfig(BaseModel):
    """``[speech.voice]``: listening: voice activity detection, wake word, end of utterance."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    wake_word: str | None = Field("okay_nabu", description="microWakeWord model: okay_nabu, hey_jarvis, hey_mycroft, "
                                  "alexa, or a model's .json; \"\" listens continuously")
    vad: Literal["silero", "micro"] = Field("silero", description="voice activity detector")
    vad_threshold: float = Field(0.5, gt=0, lt=1, description="speech probability that counts as speech")
    silence_s: float = Field(0.7, gt=0, le=10, description="silence that ends an utterance")
    min_speech_s: float = Field(0.25, ge=0, le=10, description="shorter bursts of speech are ignored (clicks, coughs)")
    max_utterance_s: float = Field(15.0, gt=0, le=120, description="an utterance is cut here")
    preroll_s: float = Field(0.3, ge=0, le=2, description="audio kept from before speech began")
    wake_timeout_s: float = Field(8.0, gt=0, le=120, description="after the wake word, how long to wait for a request")
    barge_in: bool = Field(True, description="talking over Hearth stops it (with a wake word: saying the wake word)")
    barge_in_s: float = Field(0.4, gt=0, le=5, description="speech needed to interrupt when there is no wake word")


class SatelliteConfig(BaseModel):
    """One ``[[speech.satellites]]`` table: a Wyoming satellite that ``hearth wyoming`` drives."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="the room; its conversation is 'satellite-NAME'")
    uri: str = Field(pattern=r"^(tcp://[^:/]+:\d+|unix://.+)$", description="tcp://HOST:PORT of the satellite")


class SpeechConfig(BaseModel):
    """The whole ``[speech]`` table; every part has working defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stt: SttConfig = Field(default_factory=SttConfig)
    tts: TtsConfig = Field(default_factory=TtsConfig)
    voice: VoiceConfig = Field(default_factory=VoiceConfig)
    satellites: list[SatelliteConfig] = Field(default_factory=list)


def _where(loc: tuple) -> str:
    parts = [str(p) for p in loc]
    if len(parts) >= 2:
        return f"[speech.{parts[0]}] key '{'.'.join(parts[1:])}'"
    if parts and parts[0] in SpeechConfig.model_fields:
        return f"[speech.{parts[0]}]"
    return f"[speech] key '{'.'.join(parts)}'" if parts else "[speech]"


def speech_config(data: dict[str, Any] | None, source: str | Path = "models.toml") -> SpeechConfig:
    """Validate a ``[speech]`` table; a ConfigError names the file, the table and the key."""
    try:
        return SpeechConfig.model_validate(data or {})
    except ValidationError as err:
        raise validation_error(err, source, _where) from err


def load_speech_config(models: str | Path | None = None) -> SpeechConfig:
    """The ``[speech]`` table of the models.toml in force (see ``hearth.config.models_toml_path``).

    Only ``[speech]`` is read, so a voice command works even while a model table is being edited.
    """
    path = models_toml_path(models)
    return speech_config(read_toml(path).get("speech"), path)


# -------------------------------------------------------------------------------------------------
# the engine interface (what register_stt / register_tts factories return)
# -------------------------------------------------------------------------------------------------


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


def stt_engine(plugins, config: SttConfig) -> SpeechToText:
    """Build the configured STT engine from the ``register_stt`` registrations."""
    return _build(plugins.stt, config, config.engine, "stt", "faster_whisper")


def tts_engine(plugins, config: TtsConfig) -> TextToSpeech:
    """Build the configured TTS engine from the ``register_tts`` registrations."""
    return _build(plugins.tts, config, config.engine, "tts", "piper")


def _build(registry: dict[str, Any], config: BaseModel, name: str, kind: str, builtin: str) -> Any:
    factory = registry.get(name)
    if factory is None:
        known = ", ".join(sorted(registry)) or "none"
        raise SpeechEngineError(
            f"no {kind.upper()} engine named {name!r} is loaded (loaded: {known}); set [speech.{kind}] engine "
            f"to one of them, or enable its plugin (the built-in is {builtin!r}: check HEARTH_LOAD_PLUGINS "
            "and `hearth plugins`)")
    return factory(config)


class Speech:
    """STT and TTS engines made safe for the event loop: loads and calls run in threads, one lock each."""

    def __init__(self, stt: SpeechToText | None, tts: TextToSpeech | None) -> None:
        self.stt, self.tts = stt, tts
        self._stt_lock = asyncio.Lock()
        self._tts_lock = asyncio.Lock()

    @classmethod
    def from_config(cls, plugins, config: SpeechConfig, *, stt: bool = True, tts: bool = True) -> Speech:
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


# -------------------------------------------------------------------------------------------------
# audio: WAV files and resampling (PyAV's libswresample, which faster-whisper already brings)
# -------------------------------------------------------------------------------------------------


def resample(pcm16: bytes, rate: int, to_rate: int = RATE, channels: int = 1) -> bytes:
    """16-bit interleaved PCM at ``rate`` with ``channels`` to mono at ``to_rate``."""
    if rate == to_rate and channels == 1:
        return pcm16
    try:
        import av  # optional: faster-whisper brings it
    except ImportError as err:
        raise AudioError(f"audio at {rate} Hz needs resampling to {to_rate} Hz, which needs PyAV: "
                         "pip install av (faster-whisper brings it)", "audio_unreadable") from err
    samples = np.frombuffer(pcm16[: len(pcm16) - len(pcm16) % (2 * channels)], dtype="<i2")
    if channels > 2:  # PyAV's layouts stop at stereo here: mix down first
        samples = samples.reshape(-1, channels).mean(axis=1).astype("<i2")
        channels = 1
    if samples.size == 0:
        return b""
    frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono" if channels == 1 else "stereo")
    frame.sample_rate = rate
    resampler = av.AudioResampler(format="s16", layout="mono", rate=to_rate)
    out = [*resampler.resample(frame), *resampler.resample(None)]
    return b"".join(f.to_ndarray().astype("<i2").tobytes() for f in out)


def read_wav(path: str | Path, to_rate: int = RATE) -> bytes:
    """A WAV file as 16-bit mono PCM at ``to_rate``: any PCM rate, 8/16/24/32-bit, mono or more channels."""
    p = Path(path)
    try:
        with wave.open(str(p), "rb") as w:
            rate, channels, width, n = w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
            data = w.readframes(n)
    except FileNotFoundError as err:
        raise AudioError(f"{p}: no such file", "audio_missing") from err
    except IsADirectoryError as err:
        raise AudioError(f"{p} is a folder, not a WAV file", "audio_missing") from err
    except (wave.Error, EOFError, ValueError) as err:
        raise AudioError(f"{p} is not a readable WAV file ({err or type(err).__name__}); "
                         "give a PCM WAV, e.g. convert with: sox in.mp3 -b 16 out.wav") from err
    if rate <= 0 or channels <= 0:
        raise AudioError(f"{p}: the WAV header says {rate} Hz, {channels} channel(s); the file is damaged")
    if width == 2:
        samples = np.frombuffer(data[: len(data) - len(data) % 2], dtype="<i2")
    elif width == 1:  # unsigned 8-bit
        samples = ((np.frombuffer(data, dtype=np.uint8).astype(np.int16) - 128) << 8).astype("<i2")
    elif width == 3:
        raw = np.frombuffer(data[: len(data) - len(data) % 3], dtype=np.uint8).reshape(-1, 3)
        samples = (raw[:, 1].astype(np.int16) | (raw[:, 2].astype(np.int16) << 8)).astype("<i2")
    elif width == 4:
        samples = (np.frombuffer(data[: len(data) - len(data) % 4], dtype="<i4") >> 16).astype("<i2")
    else:
        raise AudioError(f"{p}: {8 * width}-bit samples are not supported; use 16-bit PCM")
    samples = samples[: samples.size - samples.size % channels]
    return resample(samples.tobytes(), rate, to_rate, channels)


def write_wav(path: str | Path, pcm16: bytes, rate: int) -> None:
    """Write 16-bit mono PCM as a WAV file (creating its folder)."""
    p = Path(path)
    if p.parent and not p.parent.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(p), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm16)


def resolve_path(ref: str, what: str, key: str) -> Path:
    """A user's model path from ``[speech.*]`` (``~`` and ``$VARS`` expanded; relative to HEARTH_HOME
    unless it exists where it is); ModelLoadError ``speech_model_missing`` when it is not there."""
    path = Path(os.path.expandvars(ref)).expanduser()
    if not path.is_absolute() and not path.exists():
        path = hearth_home() / path
    if not path.exists():
        raise ModelLoadError(f"the {what} {path} does not exist; fix {key} in models.toml "
                             "(or remove it to use the default)", "speech_model_missing")
    return path


def packaged_path(name: str, packaged: dict[str, tuple[str, str, str]], what: str, key: str, instead: str) -> Path:
    """The file or folder of a model shipped as a Python package (``package:NAME`` in ``key``):
    ``packaged`` maps NAME to (module, function returning the path, pip name)."""
    if name not in packaged:
        raise ModelLoadError(f"unknown packaged {what} {name!r} in {key}; known: "
                             f"{', '.join('package:' + k for k in packaged)}, or give {instead}", "speech_model_missing")
    module, fn, dist = packaged[name]
    try:
        return Path(getattr(importlib.import_module(module), fn)())
    except ImportError as err:
        raise ModelLoadError(f"the {what} package:{name} is not installed: pip install {dist}",
                             "speech_model_missing") from err
