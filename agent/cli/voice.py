"""Voice commands: ``hearth listen``, ``hearth say``, ``hearth transcribe``."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from hearth.cli.common import build_agent, err, fail, load_plugins, out, print_json_event
from hearth.errors import HearthError
from hearth.events import (
    BargeIn,
    Event,
    Transcribed,
    TurnFailed,
    TurnFinished,
    VoiceFailed,
    VoiceTimings,
    WakeWordDetected,
)
from hearth.pluginmanager import PluginManager
from hearth.storage import Storage
from hearth.voice.devices import SpeakerSink, check_microphone
from hearth.voice.loop import VoiceLoop, run_file, run_microphone
from hearth.voice.sinks import AudioSink, MemorySink, WavSink
from hearth.voice.speech import RATE, AudioError, Speech, SpeechConfig, load_speech_config, read_wav, write_wav
from hearth.voice.wakeword import WakeWord


def _speech(plugins: PluginManager, models: Path | None, *, stt: bool, tts: bool) -> tuple[SpeechConfig, Speech]:
    """The speech settings and the engines they name, or a clean exit naming what is wrong."""
    try:
        cfg = load_speech_config(models)
        speech = Speech.from_config(plugins, cfg, stt=stt, tts=tts)
    except HearthError as e:
        fail(str(e))
    return cfg, speech


async def _load_engines(speech: Speech, quiet: bool) -> None:
    if quiet:
        await speech.load()
        return
    with err.status("[cyan]loading speech models[/]"):
        await speech.load()


def _device(value: str | None) -> int | str | None:
    """A device option: its number, or its name."""
    return int(value) if value is not None and value.isdigit() else value


def _check_source(input: Path | None, device: str | None) -> None:
    """The WAV file exists, or (before any model loads: no microphone is the commonest problem) the
    microphone opens; else a clean exit naming what is wrong."""
    if input is not None and not input.is_file():
        fail(f"{input}: no such file; give a WAV recording with --input" if not input.exists()
             else f"{input} is not a file; give a WAV recording with --input")
    if input is None:
        try:
            check_microphone(_device(device))
        except HearthError as e:
            fail(str(e))


def _wake(option: str | None, off: bool, input: Path | None, cfg: SpeechConfig) -> WakeWord | None:
    """The wake word: ``--wake-word``, else the settings' for the microphone (none for a file). One
    that does not load is fatal when asked for by name, else Hearth listens without one."""
    name = None if off else (option if option is not None else (None if input is not None else cfg.voice.wake_word))
    if not name:
        if input is None:
            err.print("[yellow]no wake word: listening continuously (every utterance is a request)[/]")
        return None
    try:
        return WakeWord(name)
    except HearthError as e:
        if option is not None:
            fail(str(e))
        err.print(f"[yellow]{escape(str(e))}; listening without a wake word[/]", highlight=False)
        return None


class _Heard:
    """What a listening run heard (wake words, utterances, failures), each event shown as it comes."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.failures: list[str] = []
        self.wake = self.utterances = 0

    def __call__(self, ev: Event) -> None:
        if isinstance(ev, (TurnFailed, VoiceFailed)):
            self.failures.append(ev.code)
        elif isinstance(ev, WakeWordDetected):
            self.wake += 1
        elif isinstance(ev, Transcribed):
            self.utterances += 1
        if self.as_json:
            print_json_event(ev)
        else:
            self.say(ev)

    @staticmethod
    def say(ev: Event) -> None:
        """One event in words on stderr."""
        if isinstance(ev, WakeWordDetected):
            err.print(f"[dim]wake word {escape(ev.name)} at {ev.at_s:.1f} s[/]", highlight=False)
        elif isinstance(ev, Transcribed) and ev.text:
            err.print(f"[bold]you:[/] {escape(ev.text)}", highlight=False)
        elif isinstance(ev, TurnFinished):
            err.print(f"[bold cyan]hearth:[/] {escape(ev.text)}", highlight=False)
        elif isinstance(ev, (TurnFailed, VoiceFailed)):
            err.print(f"[bold red]error ({ev.code}):[/] {escape(ev.message)}", highlight=False)
        elif isinstance(ev, BargeIn):
            err.print("[yellow]interrupted[/]")
        elif isinstance(ev, VoiceTimings) and "end_to_first_audio_ms" in ev.timings:
            t = ev.timings
            err.print(f"[dim]end of speech -> first audio {t['end_to_first_audio_ms']:.0f} ms (transcript {t['stt_ms']:.0f}, "
                      f"first text {t.get('first_token_ms', 0):.0f}, first audio {t.get('first_audio_ms', 0):.0f})[/]")


