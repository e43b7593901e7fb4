"""A compact description of the exposed devices for model prompts (tiers 2 and 3, through the plugin's
``prompt_context`` hook): one line per area, ``- Study: Desk Lamp (light), Desk Fan (fan)``, within a
character budget. Live states are left to the ``HassGetState`` tool, so the prompt stays the same between
turns (and the model's prompt cache holds).
"""

from __future__ import annotations

from .registry import Home


def describe(home: Home, max_chars: int, room: str | None = None) -> str:
    """The devices of ``home`` in at most ``max_chars`` characters ("" when there are none): one line per
    area ("- Study: Desk Lamp (light), Desk Fan (fan)"), the speaker's ``room`` first, aliases in brackets."""
    if not home.entities or max_chars <= 0:
        return ""
    head = "Home Assistant devices by area, each with its kind; aliases in brackets:\n"
    by_area: dict[str, list[str]] = {}
    for e in sorted(home.entities.values(), key=lambda e: (e.domain, e.name)):
        area = home.areas[e.area_id].name if e.area_id in home.areas else "no area"
        alias = f" [{', '.join(e.aliases)}]" if e.aliases else ""
        by_area.setdefault(area, []).append(f"{e.name}{alias} ({e.domain.replace('_', ' ')})")
    here = home.area_named(room) if room else None
    order = sorted(by_area, key=lambda a: (here is None or a != here.name, a == "no area", a))
    out, left = head, sum(len(v) for v in by_area.values())
    for area in order:
        for i, device in enumerate(by_area[area]):
            piece = (f"- {area}: " if i == 0 else ", ") + device
            more = f"\n... and {left} more (ask HassGetState)"
            if len(out) + len(piece) + len(more) > max_chars:
                return (out.rstrip(", ") + more)[:max_chars]
            out += piece
            left -= 1
        out += "\n"
    return out.rstrip("\n")
