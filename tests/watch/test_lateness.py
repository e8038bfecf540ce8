"""The ring of check lateness samples and its percentiles."""

from __future__ import annotations

from kpiwatch.watch.lateness import Lateness


def test_it_answers_nearest_rank_percentiles_of_the_last_samples() -> None:
    ring = Lateness(size=100)
    assert ring.percentile(50) is None
    for ms in range(1, 201):  # only 101..200 stay in a ring of 100
        ring.add(ms / 1000)
    assert ring.count == 200
    assert ring.percentile(50) == 0.150
    assert ring.percentile(99) == 0.199
    assert ring.percentile(100) == 0.200
