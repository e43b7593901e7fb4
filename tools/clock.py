"""The clock: the time and the date, read from this machine's clock (never from a model).

Tier 1 answers Home Assistant's own sentences for ``HassGetCurrentTime`` and ``HassGetCurrentDate``
(home-assistant-intents) plus a few of our own.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hearth import ToolResult, hookimpl

__version__ = "0.1.0"


def _now() -> dt.datetime:
    return dt.datetime.now().astimezone()


def spoken_time(now: dt.datetime) -> str:
    """``14:05`` -> ``"2:05 PM"``."""
    hour = now.hour % 12 or 12
    return f"{hour}:{now.minute:02d} {'AM' if now.hour < 12 else 'PM'}"


def spoken_date(now: dt.datetime) -> str:
    """``2026-11-30`` -> ``"Monday, November 30, 2026"``."""
    return f"{now:%A}, {now:%B} {now.day}, {now.year}"


def get_current_time() -> ToolResult:
    """Tell the current time from this machine's clock."""
    now = _now()
    data: dict[str, Any] = {"time": now.strftime("%H:%M"), "iso": now.isoformat(timespec="seconds")}
    return ToolResult(data, say=f"It's {spoken_time(now)}.")


def get_current_date() -> ToolResult:
    """Tell today's date and weekday from this machine's clock."""
    now = _now()
    data: dict[str, Any] = {"date": now.date().isoformat(), "weekday": now.strftime("%A")}
    return ToolResult(data, say=f"Today is {spoken_date(now)}.")


@hookimpl
def register_tools(register):
    register(get_current_time, intents={"HassGetCurrentTime": None}, examples=[
        "what time is it [now|right now]", "(what's|whats|what is) the [current] time [now|right now]",
        "(tell|give) me the time", "do you (know|have) the time", "what's the time now"])
    register(get_current_date, intents={"HassGetCurrentDate": None}, examples=[
        "what day is (it|today) [today]", "(what's|whats|what is) (today's|the|todays) date [today]",
        "what is the date", "(tell|give) me [today's|the] date", "what day of the week is it", "what year is it",
        "what's today"])
