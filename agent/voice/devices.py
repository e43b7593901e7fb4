"""Sound devices through PortAudio (sounddevice): the microphone as 16 kHz PCM blocks, and the speaker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from hearth.voice.speech import RATE, MicrophoneError, resample

FRAME_S = 512 / RATE
"""Seconds of one block from the microphone (a 512-sample VAD frame)."""


def sounddevice_module() -> Any:
    """The sounddevice module (PortAudio), or MicrophoneError ``no_sound_device`` naming what to install."""
    try:
        import sounddevice
    except (ImportError, OSError) as err:  # OSError: PortAudio itself is missing
        raise MicrophoneError(f"sound devices need sounddevice and PortAudio ({err}); install them "
                              "(pip install sounddevice; apt install libportaudio2), or use --input/--output WAV files",
                              "no_sound_device") from err
    return sounddevice


def check_microphone(device: int | str | None = None) -> None:
    """Raise MicrophoneError ``no_microphone`` unless an input device is there (opens nothing)."""
    sd = sounddevice_module()
    try:
        sd.query_devices(device, kind="input")
    except (sd.PortAudioError, ValueError) as err:
        raise MicrophoneError(f"no microphone found ({err}); connect one (`python -m sounddevice` lists devices), "
                              "pick one with --device, or give a recording with --input request.wav", "no_microphone") from err


class SpeakerSink:
    """Plays replies on an output device (sounddevice); ``stop`` cuts off within 50 ms."""

    def __init__(self, device: int | str | None = None) -> None:
        self.device = device
        self._sd = sounddevice_module()
        try:
            self._sd.query_devices(device, kind="output")
        except (self._sd.PortAudioError, ValueError) as err:
            raise MicrophoneError(f"no speaker found ({err}); connect one, pick one with --speaker, "
                                  "or write the replies to a file with --output reply.wav", "no_speaker") from err
        self._stream: Any = None  # a sounddevice RawOutputStream once open
        self._rate = 0
        self._stopped = False

    def _open(self, rate: int) -> None:
        if self._stream is not None and self._rate == rate:
            return
        self._close_stream()
        try:
            self._stream = self._sd.RawOutputStream(samplerate=rate, channels=1, dtype="int16", device=self.device)
            self._stream.start()
        except (self._sd.PortAudioError, ValueError) as err:
            self._stream = None
            raise MicrophoneError(f"no speaker could be opened ({err}); connect one, pick one with --speaker, "
                                  "or write the replies to a file with --output reply.wav", "no_speaker") from err
        self._rate = rate

    def _close_stream(self) -> None:
        if self._stream is not None:
            try:
                self._stream.abort()
                self._stream.close()
            except self._sd.PortAudioError:
                pass
            self._stream = None

    async def play(self, pcm16: bytes, rate: int) -> None:
        self._stopped = False
        await asyncio.to_thread(self._open, rate)
        step = int(rate * 0.05) * 2
        for i in range(0, len(pcm16), step):
            if self._stopped:
                return
            await asyncio.to_thread(self._stream.write, pcm16[i:i + step])

    async def stop(self) -> None:
        self._stopped = True
        await asyncio.to_thread(self._close_stream)

    async def reply_done(self) -> None:
        pass

    async def close(self) -> None:
        await asyncio.to_thread(self._close_stream)


async def microphone(device: int | str | None = None) -> AsyncIterator[bytes]:
    """16 kHz mono PCM blocks from an input device (PortAudio), resampled if the device needs its own rate.

    Raises MicrophoneError ``no_microphone`` when there is none."""
    sd = sounddevice_module()
    aloop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=200)

    def callback(indata, frames, time_info, status) -> None:
        try:
            aloop.call_soon_threadsafe(queue.put_nowait, bytes(indata))
        except RuntimeError:  # the event loop closed
            pass

    def open_stream(rate: int):
        return sd.RawInputStream(samplerate=rate, channels=1, dtype="int16", blocksize=int(rate * FRAME_S),
                                 device=device, callback=callback)

    rate = RATE
    try:
        try:
            stream = open_stream(RATE)
        except sd.PortAudioError as err:
            if "sample rate" not in str(err).lower():
                raise
            rate = int(sd.query_devices(device, kind="input")["default_samplerate"])
            stream = open_stream(rate)
        stream.start()
    except (sd.PortAudioError, ValueError) as err:
        raise MicrophoneError(f"no microphone could be opened ({err}); connect one (`python -m sounddevice` lists "
                              "devices), pick one with --device, or give a recording with --input request.wav",
                              "no_microphone") from err
    try:
        while True:
            block = await queue.get()
            yield block if rate == RATE else resample(block, rate, RATE)
    finally:
        stream.abort()
        stream.close()
