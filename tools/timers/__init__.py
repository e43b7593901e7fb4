"""Timers: start, cancel and ask about named or unnamed timers, rung by the agent's scheduler.

``durations`` reads and says durations, ``names`` names timers, ``store`` is the timers table,
``tools`` the four tools, ``ha_slots`` maps Home Assistant's timer intents to them,
``sentences/en.yaml`` says how people ask for timers (hassil templates the core compiles), and ``ringing``
sets each timer's job on the core scheduler (``agent.scheduler``) and announces it with a
:class:`hearth.CountdownFinished` event (``kind="timer"``) addressed to the session that set it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hearth import Agent, RegisterTool, hookimpl
from hearth.kit import RegisterSentences

from . import ringing
from .durations import MAX_DURATION_S, DurationError, parse_duration, spoken_duration
from .ha_slots import cancel_args, start_args, status_args
from .names import clean_name
from .tools import cancel_all_timers, cancel_timer, start_timer, timer_status

__version__ = "0.1.0"

__all__ = ["MAX_DURATION_S", "DurationError", "cancel_all_timers", "cancel_args", "cancel_timer", "clean_name",
           "parse_duration", "spoken_duration", "start_args", "start_timer", "status_args", "timer_status"]


@hookimpl
async def startup(agent: Agent) -> None:
    """Give every running timer (also those that ended while Hearth was off) its job."""
    await ringing.sweep(agent.scheduler, agent.storage, agent.emit)


@hookimpl
def register_sentences(register: RegisterSentences) -> None:
    """Timer requests as people phrase them (``sentences/<language>.yaml``): a name before or after
    the duration, durations in words, "another for 10 minutes", status questions, "cancel the tea one"."""
    register(Path(__file__).parent / "sentences")


_SLOTS: dict[str, list[Any]] = {"duration": ["5 minutes", "1 hour", "30 seconds"], "name": ["pizza", "eggs", "tea"]}


@hookimpl
def register_tools(register: RegisterTool) -> None:
    """The four timer tools. Their phrasing is the sentence file's (the models get its plainest
    sentences as examples); ``intents`` claims Home Assistant's timer intents as well."""
    register(start_timer, slot_values=_SLOTS, intents={"HassStartTimer": start_args})
    register(cancel_timer, slot_values=_SLOTS, intents={"HassCancelTimer": cancel_args})
    register(cancel_all_timers, destructive=True, intents={"HassCancelAllTimers": None})
    register(timer_status, slot_values=_SLOTS, intents={"HassTimerStatus": status_args})
