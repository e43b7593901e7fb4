"""The clock: the time and the date, read from this machine's clock (never from a model).

Tier 1 answers Home Assistant's own sentences for ``HassGetCurrentTime`` and ``HassGetCurrentDate``
(home-assistant-intents) and the plugin's own, in ``sentences/<language>.yaml``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from hearth import ToolResult, hookimpl
from hearth.kit import RegisterSentences

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
    register(get_current_time, intents={"HassGetCurrentTime": None})
    register(get_current_date, intents={"HassGetCurrentDate": None})


@hookimpl
def register_sentences(register: RegisterSentences) -> None:
    """How people ask for the time and the date (``sentences/<language>.yaml``)."""
    register(Path(__file__).parent / "sentences")
