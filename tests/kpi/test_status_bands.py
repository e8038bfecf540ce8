"""Every band edge of seed 000's traffic light, and the absolute thresholds."""

from __future__ import annotations

import pytest

from kpiwatch.kpi.status import overall, status_of


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (100.0, ("GREEN", 125.0)),
        (76.0, ("GREEN", 95.0)),  # exactly 95 % of the target
        (75.99, ("YELLOW", 95.0)),  # 94.99 %, shown rounded
        (64.0, ("YELLOW", 80.0)),  # exactly 80 %
        (63.99, ("RED", 80.0)),
        (0.0, ("RED", 0.0)),
    ],
)
def test_it_bands_higher_is_better(value: float, expected: tuple[str, float]) -> None:
    assert status_of("HIGHER_BETTER", 80.0, value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, ("GREEN", 100.0)),
        (4.0, ("GREEN", 100.0)),  # exactly the target
        (4.8, ("YELLOW", 83.3)),  # exactly 1.2 × target
        (4.81, ("RED", 83.2)),
        (8.0, ("RED", 50.0)),
    ],
)
def test_it_bands_lower_is_better(value: float, expected: tuple[str, float]) -> None:
    assert status_of("LOWER_BETTER", 4.0, value) == expected


def test_it_handles_a_target_of_zero() -> None:
    assert status_of("LOWER_BETTER", 0.0, 0.0) == ("GREEN", 100.0)
    assert status_of("LOWER_BETTER", 0.0, 3.0) == ("RED", 0.0)
    assert status_of("HIGHER_BETTER", 0.0, 0.0) == ("GREEN", 100.0)


def test_it_says_no_data_without_a_value() -> None:
    assert status_of("HIGHER_BETTER", 95.0, None) == ("NO_DATA", None)


def test_it_prefers_absolute_thresholds() -> None:
    # Higher is better, green from 99.9, yellow from 99.0; achievement stays value/target.
    assert status_of("HIGHER_BETTER", 99.9, 99.9, 99.9, 99.0) == ("GREEN", 100.0)
    assert status_of("HIGHER_BETTER", 99.9, 99.0, 99.9, 99.0) == ("YELLOW", 99.1)
    assert status_of("HIGHER_BETTER", 99.9, 98.9, 99.9, 99.0) == ("RED", 99.0)
    assert status_of("LOWER_BETTER", 10.0, 12.0, 15.0, 20.0) == ("GREEN", 83.3)
    assert status_of("LOWER_BETTER", 10.0, 20.0, 15.0, 20.0) == ("YELLOW", 50.0)
    assert status_of("LOWER_BETTER", 10.0, 20.5, 15.0, 20.0) == ("RED", 48.8)


def test_it_takes_the_worst_status_overall() -> None:
    assert overall(["GREEN", "NO_DATA", "YELLOW"]) == "YELLOW"
    assert overall(["GREEN", "RED"]) == "RED"
    assert overall(["NO_DATA"]) == "NO_DATA"
    assert overall([]) == "NO_DATA"
