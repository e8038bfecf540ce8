"""Past incidents by day (PRD ``GET /api/incidents/past``), for the status page.

The last ``days`` tenant-local days, today first, are paged ``limit`` days at a time. An
incident belongs to the local day it was opened; a day without any says so with the
PRD's message. The status page's day bars list, per service, every incident that was
open during the day (``incidents_by_day``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.incidents.models import incident_services, incidents
from kpiwatch.incidents.queries import render_rows
from kpiwatch.status.uptime import day_start

NO_INCIDENT_MESSAGE = "특별한 문제가 없습니다."


async def past_incidents(
    conn: AsyncConnection,
    tenant_id: int,
    tz: ZoneInfo,
    now: datetime,
    *,
    days: int,
    page: int,
    limit: int,
) -> dict[str, Any]:
    today = now.astimezone(tz).date()
    first = (page - 1) * limit
    shown = [today - timedelta(days=i) for i in range(first, min(first + limit, days))]
    by_day: dict[date, list[dict[str, Any]]] = defaultdict(list)
    if shown:
        rows = await conn.execute(
            select(incidents)
            .where(
                incidents.c.tenant_id == tenant_id,
                incidents.c.created_at >= day_start(shown[-1], tz),
                incidents.c.created_at < day_start(shown[0] + timedelta(days=1), tz),
            )
            .order_by(incidents.c.created_at.desc(), incidents.c.id.desc())
        )
        listed = list(rows)
        rendered = await render_rows(conn, tenant_id, listed)
        for row, incident in zip(listed, rendered, strict=True):
            by_day[row.created_at.astimezone(tz).date()].append(incident)
    out = []
    for day in shown:
        found = by_day.get(day)
        entry: dict[str, Any] = {"date": day.isoformat(), "incidents": found or None}
        if not found:
            entry["noIncidentMessage"] = NO_INCIDENT_MESSAGE
        out.append(entry)
    pages = max(1, -(-days // limit))
    return {
        "days": out,
        "pagination": {
            "page": page,
            "limit": limit,
            "totalDays": days,
            "totalPages": pages,
            "hasNext": page < pages,
            "hasPrevious": page > 1,
        },
    }


@dataclass(frozen=True)
class DayIncident:
    """An incident as a day bar of the status page lists it."""

    id: str
    title: str
    status: str


async def incidents_by_day(
    conn: AsyncConnection, tenant_id: int, tz: ZoneInfo, first: date, last: date, now: datetime
) -> dict[str | None, dict[date, list[DayIncident]]]:
    """Per affected service (None: incidents naming no service, which concern them all)
    and local day in ``[first, last]``: the incidents open at some time of that day, oldest
    first. An incident still open counts up to ``now``'s day."""
    end = day_start(last + timedelta(days=1), tz)
    rows = list(
        await conn.execute(
            select(
                incidents.c.id,
                incidents.c.title,
                incidents.c.status,
                incidents.c.created_at,
                incidents.c.resolved_at,
            )
            .where(
                incidents.c.tenant_id == tenant_id,
                incidents.c.created_at < end,
                or_(
                    incidents.c.resolved_at.is_(None),
                    incidents.c.resolved_at >= day_start(first, tz),
                ),
            )
            .order_by(incidents.c.created_at, incidents.c.id)
        )
    )
    affected: dict[str, list[str | None]] = defaultdict(list)
    if rows:
        for incident_id, service_id in await conn.execute(
            select(incident_services.c.incident_id, incident_services.c.service_id).where(
                incident_services.c.tenant_id == tenant_id,
                incident_services.c.incident_id.in_([r.id for r in rows]),
            )
        ):
            affected[incident_id].append(service_id)
    out: dict[str | None, dict[date, list[DayIncident]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        shown = DayIncident(row.id, row.title, row.status)
        start = max(row.created_at.astimezone(tz).date(), first)
        stop = max(min((row.resolved_at or now).astimezone(tz).date(), last), start)
        for service_id in affected.get(row.id) or [None]:
            day = start
            while day <= stop:
                out[service_id][day].append(shown)
                day += timedelta(days=1)
    return out
