"""Where the modules that plugins imported before the core was grouped into wings went, and the
load error that tells an old plugin so."""

from __future__ import annotations

# where the modules that plugins imported before the core was grouped into wings went (old -> new)
MOVED = {
    "hearth.turn": "hearth.agent", "hearth.stats": "hearth.cli.stats",
    "hearth.tool": "hearth.tooling.tool", "hearth.toolregistry": "hearth.tooling.registry",
    "hearth.toolrunner": "hearth.tooling.runner", "hearth.toolcalls": "hearth.tooling.calls",
    "hearth.server": "hearth.faces.server", "hearth.server_guard": "hearth.faces.guard",
    "hearth.server_hub": "hearth.faces.hub", "hearth.server_settings": "hearth.faces.settings",
    "hearth.server_ws": "hearth.faces.ws", "hearth.turn_gate": "hearth.faces.turn_gate",
    "hearth.openai_api": "hearth.faces.openai_api", "hearth.mcp_server": "hearth.faces.mcp_server",
    "hearth.wyoming": "hearth.faces.wyoming", "hearth.router": "hearth.turn.router",
    "hearth.dialogue": "hearth.turn.dialogue", "hearth.text": "hearth.turn.text",
    "hearth.voice": "hearth.voice.loop", "hearth.speech": "hearth.voice.speech",
    "hearth.sentences": "hearth.voice.sentences", "hearth.vad": "hearth.voice.vad",
    "hearth.wakeword": "hearth.voice.wakeword", "hearth.audio_sinks": "hearth.voice.sinks",
    "hearth.sound_devices": "hearth.voice.devices",
}


def moved_error(err: BaseException) -> str | None:
    """The load error for a plugin that imports a module the core moved, naming the new place."""
    name = getattr(err, "name", None) if isinstance(err, ImportError) else None
    old = next((o for o in MOVED if name and (name == o or name.startswith(o + "."))), None)
    if old is None:
        return None
    return (f"import failed: {old} moved to {MOVED[old]}; a plugin imports from hearth or hearth.kit only, "
            f"so import what it needs from there ({type(err).__name__}: {err})")
