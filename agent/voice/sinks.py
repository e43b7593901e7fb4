"""Where reply audio goes: the :class:`AudioSink` protocol, memory and WAV files
(the speaker is :class:`hearth.voice.devices.SpeakerSink`)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Protocol

from hearth.voice.speech import AudioError, write_wav


class AudioSink(Protocol):
    """Where replies are played. ``play`` returns when the chunk is accepted (a device: played)."""

    async def play(self, pcm16: bytes, rate: int) -> None: ...

    async def stop(self) -> None:
        """Barge-in: stop at once and drop what is queued."""

    async def reply_done(self) -> None:
        """One reply ended."""

    async def close(self) -> None: ...


class MemorySink:
    """Collects reply audio in memory; with ``realtime`` it takes as long as a speaker would."""

    def __init__(self, rate: int = 22050, *, realtime: bool = False, gap_s: float = 0.5) -> None:
        self.rate, self.realtime, self.gap_s = rate, realtime, gap_s
        self.pcm = bytearray()
        self.replies = 0
        self._stopped = False
        self._in_reply = False

    async def play(self, pcm16: bytes, rate: int) -> None:
        self.rate = rate
        self._stopped = False
        if not self._in_reply:  # a pause before each reply
            self._in_reply = True
            self.pcm += b"\0\0" * int(self.rate * self.gap_s)
        step = int(rate * 0.05) * 2
        for i in range(0, len(pcm16), step if self.realtime else max(len(pcm16), 1)):
            if self._stopped:
                return
            piece = pcm16[i:i + step] if self.realtime else pcm16
            self.pcm += piece
            if self.realtime:
                await asyncio.sleep(len(piece) / 2 / rate)

    async def stop(self) -> None:
        self._stopped = True

    async def reply_done(self) -> None:
        self.replies += 1
        self._in_reply = False

    async def close(self) -> None:
        pass


class WavSink(MemorySink):
    """Writes every reply, in order, each after a short pause, to one WAV file on ``close``."""

    def __init__(self, path: str | Path, rate: int = 22050, **kw: Any) -> None:
        super().__init__(rate, **kw)
        self.path = Path(path)

    async def close(self) -> None:
        try:
            await asyncio.to_thread(write_wav, self.path, bytes(self.pcm), self.rate)
        except OSError as err:
            raise AudioError(f"cannot write {self.path}: {err.strerror or err}", "audio_unwritable") from err
