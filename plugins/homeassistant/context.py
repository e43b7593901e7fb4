"""A compact description of the exposed devices for model prompts (tiers 2 and 3): one line per device,
``name (area, domain)``, grouped by area, within a character budget. Live states are left to the
``HassGetState`` tool, so the prompt stays the same between turns (and the model's prompt cache holds).
"""

from __future__ import annotations

from typing import Any

from .registry import Home
from .state import HomeAssistantState


def describe(home: Home, max_chars: int) -> str:
    """The devices of ``home`` in at most ``max_chars`` characters ("" when there are none)."""
    if not home.entities or max_chars <= 0:
        return ""
    head = "Home Assistant devices (name: area, kind); aliases in brackets:\n"
    rows = []
    for e in sorted(home.entities.values(), key=lambda e: ((home.areas[e.area_id].name if e.area_id in home.areas
                                                             else "~"), e.domain, e.name)):
        area = home.areas[e.area_id].name if e.area_id in home.areas else "no area"
        alias = f" [{', '.join(e.aliases)}]" if e.aliases else ""
        rows.append(f"- {e.name}{alias}: {area}, {e.domain.replace('_', ' ')}")
    out = head
    for i, row in enumerate(rows):
        more = f"... and {len(rows) - i} more (ask HassGetState)"
        if len(out) + len(row) + 1 + len(more) > max_chars:
            out += more
            break
        out += row + "\n"
    return out.rstrip("\n") if len(out) <= max_chars else out[:max_chars]


def prompt_context(agent: Any, max_chars: int = 2000) -> str:
    """The devices ``agent``'s Home Assistant exposes, for the system prompt; "" when it is not connected."""
    connection = agent.state(HomeAssistantState).connection
    if connection is None or not connection.connected.is_set():
        return ""
    return describe(connection.home, max_chars)
