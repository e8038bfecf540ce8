"""Maintenance windows: while one is on, its services show "maintenance" and the time
counts neither as uptime nor as downtime."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core import audit
from kpiwatch.core.context import Caller
from kpiwatch.core.errors import InvalidInput, NotFound
from kpiwatch.status.models import maintenance_windows, services

COLUMNS = ("id", "title", "description", "service_ids", "starts_at", "ends_at")


class MaintenanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=10_000)
    service_ids: list[str] = Field(
        default_factory=list, description="Affected services; empty means all of them."
    )
    starts_at: AwareDatetime
    ends_at: AwareDatetime


async def _validate(conn: AsyncConnection, tenant_id: int, body: MaintenanceIn) -> None:
    if body.ends_at <= body.starts_at:
        raise InvalidInput.field(("body", "ends_at"), "must be after starts_at")
    if body.service_ids:
        known = set(
            (
                await conn.execute(
                    select(services.c.id).where(
                        services.c.tenant_id == tenant_id, services.c.id.in_(body.service_ids)
                    )
                )
            ).scalars()
        )
        for index, service_id in enumerate(body.service_ids):
            if service_id not in known:
                raise InvalidInput.field(
                    ("body", "service_ids", index), f"no service {service_id!r}"
                )


def _out(row: Any) -> dict[str, Any]:
    return {c: row._mapping[c] for c in COLUMNS}


async def get_window(conn: AsyncConnection, tenant_id: int, window_id: int) -> dict[str, Any]:
    row = (
        await conn.execute(
            select(maintenance_windows).where(
                maintenance_windows.c.id == window_id, maintenance_windows.c.tenant_id == tenant_id
            )
        )
    ).first()
    if row is None:
        raise NotFound(f"maintenance window {window_id} not found")
    return _out(row)


async def list_windows(
    conn: AsyncConnection, tenant_id: int, *, ending_after: datetime | None = None
) -> list[dict[str, Any]]:
    query = select(maintenance_windows).where(maintenance_windows.c.tenant_id == tenant_id)
    if ending_after is not None:
        query = query.where(maintenance_windows.c.ends_at > ending_after)
    rows = await conn.execute(query.order_by(maintenance_windows.c.starts_at.desc()).limit(500))
    return [_out(r) for r in rows]


def _values(body: MaintenanceIn) -> dict[str, Any]:
    return body.model_dump()


async def create_window(
    conn: AsyncConnection, caller: Caller, body: MaintenanceIn
) -> dict[str, Any]:
    await _validate(conn, caller.tenant_id, body)
    window_id = (
        await conn.execute(
            insert(maintenance_windows)
            .values(
                tenant_id=caller.tenant_id,
                created_at=caller.now,
                updated_at=caller.now,
                **_values(body),
            )
            .returning(maintenance_windows.c.id)
        )
    ).scalar_one()
    await audit.record(
        conn, caller, "maintenance.create", "maintenance", window_id, body.model_dump(mode="json")
    )
    return await get_window(conn, caller.tenant_id, window_id)


async def update_window(
    conn: AsyncConnection, caller: Caller, window_id: int, body: MaintenanceIn
) -> dict[str, Any]:
    await get_window(conn, caller.tenant_id, window_id)
    await _validate(conn, caller.tenant_id, body)
    await conn.execute(
        update(maintenance_windows)
        .where(maintenance_windows.c.id == window_id)
        .values(updated_at=caller.now, **_values(body))
    )
    await audit.record(
        conn, caller, "maintenance.update", "maintenance", window_id, body.model_dump(mode="json")
    )
    return await get_window(conn, caller.tenant_id, window_id)


async def delete_window(conn: AsyncConnection, caller: Caller, window_id: int) -> None:
    before = await get_window(conn, caller.tenant_id, window_id)
    await conn.execute(delete(maintenance_windows).where(maintenance_windows.c.id == window_id))
    await audit.record(
        conn, caller, "maintenance.delete", "maintenance", window_id, {"title": before["title"]}
    )


def covers(window: dict[str, Any], service_id: str, at: datetime) -> bool:
    ids = window["service_ids"] or []
    return (not ids or service_id in ids) and window["starts_at"] <= at < window["ends_at"]
