"""Audio for the voice loop: its format (16 kHz, 16-bit mono PCM), WAV files read and written, and
resampling (PyAV's libswresample, which faster-whisper already brings)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from hearth.errors import HearthError

RATE = 16000
"""The voice loop's sample rate: 16 kHz, 16-bit, mono (what VAD, wake word and Whisper take)."""


class AudioError(HearthError):
    """An audio file or stream could not be read (``audio_missing``, ``audio_unreadable``)."""

    code = "audio_unreadable"


class MicrophoneError(HearthError):
    """No microphone (or speaker) could be opened."""

    code = "no_microphone"


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