def _sink(output: Path | None, input: Path | None, realtime: bool, speaker: str | None, rate: int) -> AudioSink:
    """Where replies are spoken: a WAV file, memory (a file fed in real time), or the speaker."""
    if output is not None:
        return WavSink(output, rate, realtime=realtime)
    if input is not None and realtime:
        return MemorySink(rate, realtime=True)
    return SpeakerSink(_device(speaker))


def _report_file(input: Path, wake: WakeWord | None, heard: _Heard) -> int:
    """After a file: say when it held no wake word or no speech; 1 when a turn or the voice failed."""
    if wake is not None and not heard.wake:
        err.print(f"[yellow]heard no wake word {escape(wake.name)!r} in {escape(str(input))}; "
                  "use --no-wake-word for a recording of requests only[/]", highlight=False)
    elif not heard.utterances and not heard.as_json:
        err.print(f"[yellow]heard no speech in {escape(str(input))}[/]", highlight=False)
    return 1 if heard.failures else 0


def listen(
    input: Path | None = typer.Option(None, "--input", "-i", help="Listen to this WAV file instead of the microphone (any rate; resampled)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the spoken replies to this WAV file instead of the speaker."),
    as_json: bool = typer.Option(False, "--json", help="Print every event as a JSON line."),
    session: str | None = typer.Option(None, "--session", "-s", help="Continue this conversation."),
    role: str | None = typer.Option(None, help="Which role's model answers after tier 1 (main or router)."),
    wake_word: str | None = typer.Option(None, "--wake-word", help="Wake word model (okay_nabu, hey_jarvis, hey_mycroft, alexa, or a .json); default: wake_word in speech.voice for the microphone, none for --input."),
    no_wake_word: bool = typer.Option(False, "--no-wake-word", help="Listen continuously: every utterance is a request."),
    device: str | None = typer.Option(None, "--device", help="Input device (number or name; `python -m sounddevice` lists them)."),
    speaker: str | None = typer.Option(None, "--speaker", help="Output device (number or name)."),
    realtime: bool = typer.Option(False, "--realtime", help="With --input: feed the file at speaking pace and answer while it plays on (barge-in), as a microphone would."),
    models: Path | None = typer.Option(None, "--models", help="models.toml to use (its speech table sets the engines)"),
) -> None:
    """Talk to Hearth: microphone (or --input WAV) -> voice activity -> transcript -> turn -> spoken reply.

    Utterances end on silence. With a wake word, say it first ("okay nabu, add milk to my shopping
    list"); saying it while Hearth speaks interrupts it. Ctrl-C stops listening.
    """
    _check_source(input, device)
    agent = build_agent(models)
    cfg, speech = _speech(agent.plugins, models, stt=True, tts=True)
    wake = _wake(wake_word, no_wake_word, input, cfg)
    heard = _Heard(as_json)

    async def main() -> int:
        sink: AudioSink | None = None
        try:
            # on the microphone the role models load in the background while the engines load and
            # Hearth listens (tier-1 requests need none); a file run loads a model only if a turn needs it
            await agent.start(load_model=False, prewarm=input is None)
            await _load_engines(speech, as_json)
            sink = _sink(output, input, realtime, speaker, speech.sample_rate)
            sid = session or Storage.new_session_id()
            agent.set_room(sid, cfg.voice.room)
            loop = VoiceLoop(agent, speech, cfg.voice, sink, session=sid, role=role,
                             emit=heard, wake=wake, overlap=input is None or realtime)
            if input is None:
                if not as_json:
                    err.print(f"[dim]listening{' for ' + escape(wake.name) if wake else ''}; Ctrl-C to stop[/]",
                              highlight=False)
                await run_microphone(loop, _device(device))
                return 0
            await run_file(loop, input, realtime=realtime)
            return _report_file(input, wake, heard)
        except HearthError as e:
            fail(str(e))
        finally:
            await _close(sink)
            await agent.stop()
        return 1

    try:
        code = asyncio.run(main())
    except KeyboardInterrupt:
        code = 130
    raise typer.Exit(code)


