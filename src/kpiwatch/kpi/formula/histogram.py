"""Percentiles of a histogram field (``p95(latency of monitor_days)``).

A histogram field stores counts per fixed bucket (``<field>_le_<ms>`` columns: values up to
that bound, above the previous one; the last bucket is open). The aggregate keeps one part
per bucket, the bucket's count summed over the rows (``p95_1.le_50``, …, ``p95_1.le_inf``),
so it rolls up over services and periods like a sum; the percentile is read from the
summed counts.

Precision: the value is interpolated linearly inside the bucket that holds the rank
``q × total`` (as Prometheus' ``histogram_quantile``), from 0 for the first bucket. It is
exact when the values spread evenly within that bucket and off by at most the bucket's
width otherwise (with the watch buckets 50, 100, 200, 300, 500, 750, 1000, 1500, 2000,
3000, 5000, 7000, 10000 ms: at most 50 ms below 300 ms, 2,000 ms between 5 and 7 s). A rank
in the open last bucket answers its lower bound, the largest finite one (10,000 ms): "at
least that".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def bucket_names(bounds: Sequence[int]) -> tuple[str, ...]:
    """``le_<bound>`` per bucket, then ``le_inf``."""
    return (*(f"le_{b}" for b in bounds), "le_inf")


def part_keys(key: str, bounds: Sequence[int]) -> tuple[str, ...]:
    return tuple(f"{key}.{name}" for name in bucket_names(bounds))


def quantile(bounds: Sequence[int], counts: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0 < q ≤ 1) of bucket ``counts`` (one more than ``bounds``)."""
    total = sum(counts)
    if total <= 0:
        return None
    rank = q * total
    below = 0.0
    for i, count in enumerate(counts):
        if count > 0 and below + count >= rank:
            if i == len(bounds):
                return float(bounds[-1])
            lower = 0.0 if i == 0 else float(bounds[i - 1])
            return lower + (bounds[i] - lower) * (rank - below) / count
        below += count
    return float(bounds[-1])


def value(
    key: str, bounds: Sequence[int], q: float, parts: Mapping[str, float | int | None]
) -> float | None:
    """The percentile from an aggregate's parts (``None``: no data)."""
    counts = [parts.get(k) for k in part_keys(key, bounds)]
    if any(c is None for c in counts):
        return None
    return quantile(bounds, [float(c or 0) for c in counts], q)
