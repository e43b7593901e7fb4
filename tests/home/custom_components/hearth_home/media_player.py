from __future__ import annotations

from homeassistant.components.media_player import (
    MediaPlayerEntity,
    MediaPlayerEntityFeature,
    MediaPlayerState,
    MediaType,
)

from . import devices
from .entity import HomeDevice

F = MediaPlayerEntityFeature
TRACKS = ["Morning Light", "Slow River", "Kitchen Radio", "Night Drive"]


async def async_setup_platform(hass, config, add, discovery_info=None) -> None:
    add([Player(d) for d in devices("media_player")])


class Player(HomeDevice, MediaPlayerEntity):
    _attr_supported_features = (F.PAUSE | F.PLAY | F.STOP | F.VOLUME_SET | F.VOLUME_MUTE | F.VOLUME_STEP
                                | F.NEXT_TRACK | F.PREVIOUS_TRACK | F.TURN_ON | F.TURN_OFF)
    _attr_media_content_type = MediaType.MUSIC

    def __init__(self, spec: dict) -> None:
        super().__init__(spec)
        self._attr_state = MediaPlayerState(spec.get("state") or "idle")
        self._attr_volume_level = 0.5
        self._attr_is_volume_muted = False
        self.track = 0

    @property
    def media_title(self) -> str:
        return TRACKS[self.track % len(TRACKS)]

    def _to(self, state: MediaPlayerState) -> None:
        self._attr_state = state
        self.changed()

    async def async_turn_on(self) -> None:
        self._to(MediaPlayerState.IDLE)

    async def async_turn_off(self) -> None:
        self._to(MediaPlayerState.OFF)

    async def async_media_play(self) -> None:
        self._to(MediaPlayerState.PLAYING)

    async def async_media_pause(self) -> None:
        self._to(MediaPlayerState.PAUSED)

    async def async_media_stop(self) -> None:
        self._to(MediaPlayerState.IDLE)

    async def async_media_next_track(self) -> None:
        self.track += 1
        self.changed()

    async def async_media_previous_track(self) -> None:
        self.track -= 1
        self.changed()

    async def async_set_volume_level(self, volume: float) -> None:
        self._attr_volume_level = volume
        self.changed()

    async def async_mute_volume(self, mute: bool) -> None:
        self._attr_is_volume_muted = mute
        self.changed()

    def set(self, state: str | None = None, volume: int | None = None, muted: bool | None = None, **_) -> None:
        if state is not None:
            self._attr_state = MediaPlayerState(state)
        if volume is not None:
            self._attr_volume_level = volume / 100
        if muted is not None:
            self._attr_is_volume_muted = muted
