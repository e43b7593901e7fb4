"""Speech settings: the ``[speech]`` table of models.toml (the STT and TTS engines, listening,
satellites) and the engines it names, found among the ``register_stt`` / ``register_tts``
registrations.

The engine interface and :class:`Speech` are in :mod:`hearth.voice.engines`, audio formats and
WAV files in :mod:`hearth.voice.audio`, model paths in :mod:`hearth.voice.paths`; their names are
importable from here too. Nothing here imports an engine: a text-only install never loads speech
libraries.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hearth.config import models_toml_path, read_toml, validation_error
from hearth.voice.audio import RATE, AudioError, MicrophoneError, read_wav, resample, write_wav
from hearth.voice.engines import Speech, SpeechEngineError, SpeechToText, TextToSpeech, stt_engine, tts_engine
from hearth.voice.paths import packaged_path, resolve_path

__all__ = ["RATE", "AudioError", "MicrophoneError", "SatelliteConfig", "Speech", "SpeechConfig", "SpeechEngineError",
           "SpeechToText", "SttConfig", "TextToSpeech", "TtsConfig", "VoiceConfig", "load_speech_config",
           "packaged_path", "read_wav", "resample", "resolve_path", "speech_config", "stt_engine", "tts_engine",
           "write_wav"]


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
    room: str | None = Field(None, max_length=64, description="the room the microphone is in, as the home names it "
                             "('Kitchen'): 'turn off the lights' means this room's")


class SatelliteConfig(BaseModel):
    """One ``[[speech.satellites]]`` table: a Wyoming satellite that ``hearth wyoming`` drives."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="the satellite; its conversation is 'satellite-NAME'")
    room: str | None = Field(None, min_length=1, max_length=64, description="the room it is in, as the home names "
                             "it ('Living Room'); default: its name, '_' read as a space")
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
