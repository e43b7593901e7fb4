"""Summary statistics for timings (``hearth bench`` and the scripts in ``bench/``)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable


def percentile(values: Iterable[float], q: float) -> float:
    """The ``q`` quantile (0 to 1, in steps of 0.01: 0.5 is the median, 0.95 the p95) of ``values``,
    interpolated between the two nearest samples (``statistics.quantiles``, inclusive method).
    NaN for no values."""
    data = [float(v) for v in values]
    if not data:
        return math.nan
    if len(data) == 1 or q <= 0:
        return min(data)
    if q >= 1:
        return max(data)
    cut = round(q * 100)
    if not 1 <= cut <= 99 or not math.isclose(cut, q * 100):
        raise ValueError(f"percentile takes q in steps of 0.01, got {q}")
    return statistics.quantiles(data, n=100, method="inclusive")[cut - 1]
