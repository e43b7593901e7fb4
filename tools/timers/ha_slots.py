"""Home Assistant's timer intents: their slots -> the timer tools' arguments."""

from __future__ import annotations

import math
from typing import Any

from .durations import plural
from .names import clean_name


def _slot_number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    n = float(value)
    if n < 0:
        raise ValueError(f"a negative duration part: {value!r}")
    return n


def _duration_from_slots(slots: dict[str, Any], prefix: str = "") -> str | None:
    """``{"hours": 1, "minutes": 15}`` -> "1 hour 15 minutes" (None when no part is given)."""
    total = 0.0
    found = False
    for unit, factor in (("hours", 3600), ("minutes", 60), ("seconds", 1)):
        value = slots.get(prefix + unit)
        if value is None or value == "":
            continue
        total += _slot_number(value) * factor
        found = True
    if not found:
        return None
    whole = int(math.floor(total + 0.5))
    h, rest = divmod(whole, 3600)
    m, sec = divmod(rest, 60)
    text = " ".join(plural(n, w) for n, w in ((h, "hour"), (m, "minute"), (sec, "second")) if n)
    return text or "0 seconds"


def _name_from_slots(slots: dict[str, Any], area_is_name: bool) -> str | None:
    name = clean_name(slots.get("name")) if isinstance(slots.get("name"), str) else None
    if name is None and area_is_name and isinstance(slots.get("area"), str):
        # Hearth has no areas: "cancel the kitchen timer" means the timer named kitchen
        name = clean_name(slots["area"])
        name = name.lower() if name else None
    return name


def _drop_none(args: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in args.items() if v is not None}


def start_args(slots: dict[str, Any]) -> dict[str, Any]:
    """HassStartTimer slots -> ``start_timer`` arguments.

    ``hours``/``minutes``/``seconds`` add up to the duration ("half an hour" arrives as minutes=30),
    ``name`` is trimmed, ``area`` is ignored. A ``conversation_command`` ("turn off the oven in 5
    minutes") is refused with ValueError: Hearth does not run a command when a timer ends, so the
    request goes to a model rather than silently becoming a plain timer.
    """
    if str(slots.get("conversation_command") or "").strip():
        raise ValueError("a timer that runs a command when it ends is not supported")
    duration = _duration_from_slots(slots)
    if duration is None:
        raise ValueError("HassStartTimer gave no hours, minutes or seconds")
    return _drop_none({"duration": duration, "name": _name_from_slots(slots, area_is_name=False)})


def cancel_args(slots: dict[str, Any]) -> dict[str, Any]:
    """HassCancelTimer slots -> ``cancel_timer`` arguments: ``start_hours``/``start_minutes``/
    ``start_seconds`` become the duration, ``name`` is trimmed, and an ``area`` (without a name)
    becomes the name in lower case, as Hearth has no areas."""
    return _drop_none({"name": _name_from_slots(slots, area_is_name=True),
                       "duration": _duration_from_slots(slots, prefix="start_")})


def status_args(slots: dict[str, Any]) -> dict[str, Any]:
    """HassTimerStatus slots -> ``timer_status`` arguments: ``name`` (or an ``area``, as for
    cancelling). ``timer_status`` takes no duration, so ``start_*`` slots are ignored."""
    return _drop_none({"name": _name_from_slots(slots, area_is_name=True)})

