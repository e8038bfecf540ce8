"""Summary statistics of a KPI series, for ``POST /api/kpi/statistics/batch``.

A *sample* is a period of the range with a value; a *missing* period is one without
(no counter rows, only suspect rows, or a zero denominator). ``mean``, ``min``, ``max``
and ``p95`` are over the samples (``p95`` interpolated between the two nearest samples,
as PostgreSQL's ``percentile_cont`` and NumPy's default do). ``overall`` is different:
the KPI over the whole range recomputed from the summed parts (Σnumerator/Σdenominator),
the figure to compare with a daily or monthly value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from kpiwatch.kpi.formula import Formula


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The ``fraction`` percentile of ``values`` with linear interpolation (None if empty)."""
    if not values:
        return None
    ordered = sorted(values)
    h = fraction * (len(ordered) - 1)
    low = math.floor(h)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (h - low) * (ordered[high] - ordered[low])


def summary(
    formula: Formula,
    values: Sequence[float | None],
    parts: Sequence[dict[str, float | int | None]],
) -> dict[str, Any]:
    """Statistics of one series: its period values and their parts, in period order."""
    samples = [v for v in values if v is not None]
    combined = formula.combine(parts) if parts else dict.fromkeys(formula.part_keys)
    return {
        "periods": len(values),
        "samples": len(samples),
        "missing_periods": len(values) - len(samples),
        "mean": sum(samples) / len(samples) if samples else None,
        "min": min(samples) if samples else None,
        "max": max(samples) if samples else None,
        "p95": percentile(samples, 0.95),
        "overall": formula.value(combined),
        "parts": combined,
    }
