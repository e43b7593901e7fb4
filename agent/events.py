"""Typed events of a turn, and the asyncio event bus that carries them.

Every event is a small frozen dataclass with a ``type`` and ``to_dict()``; that dict is
Hearth's wire format (the CLI's ``--json`` lines and the websocket frames). The wire ``type`` strings:
a turn's ``started``, ``routed``, ``text_delta``, ``tool_call``, ``tool_result``, ``finished``, ``failed``;
between turns ``countdown_started``, ``countdown_cancelled``, ``countdown_finished`` (each with its
``kind``, e.g. ``"timer"``) and ``announcement``; the voice loop's ``wake_word``, ``speech_started``,
``transcript``, ``barge_in``, ``voice_error``, ``voice_timings``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    type: ClassVar[str] = "event"
    session: str
    turn_id: str
    ts: float = field(default_factory=time.time, kw_only=True)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, **dataclasses.asdict(self)}


@dataclass(frozen=True)
class TurnStarted(Event):
    """A turn began: ``text`` is the user's message; ``model`` the model that answers."""

    type: ClassVar[str] = "started"
    text: str
    model: str


@dataclass(frozen=True)
class Routed(Event):
    """Which tier answers and why: 1 intent fast path (no model), 2 router model, 3 main model.

    ``reason`` is plain words ("template: add {item} to [my|the] shopping list", "short, one tool
    (shopping_list): router", "escalated: router produced no valid call"); ``model`` is None on tier 1.
    """

    type: ClassVar[str] = "routed"
    tier: int
    reason: str
    model: str | None = None


@dataclass(frozen=True)
class TextDelta(Event):
    """A piece of the reply text as the model streams it."""

    type: ClassVar[str] = "text_delta"
    text: str


@dataclass(frozen=True)
class ToolCalled(Event):
    """The model (or a fast path) asked for a tool; ``call_id`` ties it to its result."""

    type: ClassVar[str] = "tool_call"
    call_id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class ToolReturned(Event):
    """A tool finished: ``ok`` tells success; ``result`` is its JSON result or error."""

    type: ClassVar[str] = "tool_result"
    call_id: str
    name: str
    ok: bool
    result: Any
    error_code: str | None = None
    duration_ms: float = 0.0
    # for a write: the call that reverses it, ``{"name": ..., "arguments": {...}}`` (``ToolResult.undo``)
    undo: dict[str, Any] | None = None


@dataclass(frozen=True)
class TurnFinished(Event):
    """The turn ended; ``text`` is the whole reply as said to the user.

    ``timings`` is the turn's latency trace in milliseconds: ``route_ms``, ``load_ms`` (a model had
    to load), ``first_token_ms`` (from the request), ``tool_NAME_ms`` per call, ``total_ms``, and the
    backend's own figures (``prompt_tokens``, ``cached_tokens``, ``prompt_eval_ms``, ``model_ms``).
    """

    type: ClassVar[str] = "finished"
    text: str
    tool_calls: int = 0
    tier: int = 0
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class TurnFailed(Event):
    """The turn could not finish: ``message`` says why and what to do; ``code`` is stable."""

    type: ClassVar[str] = "failed"
    message: str
    code: str


# ---- countdowns and announcements: between turns, also when no turn is running ---------------------
# A countdown is anything a plugin sets that counts down and rings (a timer today; reminders and alarms
# later), told apart by ``kind``; ``id`` is the plugin's own id of it (unique within its kind) and
# ``session`` the session that set it (the finished event goes back there). Faces map them: Wyoming's
# timer events, the CLI's "... finished" line, the web page's message.


@dataclass(frozen=True, kw_only=True)
class CountdownStarted(Event):
    """A countdown was set (in ``session``): it rings ``duration_s`` seconds after ``ts``, at ``ends_at``."""

    type: ClassVar[str] = "countdown_started"
    kind: str
    id: int = 0
    name: str | None = None
    duration_s: int = 0
    ends_at: float = 0.0


@dataclass(frozen=True, kw_only=True)
class CountdownCancelled(Event):
    """A running countdown was cancelled (``session`` is the session that set it)."""

    type: ClassVar[str] = "countdown_cancelled"
    kind: str
    id: int = 0
    name: str | None = None


