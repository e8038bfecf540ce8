"""The public status, read from day rollups and monitor states only.

Day figures, codes and the uptime rule are in ``figures`` (docs/status.md). The board of
``GET /api/system-status`` and the status page reads today and the current statuses on
every call and the days before today through ``cache.HistoryCache`` when given one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.status import maintenance
from kpiwatch.status.cache import HistoryCache, make
from kpiwatch.status.figures import MAJOR_OUTAGE_BELOW as MAJOR_OUTAGE_BELOW
from kpiwatch.status.figures import Figures as Figures
from kpiwatch.status.figures import daily_figures as daily_figures
from kpiwatch.status.figures import day_start as day_start
from kpiwatch.status.figures import iso as iso
from kpiwatch.watch.models import check_rollups, monitor_state, monitors

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


@dataclass(frozen=True)
class MonitorNow:
    """A monitor of the tenant as the board needs it: its state and today's figures."""

    id: int
    service_id: str
    active: bool
    state: str | None
    last_check_at: datetime | None
    today: Figures | None


async def monitors_now(
    conn: AsyncConnection, tenant_id: int, tz: ZoneInfo, today: date
) -> list[MonitorNow]:
    """Every monitor of the tenant with its state and its rollup of ``today``, one row each."""
    m, st, r = monitors.c, monitor_state.c, check_rollups.c
    start, end = day_start(today, tz), day_start(today + timedelta(days=1), tz)
    on_today = and_(
        r.monitor_id == m.id, r.grain == "day", r.bucket_start >= start, r.bucket_start < end
    )
    rows = await conn.execute(
        select(
            m.id,
            m.service_id,
            m.active,
            st.state,
            st.last_check_at,
            r.observed_s,
            r.downtime_s,
            r.maintenance_s,
        )
        .select_from(
            monitors.outerjoin(monitor_state, st.monitor_id == m.id).outerjoin(
                check_rollups, on_today
            )
        )
        .where(m.tenant_id == tenant_id)
        .order_by(m.id)
    )
    return [
        MonitorNow(
            mid,
            sid,
            bool(active),
            state,
            checked,
            None if observed is None else Figures(float(observed), float(down), float(maint)),
        )
        for mid, sid, active, state, checked, observed, down, maint in rows
    ]


@dataclass
class ServiceRow:
    """One service on the status board: its status, 90-day total and each day's figures
    (the days' ``Figures`` may be shared with other boards: read them, do not change them)."""

    service: dict[str, Any]
    status: str
    total: Figures
    days: list[Figures]
    codes: list[str]


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
    history: HistoryCache | None = None,
) -> Board:
    """The public status of ``services`` over the last ``STATUS_DAYS`` local days; the
    days before today come from ``history`` when given (else they are read now)."""
    today = now.astimezone(tz).date()
    found = await monitors_now(conn, tenant_id, tz, today)
    pairs = tuple((m.id, m.service_id) for m in found)
    past_days = STATUS_DAYS - 1
    if history is None:
        past = await make(conn, tenant_id, tz, today, past_days, pairs, 0.0)
    else:
        past = await history.get(conn, tenant_id, tz, today, past_days, pairs)
    windows = await maintenance.list_windows(conn, tenant_id, ending_after=now)
    states: dict[str, list[str | None]] = defaultdict(list)
    today_figures: dict[str, Figures] = defaultdict(Figures)
    latest: datetime | None = None
    for monitor in found:
        if monitor.today is not None:
            today_figures[monitor.service_id].add(monitor.today)
        if monitor.active:
            states[monitor.service_id].append(monitor.state)
            checked = monitor.last_check_at
            if checked is not None and (latest is None or checked > latest):
                latest = checked
    rows = []
    for service in services:
        sid = service["id"]
        days, codes, before = past.of(sid)
        now_figures = today_figures.get(sid, Figures())
        total = Figures()
        total.add(before)
        total.add(now_figures)
        under = any(maintenance.covers(w, sid, now) for w in windows)
        status = service_status(states.get(sid, []), under)
        rows.append(
            ServiceRow(service, status, total, [*days, now_figures], [*codes, now_figures.code()])
        )
    first = today - timedelta(days=past_days)
    dates = [first + timedelta(days=i) for i in range(STATUS_DAYS)]
    return Board(overall_status([r.status for r in rows]), latest, dates, rows)


async def system_status(
    conn: AsyncConnection,
    tenant_id: int,
    tz: ZoneInfo,
    now: datetime,
    services: list[dict[str, Any]],
    history: HistoryCache | None = None,
) -> dict[str, Any]:
    """``GET /api/system-status``: the PRD §5.1 shape."""
    board = await status_board(conn, tenant_id, tz, now, services, history)
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
                "uptimeData": row.codes,
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
