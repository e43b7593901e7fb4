"""Timers: start, cancel and ask about named or unnamed timers, rung by the agent's scheduler.

``durations`` reads and says durations, ``names`` names timers, ``store`` is the timers table,
``tools`` the four tools, ``ha_slots`` maps Home Assistant's timer intents to them, ``phrasing``
understands timer requests in any slot order (tier 1, before the templates), and ``ringing``
sets each timer's job on the core scheduler (``agent.scheduler``) and announces it with a
:class:`hearth.CountdownFinished` event (``kind="timer"``) addressed to the session that set it.
"""

from __future__ import annotations

from typing import Any

from hearth import Agent, RegisterTool, hookimpl

from . import ringing
from .durations import MAX_DURATION_S, DurationError, parse_duration, spoken_duration
from .ha_slots import cancel_args, start_args, status_args
from .names import clean_name
from .phrasing import match_timer
from .tools import cancel_all_timers, cancel_timer, start_timer, timer_status

__version__ = "0.1.0"

__all__ = ["MAX_DURATION_S", "DurationError", "cancel_all_timers", "cancel_args", "cancel_timer", "clean_name",
           "parse_duration", "spoken_duration", "start_args", "start_timer", "status_args", "timer_status"]


@hookimpl
async def startup(agent: Agent) -> None:
    """Give every running timer (also those that ended while Hearth was off) its job."""
    await ringing.sweep(agent.scheduler, agent.storage, agent.emit)


@hookimpl
def match_intent(text: str) -> dict[str, Any] | None:
    """Timer requests as people phrase them: name before or after the duration, after "for the",
    durations in words, status questions, "cancel the tea one"."""
    return match_timer(text)


_SLOTS: dict[str, list[Any]] = {"duration": ["5 minutes", "1 hour", "30 seconds"], "name": ["pizza", "eggs", "tea"]}


@hookimpl
def register_tools(register: RegisterTool) -> None:
    register(start_timer, slot_values=_SLOTS, intents={"HassStartTimer": start_args}, examples=[
        "(set|start) a timer for {duration}", "(set|start) a {duration} timer",
        "(set|start) a {name} timer for {duration}", "(set|start) a timer (named|called) {name} for {duration}",
        "(set|start) a {duration} timer (named|called|for) {name}", "timer for {duration}"])
    register(cancel_timer, slot_values=_SLOTS, intents={"HassCancelTimer": cancel_args}, examples=[
        # "cancel the pizza timer" / "cancel the 5 minute timer" are left to Home Assistant's own
        # sentences, which tell a name from a duration; "{name} timer" here would take both as names
        "(cancel|stop) [the|my] timer", "(cancel|stop) [the|my] timer (named|called) {name}"])
    register(cancel_all_timers, intents={"HassCancelAllTimers": None}, examples=[
        "(cancel|stop) all [[of] (the|my)] timers", "(cancel|stop) every timer"])
    register(timer_status, slot_values=_SLOTS, intents={"HassTimerStatus": status_args}, examples=[
        "how much time is left [on [the|my] timer[s]]", "how long is left on [the|my] timer[s]",
        "how much time is left on [the|my] {name} timer", "how long is left on [the|my] {name} timer",
        "[what is the] timer[s] status", "status of [the|my] timer[s]"])