@dataclass(frozen=True, kw_only=True)
class CountdownFinished(Event):
    """A countdown reached its end: it rings. ``late_s`` is how long after its end it rang (more than a
    moment when it ended while Hearth was not running); ``say`` is the sentence to speak."""

    type: ClassVar[str] = "countdown_finished"
    kind: str
    id: int = 0
    name: str | None = None
    duration_s: int = 0
    late_s: float = 0.0
    say: str = ""


@dataclass(frozen=True, kw_only=True)
class Announcement(Event):
    """Something to say to people outside a turn: ``text``, in ``room`` (a satellite's name) when set,
    else to ``session`` when set, else everywhere Hearth speaks or shows messages."""

    type: ClassVar[str] = "announcement"
    session: str = ""
    turn_id: str = ""
    text: str
    room: str | None = None


@dataclass(frozen=True)
class Waiting(Event):
    """The dialogue waits for the person: the turn ended with ``question`` and the next turn is read
    as its answer. ``kind`` is ``"confirm"`` (a yes or no before a destructive call runs) or
    ``"argument"`` (the value of ``slot`` that ``tool`` needs). The voice loop keeps listening; the
    faces may show the question as one."""

    type: ClassVar[str] = "waiting"
    kind: str
    question: str
    tool: str | None = None
    slot: str | None = None


# ---- voice (hearth listen): one utterance heard, transcribed, answered and spoken ------------------
# ``turn_id`` of these is the voice turn's own id; ``VoiceTimings.reply_turn_id`` links the agent's turn.


@dataclass(frozen=True)
class WakeWordDetected(Event):
    """The wake word was heard; ``at_s`` is the position in the audio stream (seconds)."""

    type: ClassVar[str] = "wake_word"
    name: str
    at_s: float


@dataclass(frozen=True)
class SpeechStarted(Event):
    """Voice activity began at ``at_s`` seconds into the stream (while Hearth spoke: a barge-in)."""

    type: ClassVar[str] = "speech_started"
    at_s: float


@dataclass(frozen=True)
class Transcribed(Event):
    """An utterance ended on silence and was transcribed: ``text``, from ``start_s`` to ``end_s``
    of the stream, in ``stt_ms``."""

    type: ClassVar[str] = "transcript"
    text: str
    start_s: float
    end_s: float
    stt_ms: float


@dataclass(frozen=True)
class BargeIn(Event):
    """The person talked over Hearth: it stopped speaking after ``spoken_s`` seconds of its reply."""

    type: ClassVar[str] = "barge_in"
    spoken_s: float


@dataclass(frozen=True)
class VoiceFailed(Event):
    """One utterance could not be handled (``empty_utterance``, ``stt_failed``, ``tts_failed``...);
    the voice loop keeps listening. ``message`` says what happened and what to do."""

    type: ClassVar[str] = "voice_error"
    message: str
    code: str


@dataclass(frozen=True)
class VoiceTimings(Event):
    """A voice turn's latency, after its reply was spoken (milliseconds; ``*_s`` in seconds).

    ``stt_ms``: end of speech (the utterance closed on silence) to transcript;
    ``first_token_ms``: transcript to the reply's first text; ``first_audio_ms``: that first text
    to the first reply audio handed to the speaker; ``end_to_first_audio_ms``: end of speech to
    first audio (the three added up). The person waited ``silence_s`` more: the silence that ended
    the utterance. ``audio_in_s`` / ``audio_out_s``: lengths of the request and the reply.
    """

    type: ClassVar[str] = "voice_timings"
    reply_turn_id: str | None
    timings: dict[str, float] = field(default_factory=dict)


Subscriber = Callable[[Event], Awaitable[None] | None]


class EventBus:
    """Fan-out of events to subscribers; a failing subscriber is logged, never fatal."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        self._subscribers.append(fn)
        return lambda: self._subscribers.remove(fn) if fn in self._subscribers else None

    async def emit(self, event: Event) -> None:
        for fn in list(self._subscribers):
            try:
                result = fn(event)
                if asyncio.iscoroutine(result):
                    await result
            except Exception:  # a subscriber costs only itself
                log.exception("event subscriber %r failed on %s", fn, event.type)
