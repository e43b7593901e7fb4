"""Fan speed (Home Assistant's ``HassFanSetSpeed``): a percentage, or a word for one ("half", "full",
"low"), set only on a fan that has speeds; a fan without them is refused, never another device changed."""

from __future__ import annotations

from hearth import ToolContext, ToolError, ToolResult

from .capabilities import able
from .tools import _call_each, _described, _ready, _targets

SPEED_WORDS = {"off": 0, "low": 33, "slow": 33, "medium": 66, "mid": 66, "half": 50, "high": 100, "full": 100,
               "max": 100, "maximum": 100, "top": 100, "fast": 100}


def _percentage(value: int | str) -> int:
    if isinstance(value, str):
        word = value.strip().lower().rstrip("%").replace("percent", "").strip()
        if word in SPEED_WORDS:
            return SPEED_WORDS[word]
        try:
            value = int(float(word))
        except ValueError:
            raise ToolError(f"Say a fan speed in percent, not {value!r}", "percentage_missing") from None
    if not 0 <= value <= 100:
        raise ToolError("A fan speed is a percentage from 0 to 100", "ha_bad_value")
    return int(value)


async def HassFanSetSpeed(percentage: int | str, name: str | None = None, area: str | None = None, *,
                          ctx: ToolContext) -> ToolResult:
    """Set a fan's speed.

    Args:
        percentage: The speed in percent, 0 to 100 (or "low", "medium", "high", "half", "full").
        name: The fan's name, e.g. "Desk Fan".
        area: The area whose fan to set, e.g. "Study".
    """
    await _ready(ctx)
    speed = _percentage(percentage)
    entities = able(await _targets(name, area, "fan", None, ctx), "speed")
    await _call_each(ctx, entities, lambda e: ("fan", "set_percentage"), {"percentage": speed})
    return ToolResult({"success": _described(entities)}, say=f"Fan speed set to {speed} percent")


TOOLS = [HassFanSetSpeed]
EXAMPLES: dict[str, list[str]] = {"HassFanSetSpeed": ["set [the] {name} speed to {percentage} percent"]}
