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
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path

from hearth.errors import HearthError
from hearth.events import (
    BargeIn,
    Event,
    SpeechStarted,
    TextDelta,
    Transcribed,
    TurnFailed,
    VoiceFailed,
    VoiceTimings,
    WakeWordDetected,
)
from hearth.voice.devices import microphone
from hearth.voice.sentences import SentenceSplitter, spoken_failure
from hearth.voice.sinks import AudioSink
from hearth.voice.speech import RATE, Speech, VoiceConfig, read_wav
from hearth.voice.vad import Vad
from hearth.voice.wakeword import WakeWord

log = logging.getLogger(__name__)

FRAME = 512
"""Samples per VAD frame (32 ms at 16 kHz: Silero VAD's window)."""
FRAME_S = FRAME / RATE


def _ms(t0: float, t1: float | None = None) -> float:
    return round(((t1 if t1 is not None else time.perf_counter()) - t0) * 1000, 1)


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
                self._utt = self._start_utterance(t, preroll=False)
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

    def _start_utterance(self, t: float, *, preroll: bool) -> bytearray:
        """Begin an utterance with the frames heard just before it; returns (and keeps) its buffer."""
        frames = list(self._preroll) if preroll else list(self._preroll)[len(self._preroll) - self._preroll_n:]
        self._utt = utt = bytearray(b"".join(frames))
        self._utt_start = max(0.0, t - len(frames) * FRAME_S)
        self._voiced = self._overtalk if preroll else 1
        self._silent = self._overtalk = 0
        self._preroll.clear()
        return utt

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


async def run_microphone(loop: VoiceLoop, device: int | str | None = None) -> None:
    """Listen until cancelled (Ctrl-C)."""
    async for block in microphone(device):
        await loop.feed(block)
