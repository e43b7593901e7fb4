"""One turn's identity and clock: its session, id, start time, stage timings and the tier it ends on.

The turn's steps (routing, the fast path, the model rounds) share it instead of passing five
arguments each; ``TurnFinished`` reports its timings and tier."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


def ms(t0: float) -> float:
    """Milliseconds since ``t0`` (a ``time.perf_counter()`` reading), to the microsecond."""
    return round((time.perf_counter() - t0) * 1000, 3)


@dataclass
class TurnClock:
    """Who the turn is for, which turn it is, when it began and what each stage took."""

    session: str
    turn_id: str
    t0: float = field(default_factory=time.perf_counter)
    timings: dict[str, float] = field(default_factory=dict)
    tier: int = 1

    def ms(self) -> float:
        """Milliseconds since the turn began."""
        return ms(self.t0)

    def add(self, key: str, value: float) -> None:
        """Add ``value`` to the timing ``key`` (summed over a turn's model rounds)."""
        self.timings[key] = round(self.timings.get(key, 0) + value, 3)
