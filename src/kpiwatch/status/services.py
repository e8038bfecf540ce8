"""Services of a tenant: the PRD's ``services`` table plus a display group and order."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core import audit
from kpiwatch.core.context import Caller
from kpiwatch.core.errors import Conflict, InvalidInput, NotFound
from kpiwatch.status.models import services

SLUG = r"^[a-z0-9][a-z0-9-]{0,49}$"
ALL_SYSTEMS = {"id": "all-systems", "name": "All Systems"}
COLUMNS = ("id", "name", "description", "endpoint_url", "group", "order")


class ServiceFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    description: str | None = Field(None, max_length=10_000)
    endpoint_url: str | None = Field(None, max_length=255)
    group: str | None = Field(None, max_length=100)
    order: int = Field(0, ge=-1_000_000, le=1_000_000)


class ServiceIn(ServiceFields):
    id: str = Field(pattern=SLUG)


def _out(row: Any) -> dict[str, Any]:
    return {c: row._mapping[c] for c in COLUMNS}


def _ordered() -> Any:
    return select(*(services.c[c] for c in COLUMNS)).order_by(
        services.c.group.is_(None), services.c.group, services.c["order"], services.c.name
    )


async def list_services(conn: AsyncConnection, tenant_id: int) -> list[dict[str, Any]]:
    rows = await conn.execute(_ordered().where(services.c.tenant_id == tenant_id))
    return [_out(r) for r in rows]


async def get_service(conn: AsyncConnection, tenant_id: int, service_id: str) -> dict[str, Any]:
    row = (
        await conn.execute(
            _ordered().where(services.c.tenant_id == tenant_id, services.c.id == service_id)
        )
    ).first()
    if row is None:
        raise NotFound(f"service {service_id!r} not found")
    return _out(row)


async def create_service(conn: AsyncConnection, caller: Caller, body: ServiceIn) -> dict[str, Any]:
    if body.id == ALL_SYSTEMS["id"]:
        raise InvalidInput.field(("body", "id"), f"{body.id!r} is reserved")
    exists = await conn.execute(
        select(services.c.id).where(
            services.c.tenant_id == caller.tenant_id, services.c.id == body.id
        )
    )
    if exists.first() is not None:
        raise Conflict(f"service {body.id!r} exists")
    values = body.model_dump()
    await conn.execute(
        insert(services).values(
            tenant_id=caller.tenant_id, created_at=caller.now, updated_at=caller.now, **values
        )
    )
    await audit.record(conn, caller, "service.create", "service", body.id, values)
    return await get_service(conn, caller.tenant_id, body.id)


async def update_service(
    conn: AsyncConnection, caller: Caller, service_id: str, body: ServiceFields
) -> dict[str, Any]:
    before = await get_service(conn, caller.tenant_id, service_id)
    values = body.model_dump()
    await conn.execute(
        update(services)
        .where(services.c.tenant_id == caller.tenant_id, services.c.id == service_id)
        .values(updated_at=caller.now, **values)
    )
    changes = {k: {"from": before[k], "to": v} for k, v in values.items() if before[k] != v}
    await audit.record(conn, caller, "service.update", "service", service_id, changes)
    return await get_service(conn, caller.tenant_id, service_id)


async def delete_service(conn: AsyncConnection, caller: Caller, service_id: str) -> None:
    before = await get_service(conn, caller.tenant_id, service_id)
    await conn.execute(
        delete(services).where(
            services.c.tenant_id == caller.tenant_id, services.c.id == service_id
        )
    )
    await audit.record(
        conn, caller, "service.delete", "service", service_id, {"name": before["name"]}
    )
