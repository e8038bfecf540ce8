"""KPI periods as UTC instants, computed in the tenant's time zone.

``periods(kind, first_day, last_day, tz)`` lists the ``(start_utc, end_utc)`` pairs of the
hours, days, ISO weeks (Monday to Monday) or months that cover the local dates
``first_day`` to ``last_day`` inclusive. Boundaries are local midnights (or local hour
starts) converted with ``zoneinfo``, so a day across a DST change lasts 23 or 25 hours
and a month ends at local midnight, not at UTC midnight. ``period_of()`` gives the period
holding an instant (the current period of a period-to-date refresh).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

KINDS = ("HOURLY", "DAILY", "WEEKLY", "MONTHLY")

Period = tuple[datetime, datetime]


def _zone(tz: str | ZoneInfo) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


def local_midnight(day: date, tz: str | ZoneInfo) -> datetime:
    """The UTC instant a local date starts (the first instant after a gap at midnight)."""
    return datetime.combine(day, time(0), tzinfo=_zone(tz)).astimezone(UTC)


def _first_day(kind: str, day: date) -> date:
    if kind == "WEEKLY":
        return day - timedelta(days=day.weekday())
    if kind == "MONTHLY":
        return day.replace(day=1)
    return day


def _next_day(kind: str, day: date) -> date:
    if kind == "WEEKLY":
        return day + timedelta(days=7)
    if kind == "MONTHLY":
        return date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return day + timedelta(days=1)


def periods(kind: str, first_day: date, last_day: date, tz: str | ZoneInfo) -> list[Period]:
    """The periods of ``kind`` covering ``first_day`` … ``last_day`` (local dates)."""
    if kind not in KINDS:
        raise ValueError(f"unknown period {kind!r}; expected one of {', '.join(KINDS)}")
    if last_day < first_day:
        raise ValueError("last_day is before first_day")
    zone = _zone(tz)
    if kind == "HOURLY":
        # Local hours are UTC hours from local midnight on (whole-hour offsets change by
        # whole hours), so the repeated hour of an autumn change is listed twice.
        start, stop = local_midnight(first_day, zone), local_midnight(last_day + timedelta(1), zone)
        count = int((stop - start) / timedelta(hours=1))
        return [(start + timedelta(hours=i), start + timedelta(hours=i + 1)) for i in range(count)]
    out: list[Period] = []
    day = _first_day(kind, first_day)
    while day <= last_day:
        following = _next_day(kind, day)
        out.append((local_midnight(day, zone), local_midnight(following, zone)))
        day = following
    return out


def period_of(kind: str, instant: datetime, tz: str | ZoneInfo) -> Period:
    """The period of ``kind`` that holds ``instant`` (an aware datetime)."""
    zone = _zone(tz)
    local = instant.astimezone(zone)
    for period in periods(kind, local.date(), local.date(), zone):
        if period[0] <= instant < period[1]:
            return period
    raise ValueError(f"no {kind} period holds {instant.isoformat()}")
