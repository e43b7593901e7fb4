"""The media-player tools, as Home Assistant's intents name them: pause, resume, next and previous track,
volume (to a level, or up and down), mute and unmute. A player is picked by name or area; when none is
said, the speaker's room's player, else the one that is playing (or paused, to resume): several of those
is a question, never all of them on a guess. Each action goes only to a player that supports it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hearth import ToolContext, ToolError, ToolResult

from .capabilities import able
from .registry import Entity
from .tools import HERE, _call_each, _described, _ready, _targets, connection

VOLUME_STEP = 10  # percent a bare "turn it up" moves the volume


async def _players(name: str | None, area: str | None, states: tuple[str, ...], ctx: ToolContext) -> list[Entity]:
    if area == HERE:  # "pause the music": the room's player, else the one playing
        area = None
    if name or area:
        return await _targets(name, area, "media_player", None, ctx)
    home = connection(ctx).require()
    players = [e for e in home.entities.values() if e.domain == "media_player"]
    here = home.area_named(ctx.room) if ctx.room else None
    if here is not None:
        mine = [e for e in players if e.area_id == here.area_id]
        busy = [e for e in mine if e.state in states]
        if busy or len(mine) == 1:
            return busy or mine
    busy = [e for e in players if e.state in states]
    if len(busy) == 1:
        return busy
    if not busy:
        raise ToolError("Which media player? Say its name or its room.", "name_missing")
    names = sorted(e.name for e in busy)
    raise ToolError(f"Which one: {', '.join(names[:-1])} or {names[-1]}?", "name_ambiguous")


async def _media(name: str | None, area: str | None, states: tuple[str, ...], what: str, service: str,
                 say: str | Callable[[list[Entity]], str], ctx: ToolContext,
                 data: Callable[[Entity], dict[str, Any]] | dict[str, Any] | None = None) -> ToolResult:
    """One media_player service on the players meant (those able to do ``what``)."""
    await _ready(ctx)
    entities = able(await _players(name, area, states, ctx), what)
    if callable(data):
        for e in entities:
            await connection(ctx).call_service("media_player", service, data(e), [e.entity_id])
    else:
        await _call_each(ctx, entities, lambda e: ("media_player", service), data)
    return ToolResult({"success": _described(entities)}, say=say(entities) if callable(say) else say)


PLAYING = ("playing",)
ANY = ("playing", "paused", "on", "idle")


async def HassMediaPause(name: str | None = None, area: str | None = None, *, ctx: ToolContext) -> ToolResult:
    """Pause a media player (the one playing when none is named).

    Args:
        name: The media player's name, e.g. "Living Room".
        area: The area, e.g. "Bedroom".
    """
    return await _media(name, area, PLAYING, "pause", "media_pause", "Paused", ctx)


async def HassMediaUnpause(name: str | None = None, area: str | None = None, *, ctx: ToolContext) -> ToolResult:
    """Resume a paused media player (the paused one when none is named).

    Args:
        name: The media player's name.
        area: The area.
    """
    return await _media(name, area, ("paused",), "play", "media_play", "Resumed", ctx)


async def HassMediaNext(name: str | None = None, area: str | None = None, *, ctx: ToolContext) -> ToolResult:
    """Skip to the next track on a media player.

    Args:
        name: The media player's name.
        area: The area.
    """
    return await _media(name, area, PLAYING, "next", "media_next_track", "Playing next", ctx)


async def HassMediaPrevious(name: str | None = None, area: str | None = None, *, ctx: ToolContext) -> ToolResult:
    """Go back to the previous track on a media player.

    Args:
        name: The media player's name.
        area: The area.
    """
    return await _media(name, area, PLAYING, "previous", "media_previous_track", "Playing previous", ctx)


async def HassSetVolume(volume_level: int, name: str | None = None, area: str | None = None, *, ctx: ToolContext) -> ToolResult:
    """Set the volume of a media player.

    Args:
        volume_level: Volume in percent, 0 to 100.
        name: The media player's name.
        area: The area.
    """
    if not 0 <= volume_level <= 100:
        raise ToolError("The volume is a percentage from 0 to 100", "ha_bad_value")
    return await _media(name, area, ANY, "volume", "volume_set", "Volume set", ctx, {"volume_level": volume_level / 100})


async def HassSetVolumeRelative(volume_step: str | int = "up", name: str | None = None, area: str | None = None,
                                *, ctx: ToolContext) -> ToolResult:
    """Turn a media player's volume up or down (by 10 percent, or by the percent said).

    Args:
        volume_step: "up", "down", or a change in percent (negative lowers it).
        name: The media player's name.
        area: The area.
    """
    step = str(volume_step).strip().lower()
    delta = VOLUME_STEP if step in ("up", "increase") else -VOLUME_STEP if step in ("down", "decrease") else None
    if delta is None:
        try:
            delta = int(float(step))
        except ValueError:
            raise ToolError("Say whether to turn the volume up or down", "volume_step_missing") from None

    def level(e: Entity) -> dict[str, Any]:
        now = float(e.attributes.get("volume_level") or 0)
        return {"volume_level": round(min(1.0, max(0.0, now + delta / 100)), 2)}

    return await _media(name, area, ANY, "volume", "volume_set", "Volume up" if delta > 0 else "Volume down", ctx, level)


async def HassMediaPlayerMute(name: str | None = None, area: str | None = None, *, ctx: ToolContext) -> ToolResult:
    """Mute a media player.

    Args:
        name: The media player's name.
        area: The area.
    """
    return await _media(name, area, ANY, "mute", "volume_mute", "Muted", ctx, {"is_volume_muted": True})


async def HassMediaPlayerUnmute(name: str | None = None, area: str | None = None, *, ctx: ToolContext) -> ToolResult:
    """Unmute a media player.

    Args:
        name: The media player's name.
        area: The area.
    """
    return await _media(name, area, ANY, "mute", "volume_mute", "Unmuted", ctx, {"is_volume_muted": False})


TOOLS = [HassMediaPause, HassMediaUnpause, HassMediaNext, HassMediaPrevious, HassSetVolume, HassSetVolumeRelative,
         HassMediaPlayerMute, HassMediaPlayerUnmute]
EXAMPLES: dict[str, list[str]] = {
    "HassMediaPause": ["pause [the] music"], "HassMediaUnpause": ["resume [the] music"],
    "HassMediaNext": ["next track", "skip [this] song"], "HassMediaPrevious": ["previous track"],
    "HassSetVolume": ["set [the] volume to {volume_level} percent"], "HassSetVolumeRelative": ["turn [the] volume up"],
    "HassMediaPlayerMute": ["mute [the] music"], "HassMediaPlayerUnmute": ["unmute [the] music"],
}
