"""``hearth wyoming``: Hearth as a Wyoming conversation agent, and the satellites it drives."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import typer

from hearth.cli.common import build_agent, fail, models_option
from hearth.errors import HearthError
from hearth.events import Event
from hearth.faces.wyoming import SatelliteLink, SatelliteSpec, parse_satellite, parse_uri, run_satellites, run_service
from hearth.voice.speech import Speech, load_speech_config


def wyoming(
    uri: str = typer.Option("tcp://127.0.0.1:10700", help="Where to listen: tcp://HOST:PORT (port 0: any free port, "
                            "printed) or unix://PATH."),
    satellite: list[str] = typer.Option([], "--satellite", help="Drive this satellite: NAME=tcp://HOST:PORT (repeat "
                                        "for each room)."),
    prewarm: bool = typer.Option(True, help="Load the role models in the background at start."),
    no_wake_word: bool = typer.Option(False, "--no-wake-word", help="Satellites that leave the wake word to Hearth: "
                                      "answer every utterance."),
    as_json: bool = typer.Option(False, "--json", help="Print satellites' voice events as JSON lines."),
    models: Path | None = models_option(),
) -> None:
    """Serve Hearth over Wyoming (Home Assistant's Wyoming integration uses it as a conversation
    agent), and drive Wyoming satellites, one conversation per room."""
    try:
        config = load_speech_config(models)
        specs = [SatelliteSpec(s.name, s.uri, s.room) for s in config.satellites] + [parse_satellite(v) for v in satellite]
    except (ValueError, HearthError) as e:
        fail(str(e))
    if len({s.name for s in specs}) != len(specs):
        fail("two satellites have the same name; each room needs its own (NAME=tcp://HOST:PORT)")
    parsed = parse_uri(uri)
    if parsed is None:
        fail(f"{uri!r} is not a Wyoming address; use tcp://HOST:PORT or unix://PATH")
    if parsed.scheme == "tcp" and parsed.port == 0:
        with socket.socket() as s:
            s.bind((parsed.hostname, 0))
            uri = f"tcp://{parsed.hostname}:{s.getsockname()[1]}"
    agent = build_agent(models)

    def on_state(link: SatelliteLink) -> None:
        print(f"satellite {link.spec.name} ({link.spec.uri}): {link.state}" + (f" - {link.error}" if link.error else ""),
              flush=True)

    async def on_voice(link: SatelliteLink, event: Event) -> None:
        if as_json:
            print(json.dumps({"satellite": link.spec.name, **event.to_dict()}, ensure_ascii=False, default=str),
                  flush=True)

    async def main() -> None:
        await agent.start(load_model=False, prewarm=prewarm)
        jobs = [run_service(agent, uri, ready=lambda: print(f"Hearth Wyoming service on {uri} - Ctrl-C stops",
                                                            flush=True))]
        if specs:
            try:
                speech = Speech.from_config(agent.plugins, config)
                await speech.load()
            except HearthError as e:
                fail(str(e))
            voice = config.voice.model_copy(update={"wake_word": ""}) if no_wake_word else config.voice
            jobs.append(run_satellites(agent, speech, voice, specs, on_state=on_state, emit=on_voice))
        try:
            await asyncio.gather(*jobs)
        finally:
            await agent.stop()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    except OSError as e:
        fail(f"cannot listen on {uri}: {e.strerror or e}")


def register(app: typer.Typer) -> None:
    """Add ``hearth wyoming`` to the ``hearth`` app."""
    app.command()(wyoming)
