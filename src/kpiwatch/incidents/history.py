"""Past incidents by day (PRD ``GET /api/incidents/past``), for the status page.

The last ``days`` tenant-local days, today first, are paged ``limit`` days at a time. An
incident belongs to the local day it was opened; a day without any says so with the
PRD's message.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.incidents.models import incidents
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
