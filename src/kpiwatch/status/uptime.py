"""The public status, read from day rollups and monitor states only.

Uptime is by time: seconds observed up over seconds observed (maintenance and "no data"
excluded). A service's figures sum those of its monitors. Day codes (docs/status.md):
``nd`` nothing observed, ``m`` maintenance without downtime, ``o`` no downtime, ``po``
downtime with uptime ≥ ``MAJOR_OUTAGE_BELOW`` %, ``mo`` uptime below it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.status import maintenance
from kpiwatch.watch.models import check_rollups, monitor_state, monitors

MAJOR_OUTAGE_BELOW = 95.0
STATUS_DAYS = 90
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_OVERALL = {"major_outage": "outage", "partial_outage": "degraded", "degraded": "degraded"}


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


def iso(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


async def daily_figures(
    conn: AsyncConnection,
    tenant_id: int,
    tz: ZoneInfo,
    first: date,
    last: date,
    service_id: str | None = None,
) -> dict[str, dict[date, Figures]]:
    """Per service and local day in ``[first, last]``: seconds observed, down, in maintenance."""
    r, m = check_rollups.c, monitors.c
    query = (
        select(
            m.service_id,
            r.bucket_start,
            func.sum(r.observed_s),
            func.sum(r.downtime_s),
            func.sum(r.maintenance_s),
        )
        .join(monitors, m.id == r.monitor_id)
        .where(
            m.tenant_id == tenant_id,
            r.grain == "day",
            r.bucket_start >= day_start(first, tz),
            r.bucket_start < day_start(last + timedelta(days=1), tz),
        )
        .group_by(m.service_id, r.bucket_start)
    )
    if service_id is not None:
        query = query.where(m.service_id == service_id)
    out: dict[str, dict[date, Figures]] = defaultdict(dict)
    for sid, start, observed, down, maint in await conn.execute(query):
        day = start.astimezone(tz).date()
        figures = out[sid].setdefault(day, Figures())
        figures.add(Figures(float(observed or 0), float(down or 0), float(maint or 0)))
    return out


def service_status(states: list[str | None], under_maintenance: bool) -> str:
    """The worst of a service's monitors."""
    if under_maintenance:
        return "maintenance"
    known = [s for s in states if s is not None]
    if not known:
        return "no_data"
    if all(s == "maintenance" for s in known):
        return "maintenance"
    down = sum(1 for s in known if s == "down")
    if down and down == len(known):
        return "major_outage"
    if down:
        return "partial_outage"
    return "degraded" if "degraded" in known else "operational"


def overall_status(statuses: list[str]) -> str:
    found = {_OVERALL.get(s, "operational") for s in statuses}
    for level in ("outage", "degraded"):
        if level in found:
            return level
    return "operational"


async def current_states(
    conn: AsyncConnection, tenant_id: int
) -> tuple[dict[str, list[str | None]], datetime | None]:
    rows = await conn.execute(
        select(monitors.c.service_id, monitor_state.c.state, monitor_state.c.last_check_at)
        .outerjoin(monitor_state, monitor_state.c.monitor_id == monitors.c.id)
        .where(monitors.c.tenant_id == tenant_id, monitors.c.active.is_(True))
    )
    states: dict[str, list[str | None]] = defaultdict(list)
    latest: datetime | None = None
    for service_id, state, checked in rows:
        states[service_id].append(state)
        if checked is not None and (latest is None or checked > latest):
            latest = checked
    return states, latest


@dataclass
class ServiceRow:
    """One service on the status board: its status, 90-day total and each day's figures."""

    service: dict[str, Any]
    status: str
    total: Figures
    days: list[Figures]


@dataclass
class Board:
    overall: str
    last_updated: datetime | None
    days: list[date]
    services: list[ServiceRow]


async def status_board(
    conn: AsyncConnection,
    tenant_id: int,
    tz: ZoneInfo,
    now: datetime,
    services: list[dict[str, Any]],
) -> Board:
    """The public status of ``services`` over the last ``STATUS_DAYS`` local days."""
    today = now.astimezone(tz).date()
    first = today - timedelta(days=STATUS_DAYS - 1)
    figures = await daily_figures(conn, tenant_id, tz, first, today)
    states, latest = await current_states(conn, tenant_id)
    windows = await maintenance.list_windows(conn, tenant_id, ending_after=now)
    days = [first + timedelta(days=i) for i in range(STATUS_DAYS)]
    rows = []
    for service in services:
        per_day = figures.get(service["id"], {})
        total = Figures()
        for value in per_day.values():
            total.add(value)
        under = any(maintenance.covers(w, service["id"], now) for w in windows)
        status = service_status(states.get(service["id"], []), under)
        rows.append(ServiceRow(service, status, total, [per_day.get(d, Figures()) for d in days]))
    return Board(overall_status([r.status for r in rows]), latest, days, rows)


async def system_status(
    conn: AsyncConnection,
    tenant_id: int,
    tz: ZoneInfo,
    now: datetime,
    services: list[dict[str, Any]],
) -> dict[str, Any]:
    """``GET /api/system-status``: the PRD §5.1 shape."""
    board = await status_board(conn, tenant_id, tz, now, services)
    return {
        "overallStatus": board.overall,
        "lastUpdated": iso(board.last_updated),
        "services": [
            {
                "id": row.service["id"],
                "name": row.service["name"],
                "group": row.service["group"],
                "status": row.status,
                "uptime": row.total.uptime(),
                "uptimeData": [day.code() for day in row.days],
            }
            for row in board.services
        ],
    }


def _month_starts(first: date, count: int) -> list[date]:
    months, cursor = [], first.replace(day=1)
    for _ in range(count):
        months.append(cursor)
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    return months


async def uptime_months(
    conn: AsyncConnection,
    tenant_id: int,
    tz: ZoneInfo,
    now: datetime,
    service: dict[str, Any],
    months: int,
    start: date | None,
) -> dict[str, Any]:
    """``GET /api/uptime/{serviceId}``: whole months from ``start``'s month (default: the
    last ``months`` months up to the current one), oldest first."""
    today = now.astimezone(tz).date()
    if start is None:
        start = today.replace(day=1)
        for _ in range(months - 1):
            start = (start - timedelta(days=1)).replace(day=1)
    firsts = _month_starts(start, months)
    last = (firsts[-1] + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    service_id = None if service["id"] == "all-systems" else service["id"]
    figures = await daily_figures(conn, tenant_id, tz, firsts[0], last, service_id)
    per_day: dict[date, Figures] = defaultdict(Figures)
    for by_day in figures.values():
        for day, value in by_day.items():
            per_day[day].add(value)
    out = []
    for month_start in firsts:
        following = (month_start + timedelta(days=32)).replace(day=1)
        days = [month_start + timedelta(days=i) for i in range((following - month_start).days)]
        total = Figures()
        for day in days:
            total.add(per_day.get(day, Figures()))
        out.append(
            {
                "name": f"{MONTHS[month_start.month - 1]} {month_start.year}",
                "uptime": total.uptime(),
                "days": [per_day.get(d, Figures()).code() for d in days],
            }
        )
    return {"service": {"id": service["id"], "name": service["name"]}, "months": out}
