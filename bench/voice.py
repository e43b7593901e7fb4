"""Voice speed with the default engines: STT and TTS real-time factors, VAD cost, and a voice turn's
end-of-speech to first-audio latency.

    python bench/voice.py [--runs 3]

Piper (the default voice) speaks a fixed set of shopping-list requests; faster-whisper (tiny.en,
beam 5, int8) transcribes them; then each request WAV goes through the whole voice loop
(``hearth.voice.loop.VoiceLoop`` in file mode: VAD, transcript, tier-1 turn, sentence TTS) with a
scratch database. RTF = processing time / audio length (below 1 is faster than real time).
Latency is measured from the moment the utterance closed on silence; the person waited
``silence_s`` (0.7 s by default) more than that.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import tempfile
import time

from rich.console import Console
from rich.table import Table

from hearth.cli.stats import percentile

REQUESTS = ["Add bread to the shopping list.", "Put butter on my shopping list.", "Add lemons to my shopping list.",
            "Add carrots to the shopping list.", "Put tomatoes on my shopping list."]


async def main(runs: int) -> None:
    scratch = tempfile.mkdtemp(prefix="hearth-bench-voice-")
    os.environ["HEARTH_HOME"] = scratch
    os.environ.setdefault("HEARTH_LOAD_PLUGINS", "shopping_list,faster_whisper,piper")
    from hearth import Agent, Storage
    from hearth.config import ModelConfig, ModelsFile, Roles
    from hearth.plugins.faster_whisper import FasterWhisper
    from hearth.plugins.piper import Piper
    from hearth.voice.loop import FRAME, VoiceLoop
    from hearth.voice.sinks import MemorySink
    from hearth.voice.speech import RATE, Speech, SpeechConfig, resample
    from hearth.voice.vad import Vad

    cfg = SpeechConfig()
    stt, tts = FasterWhisper(cfg.stt), Piper(cfg.tts)
    t0 = time.perf_counter()
    stt.load()
    stt_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    tts.load()
    tts_load = time.perf_counter() - t0

    # warm-up, then TTS and STT alone
    stt.transcribe(resample(b"".join(tts.synthesize(REQUESTS[0])), tts.sample_rate), RATE)
    tts_rtf, tts_first, stt_rtf, stt_ms, audio = [], [], [], [], {}
    lead = b"\0\0" * int(RATE * 0.3)
    for _ in range(runs):
        for text in REQUESTS:
            t0 = time.perf_counter()
            chunks = []
            for chunk in tts.synthesize(text):
                if not chunks:
                    tts_first.append((time.perf_counter() - t0) * 1000)
                chunks.append(chunk)
            took = time.perf_counter() - t0
            pcm = b"".join(chunks)
            tts_rtf.append(took / (len(pcm) / 2 / tts.sample_rate))
            pcm16k = lead + resample(pcm, tts.sample_rate) + lead
            audio.setdefault(text, pcm16k)
            t0 = time.perf_counter()
            stt.transcribe(pcm16k, RATE)
            took = time.perf_counter() - t0
            stt_ms.append(took * 1000)
            stt_rtf.append(took / (len(pcm16k) / 2 / RATE))

    # VAD cost per second of audio
    vad_rtf = {}
    speech_audio = b"".join(audio.values())
    for kind in ("silero", "micro"):
        vad = Vad(kind)
        t0 = time.perf_counter()
        for i in range(0, len(speech_audio) - FRAME * 2 + 1, FRAME * 2):
            vad(speech_audio[i:i + FRAME * 2])
        vad_rtf[kind] = (time.perf_counter() - t0) / (len(speech_audio) / 2 / RATE)

    # whole voice turns
    placeholder = ModelsFile(roles=Roles(main="none"), models={"none": ModelConfig(backend="none", model="none")})
    agent = Agent(models=placeholder, storage=Storage(f"sqlite:///{scratch}/bench.db"))
    await agent.start(load_model=False)
    speech = Speech(stt, tts)
    turns: dict[str, list[float]] = {k: [] for k in ("stt_ms", "first_token_ms", "first_audio_ms", "end_to_first_audio_ms")}
    try:
        for r in range(runs):
            for i, text in enumerate(REQUESTS):
                seen = []
                loop = VoiceLoop(agent, speech, cfg.voice.model_copy(update={"wake_word": ""}), MemorySink(tts.sample_rate),
                                 session=f"bench-{r}-{i}", emit=seen.append)
                await loop.feed(audio[text] + b"\0\0" * int(RATE * 1.0))
                await loop.finish()
                timing = [e for e in seen if e.type == "voice_timings"]
                if not timing or "end_to_first_audio_ms" not in timing[0].timings:
                    print(f"no reply to {text!r}: {[e.to_dict() for e in seen if e.type in ('transcript', 'voice_error')]}")
                    continue
                for k in turns:
                    turns[k].append(timing[0].timings[k])
    finally:
        await agent.stop()

    con = Console(width=130)
    n = len(REQUESTS) * runs
    con.print(f"[bold]hearth voice bench[/]: {platform.machine()}, {os.cpu_count()} CPU(s), {n} requests "
              f"(piper {len(REQUESTS)} phrases x {runs} runs), after one warm-up")
    t = Table(title="engines (default models)")
    for col in ("engine", "model", "load s", "RTF p50", "RTF max", "notes"):
        t.add_column(col, justify="left" if col in ("engine", "model", "notes") else "right")
    t.add_row("STT faster-whisper", f"{cfg.stt.model} beam {cfg.stt.beam_size} {cfg.stt.compute_type}", f"{stt_load:.2f}",
              f"{percentile(stt_rtf, .5):.3f}", f"{max(stt_rtf):.3f}", f"{percentile(stt_ms, .5):.0f} ms per request (p50)")
    t.add_row("TTS piper", cfg.tts.voice, f"{tts_load:.2f}", f"{percentile(tts_rtf, .5):.3f}", f"{max(tts_rtf):.3f}",
              f"first audio {percentile(tts_first, .5):.0f} ms (p50)")
    for kind, v in vad_rtf.items():
        t.add_row(f"VAD {kind}", "built in", "-", f"{v:.4f}", "-", "per 32 ms frame")
    con.print(t)
    t = Table(title=f"voice turn latency, ms ({len(turns['end_to_first_audio_ms'])} tier-1 turns)")
    for col in ("stage", "p50", "p95", "max"):
        t.add_column(col, justify="left" if col == "stage" else "right")
    names = {"stt_ms": "end of speech -> transcript", "first_token_ms": "transcript -> first token",
             "first_audio_ms": "first token -> first audio", "end_to_first_audio_ms": "end of speech -> first audio"}
    for k, label in names.items():
        v = turns[k]
        if v:
            t.add_row(label, f"{percentile(v, .5):.0f}", f"{percentile(v, .95):.0f}", f"{max(v):.0f}")
    con.print(t)
    con.print(f"[dim]end of speech = the utterance closed after {cfg.voice.silence_s} s of silence; "
              f"the person waited that much longer.[/]")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    asyncio.run(main(args.runs))
