from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from kpiwatch.kpi.periods import period_of, periods

HOUR = timedelta(hours=1)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_it_makes_a_spring_day_23_hours_and_an_autumn_day_25_in_berlin() -> None:
    spring = periods("DAILY", date(2026, 3, 28), date(2026, 3, 30), "Europe/Berlin")
    assert spring == [
        (_utc("2026-03-27T23:00"), _utc("2026-03-28T23:00")),
        (_utc("2026-03-28T23:00"), _utc("2026-03-29T22:00")),
        (_utc("2026-03-29T22:00"), _utc("2026-03-30T22:00")),
    ]
    autumn = periods("DAILY", date(2026, 10, 24), date(2026, 10, 26), "Europe/Berlin")
    assert [end - start for start, end in autumn] == [24 * HOUR, 25 * HOUR, 24 * HOUR]


def test_it_lists_the_repeated_autumn_hour_twice() -> None:
    hours = periods("HOURLY", date(2026, 10, 25), date(2026, 10, 25), "Europe/Berlin")
    assert len(hours) == 25
    assert hours[0][0] == _utc("2026-10-24T22:00")
    assert hours[-1][1] == _utc("2026-10-25T23:00")
    spring = periods("HOURLY", date(2026, 3, 29), date(2026, 3, 29), "Europe/Berlin")
    assert len(spring) == 23


def test_it_starts_weeks_on_monday() -> None:
    # 2026-03-04 is a Wednesday; 2026-03-16 a Monday.
    weeks = periods("WEEKLY", date(2026, 3, 4), date(2026, 3, 16), "Asia/Seoul")
    assert [start for start, _ in weeks] == [
        _utc("2026-03-01T15:00"),
        _utc("2026-03-08T15:00"),
        _utc("2026-03-15T15:00"),
    ]
    assert all(end - start == 7 * 24 * HOUR for start, end in weeks)


def test_it_ends_months_at_local_midnight() -> None:
    months = periods("MONTHLY", date(2025, 12, 15), date(2026, 2, 1), "Asia/Seoul")
    assert months == [
        (_utc("2025-11-30T15:00"), _utc("2025-12-31T15:00")),
        (_utc("2025-12-31T15:00"), _utc("2026-01-31T15:00")),
        (_utc("2026-01-31T15:00"), _utc("2026-02-28T15:00")),
    ]


def test_it_starts_a_day_after_a_gap_at_midnight() -> None:
    # Chile skips 00:00-01:00 local on 2026-09-06: the day starts at 01:00 (-03:00).
    days = periods("DAILY", date(2026, 9, 6), date(2026, 9, 6), "America/Santiago")
    assert days == [(_utc("2026-09-06T04:00"), _utc("2026-09-07T03:00"))]


def test_it_finds_the_period_of_an_instant() -> None:
    assert period_of("MONTHLY", _utc("2026-01-31T15:30"), "Asia/Seoul") == (
        _utc("2026-01-31T15:00"),
        _utc("2026-02-28T15:00"),
    )
    assert period_of("HOURLY", _utc("2026-10-25T01:10"), "Europe/Berlin") == (
        _utc("2026-10-25T01:00"),
        _utc("2026-10-25T02:00"),
    )


def test_it_refuses_unknown_kinds_and_reversed_ranges() -> None:
    with pytest.raises(ValueError, match="unknown period 'YEARLY'"):
        periods("YEARLY", date(2026, 1, 1), date(2026, 1, 2), "UTC")
    with pytest.raises(ValueError, match="before"):
        periods("DAILY", date(2026, 1, 2), date(2026, 1, 1), "UTC")
