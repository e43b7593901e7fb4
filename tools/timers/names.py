"""How timers are named: "the pizza timer" -> "pizza", and how a sentence calls one."""

from __future__ import annotations

import re

from .durations import spoken_duration
from .store import Timer


def clean_name(name: str | None) -> str | None:
    """Trim a timer name: "  Pizza " -> "Pizza", "the pizza timer" -> "pizza"; empty or "timer" -> None."""
    if name is None:
        return None
    n = re.sub(r"\s+", " ", str(name)).strip().strip(".!?,").strip()
    n = re.sub(r"^(?:the|my|a|an) ", "", n, flags=re.I)
    n = re.sub(r" timer$", "", n, flags=re.I).strip()
    if n.lower() in ("timer", "timers", "countdown"):  # "timer" copied from "set a timer" names nothing
        return None
    return n or None


def name_key(name: str | None) -> str | None:
    """The name folded for matching: "Pizza " -> "pizza"."""
    n = clean_name(name)
    return n.lower() if n else None


def label(row: Timer) -> str:
    """How a timer is called in a sentence: "pizza timer" or "5 minute timer"."""
    return f"{row.name} timer" if row.name else f"{spoken_duration(row.duration_s, adjective=True)} timer"


def cap(s: str) -> str:
    return s[:1].upper() + s[1:]
