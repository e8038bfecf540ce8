"""Time buckets of the rollups: UTC minutes and hours, and days in the tenant's time zone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

_FIXED = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1)}


def local_day_start(at: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant at which the local day containing ``at`` begins."""
    local = at.astimezone(tz)
    return datetime(local.year, local.month, local.day, tzinfo=tz).astimezone(UTC)


def bucket_start(grain: str, at: datetime, tz: ZoneInfo) -> datetime:
    if grain == "minute":
        return at.astimezone(UTC).replace(second=0, microsecond=0)
    if grain == "hour":
        return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return local_day_start(at, tz)


def next_bucket(grain: str, start: datetime, tz: ZoneInfo) -> datetime:
    if grain in _FIXED:
        return start + _FIXED[grain]
    local = start.astimezone(tz) + timedelta(days=1)
    return datetime(local.year, local.month, local.day, tzinfo=tz).astimezone(UTC)


def split(
    grain: str, start: datetime, end: datetime, tz: ZoneInfo
) -> Iterator[tuple[datetime, float]]:
    """Seconds of ``[start, end)`` falling in each bucket of ``grain``."""
    bucket = bucket_start(grain, start, tz)
    cursor = start
    while cursor < end:
        following = next_bucket(grain, bucket, tz)
        stop = min(following, end)
        yield bucket, (stop - cursor).total_seconds()
        bucket, cursor = following, stop
