"""Reading incidents: one, a filtered page, and the JSON shape the API and events share.

Timestamps are ISO 8601 UTC strings (``2026-03-02T09:00:00Z``) so that the same dict goes
out over REST and Socket.IO. Comments are for signed-in users only; the public (status
page) sees incidents with their updates.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core.errors import NotFound
from kpiwatch.incidents.models import (
    incident_comments,
    incident_services,
    incident_updates,
    incidents,
)
from kpiwatch.incidents.workflow import duration_text
from kpiwatch.status.uptime import iso

INCIDENT_FIELDS = (
    "id",
    "title",
    "description",
    "status",
    "severity",
    "priority",
    "priority_rule",
    "priority_inputs",
    "reporter",
    "detection_criteria",
    "automatic",
    "version",
)


@dataclass(frozen=True)
class Filters:
    statuses: list[str]
    priorities: list[str]
    severities: list[str]
    service: str | None = None
    start: datetime | None = None
    end: datetime | None = None


def render_update(row: Any) -> dict[str, Any]:
    m = row._mapping
    return {
        "id": m["id"],
        "incident_id": m["incident_id"],
        "status": m["status"],
        "previous_status": m["previous_status"],
        "description": m["description"],
        "author": m["author"],
        "created_at": iso(m["created_at"]),
    }


def render_comment(row: Any) -> dict[str, Any]:
    """The PRD's comment shape (§5.2 ``incident-comment``)."""
    m = row._mapping
    return {
        "id": m["id"],
        "incident_id": m["incident_id"],
        "userId": None if m["user_id"] is None else str(m["user_id"]),
        "userName": m["author"],
        "message": m["message"],
        "timestamp": iso(m["created_at"]),
    }


def render_incident(row: Any, services: list[str], updates: list[dict[str, Any]]) -> dict[str, Any]:
    m = row._mapping
    out = {field: m[field] for field in INCIDENT_FIELDS}
    out.update(
        affected_services=services,
        created_at=iso(m["created_at"]),
        updated_at=iso(m["updated_at"]),
        resolved_at=iso(m["resolved_at"]),
        resolution_time_s=m["resolution_s"],
        resolution_time=duration_text(m["resolution_s"]),
        updates=updates,
    )
    return out


async def _services_of(
    conn: AsyncConnection, tenant_id: int, ids: list[str]
) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    rows = await conn.execute(
        select(incident_services.c.incident_id, incident_services.c.service_id)
        .where(incident_services.c.tenant_id == tenant_id, incident_services.c.incident_id.in_(ids))
        .order_by(incident_services.c.incident_id, incident_services.c.position)
    )
    for incident_id, service_id in rows:
        out[incident_id].append(service_id)
    return out


async def _updates_of(
    conn: AsyncConnection, tenant_id: int, ids: list[str]
) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    rows = await conn.execute(
        select(incident_updates)
        .where(incident_updates.c.tenant_id == tenant_id, incident_updates.c.incident_id.in_(ids))
        .order_by(incident_updates.c.created_at, incident_updates.c.seq)
    )
    for row in rows:
        out[row.incident_id].append(render_update(row))
    return out


async def render_rows(
    conn: AsyncConnection, tenant_id: int, rows: list[Any]
) -> list[dict[str, Any]]:
    """Incidents of ``rows`` with their services and updates (two queries for all)."""
    ids = [r.id for r in rows]
    if not ids:
        return []
    services = await _services_of(conn, tenant_id, ids)
    updates = await _updates_of(conn, tenant_id, ids)
    return [render_incident(r, services[r.id], updates[r.id]) for r in rows]


def incident_row(tenant_id: int, incident_id: str) -> Select[Any]:
    return select(incidents).where(
        incidents.c.tenant_id == tenant_id, incidents.c.id == incident_id
    )


async def get_incident(conn: AsyncConnection, tenant_id: int, incident_id: str) -> dict[str, Any]:
    row = (await conn.execute(incident_row(tenant_id, incident_id))).first()
    if row is None:
        raise NotFound(f"incident {incident_id!r} not found")
    [incident] = await render_rows(conn, tenant_id, [row])
    return incident


async def comments_of(
    conn: AsyncConnection, tenant_id: int, incident_id: str
) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(incident_comments)
        .where(
            incident_comments.c.tenant_id == tenant_id,
            incident_comments.c.incident_id == incident_id,
        )
        .order_by(incident_comments.c.created_at, incident_comments.c.seq)
    )
    return [render_comment(r) for r in rows]


def timeline(updates: list[dict[str, Any]], comments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Updates and comments in the order they happened (updates first at equal times)."""
    entries = [(u["created_at"], 0, i, {"type": "update", **u}) for i, u in enumerate(updates)]
    entries += [(c["timestamp"], 1, i, {"type": "comment", **c}) for i, c in enumerate(comments)]
    return [entry for *_, entry in sorted(entries, key=lambda e: e[:3])]


def _where(tenant_id: int, filters: Filters) -> list[Any]:
    where: list[Any] = [incidents.c.tenant_id == tenant_id]
    if filters.statuses:
        where.append(incidents.c.status.in_(filters.statuses))
    if filters.priorities:
        where.append(incidents.c.priority.in_(filters.priorities))
    if filters.severities:
        where.append(incidents.c.severity.in_(filters.severities))
    if filters.service:
        where.append(
            exists().where(
                and_(
                    incident_services.c.tenant_id == incidents.c.tenant_id,
                    incident_services.c.incident_id == incidents.c.id,
                    incident_services.c.service_id == filters.service,
                )
            )
        )
    if filters.start:
        where.append(incidents.c.created_at >= filters.start)
    if filters.end:
        where.append(incidents.c.created_at < filters.end)
    return where


async def list_incidents(
    conn: AsyncConnection, tenant_id: int, filters: Filters, page: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """A page of incidents, newest first, and how many match in all."""
    where = _where(tenant_id, filters)
    total = (
        await conn.execute(select(func.count()).select_from(incidents).where(*where))
    ).scalar_one()
    rows = await conn.execute(
        select(incidents)
        .where(*where)
        .order_by(incidents.c.created_at.desc(), incidents.c.id.desc())
        .limit(limit)
        .offset((page - 1) * limit)
    )
    return await render_rows(conn, tenant_id, list(rows)), int(total)