async def _close(sink: AudioSink | None) -> None:
    """Close the sink (a WAV file is written then); a failure to write is said, not raised."""
    try:
        if sink is not None:
            await sink.close()
    except AudioError as e:
        err.print(f"[bold red]error:[/] {escape(str(e))}", highlight=False)


def say(
    text: str = typer.Argument(..., help="What to say."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write a WAV file instead of playing it."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    speaker: str | None = typer.Option(None, "--speaker", help="Output device (number or name)."),
    models: Path | None = typer.Option(None, "--models", help="models.toml to use (its speech.tts table names the engine)"),
) -> None:
    """Speak text with the TTS engine that models.toml's speech.tts table names, to the speaker or a WAV file."""
    if not text.strip():
        fail('the text is empty; say what to speak, e.g. hearth say "hello"')
    _, speech = _speech(load_plugins(), models, stt=False, tts=True)

    async def main() -> dict[str, Any]:
        await _load_engines(speech, as_json)
        sink = SpeakerSink(speaker) if output is None else None
        t0 = time.perf_counter()
        pcm, first = bytearray(), None
        async for chunk in speech.synthesize(text):
            first = first if first is not None else time.perf_counter() - t0
            if sink is not None:
                await sink.play(chunk, speech.sample_rate)
            pcm += chunk
        total = time.perf_counter() - t0
        if sink is not None:
            await sink.close()
        if output is not None:
            try:
                await asyncio.to_thread(write_wav, output, bytes(pcm), speech.sample_rate)
            except OSError as e:
                raise HearthError(f"cannot write {output}: {e.strerror or e}", "audio_unwritable") from e
        seconds = len(pcm) / 2 / speech.sample_rate
        return {"output": str(output) if output else None, "rate": speech.sample_rate, "audio_s": round(seconds, 3),
                "first_audio_ms": round((first or total) * 1000, 1), "synth_ms": round(total * 1000, 1)}

    try:
        result = asyncio.run(main())
    except HearthError as e:
        fail(str(e))
    if as_json:
        print(json.dumps(result))
    elif output is not None:
        out.print(f"wrote {result['audio_s']:.2f} s to {output}", highlight=False)


def transcribe(
    wav: Path = typer.Argument(..., help="A WAV file (any rate or channel count; resampled to 16 kHz mono)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    models: Path | None = typer.Option(None, "--models", help="models.toml to use (its speech.stt table names the engine)"),
) -> None:
    """Print the words in a WAV file, with the STT engine that models.toml's speech.stt table names."""
    _, speech = _speech(load_plugins(), models, stt=True, tts=False)

    async def main() -> dict[str, Any]:
        pcm = await asyncio.to_thread(read_wav, wav)
        await _load_engines(speech, as_json)
        t0 = time.perf_counter()
        text = await speech.transcribe(pcm, RATE)
        return {"text": text, "audio_s": round(len(pcm) / 2 / RATE, 3), "stt_ms": round((time.perf_counter() - t0) * 1000, 1)}

    try:
        result = asyncio.run(main())
    except HearthError as e:
        fail(str(e))
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
    elif result["text"]:
        out.print(result["text"], highlight=False, markup=False)
    if not result["text"]:
        err.print(f"[yellow]heard no words in {wav}[/]", highlight=False)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``hearth listen``, ``hearth say`` and ``hearth transcribe`` to the ``hearth`` app."""
    app.command()(listen)
    app.command()(say)
    app.command()(transcribe)
