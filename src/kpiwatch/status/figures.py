"""A day's (or a span's) figures from the day rollups, and the rule that turns them into a
code: ``nd`` nothing observed, ``m`` maintenance without downtime, ``o`` no downtime,
``po`` downtime with uptime ≥ ``MAJOR_OUTAGE_BELOW`` %, ``mo`` uptime below it.

Uptime is by time: seconds observed up over seconds observed (maintenance and "no data"
excluded). A service's figures sum those of its monitors.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, column, func, select, values
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core.db import UTCDateTime
from kpiwatch.watch.models import check_rollups, monitors

MAJOR_OUTAGE_BELOW = 95.0


@dataclass
class Figures:
    observed_s: float = 0.0
    downtime_s: float = 0.0
    maintenance_s: float = 0.0

    def add(self, other: Figures) -> None:
        self.observed_s += other.observed_s
        self.downtime_s += other.downtime_s
        self.maintenance_s += other.maintenance_s

    def uptime(self) -> str | None:
        """Percent up with two decimals, rounded down (any downtime shows below 100.00)."""
        if self.observed_s <= 0:
            return None
        percent = (self.observed_s - self.downtime_s) / self.observed_s * 100
        return f"{math.floor(percent * 100 + 1e-6) / 100:.2f}"

    def code(self) -> str:
        if self.downtime_s > 0:
            percent = (self.observed_s - self.downtime_s) / self.observed_s * 100
            return "mo" if percent < MAJOR_OUTAGE_BELOW else "po"
        if self.maintenance_s > 0:
            return "m"
        return "o" if self.observed_s > 0 else "nd"


def total(figures: list[Figures | None]) -> Figures:
    out = Figures()
    for day in figures:
        if day is not None:
            out.add(day)
    return out


def iso(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


async def days_by_service(
    conn: AsyncConnection,
    tenant_id: int,
    tz: ZoneInfo,
    first: date,
    last: date,
    service_id: str | None = None,
) -> dict[str, list[Figures | None]]:
    """Per service, one entry per local day of ``[first, last]`` (oldest first): the day's
    ``Figures``, or None for a day without a rollup.

    The days are a small VALUES table joined to the rollups on their start, so rows come
    back with the day's index: no timestamp is converted per row (a 90-day board of 50
    services is 4,500 rows, and converting them was most of its cost). A day rollup starts
    at the local midnight of the tenant's time zone when it was written; one written under
    an earlier time zone of the tenant is not matched.
    """
    count = (last - first).days + 1
    starts = [day_start(first + timedelta(days=i), tz) for i in range(count + 1)]
    days = (
        values(column("idx", Integer), column("start_utc", UTCDateTime), name="days")
        .data([(i, starts[i]) for i in range(count)])
        .cte("days")
    )
    r, m = check_rollups.c, monitors.c
    query = (
        select(
            m.service_id,
            days.c.idx,
            func.sum(r.observed_s),
            func.sum(r.downtime_s),
            func.sum(r.maintenance_s),
        )
        .select_from(monitors)
        .join(check_rollups, r.monitor_id == m.id)
        .join(days, r.bucket_start == days.c.start_utc)
        .where(
            m.tenant_id == tenant_id,
            r.grain == "day",
            r.bucket_start >= starts[0],
            r.bucket_start < starts[-1],
        )
        .group_by(m.service_id, days.c.idx)
    )
    if service_id is not None:
        query = query.where(m.service_id == service_id)
    out: dict[str, list[Figures | None]] = {}
    for sid, idx, observed, down, maint in await conn.execute(query):
        per_day = out.get(sid)
        if per_day is None:
            per_day = out[sid] = [None] * count
        per_day[idx] = Figures(float(observed or 0), float(down or 0), float(maint or 0))
    return out


async def daily_figures(
    conn: AsyncConnection,
    tenant_id: int,
    tz: ZoneInfo,
    first: date,
    last: date,
    service_id: str | None = None,
) -> dict[str, dict[date, Figures]]:
    """Per service and local day in ``[first, last]``: seconds observed, down, in
    maintenance (only the days with a rollup)."""
    found = await days_by_service(conn, tenant_id, tz, first, last, service_id)
    out: dict[str, dict[date, Figures]] = defaultdict(dict)
    for sid, per_day in found.items():
        for i, figures in enumerate(per_day):
            if figures is not None:
                out[sid][first + timedelta(days=i)] = figures
    return out
