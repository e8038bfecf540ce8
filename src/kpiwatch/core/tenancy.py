"""Tenants: every object belongs to one; its IANA time zone decides local days and months."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core import audit
from kpiwatch.core.context import Caller
from kpiwatch.core.errors import Conflict, InvalidInput, NotFound
from kpiwatch.core.models import tenants

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
TENANT_COLUMNS = (tenants.c.slug, tenants.c.name, tenants.c.timezone)


def check_timezone(name: str, loc: tuple[str, ...] = ("body", "timezone")) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput.field(
            loc, f"unknown time zone {name!r}: use an IANA name such as 'Asia/Seoul'"
        ) from exc
    return name


async def get_tenant(conn: AsyncConnection, tenant_id: int) -> dict[str, Any]:
    row = (await conn.execute(select(*TENANT_COLUMNS).where(tenants.c.id == tenant_id))).first()
    if row is None:
        raise NotFound("tenant not found")
    return dict(row._mapping)


async def tenant_id_by_slug(conn: AsyncConnection, slug: str) -> int:
    tenant_id = (
        await conn.execute(select(tenants.c.id).where(tenants.c.slug == slug))
    ).scalar_one_or_none()
    if tenant_id is None:
        raise NotFound(f"tenant {slug!r} not found")
    return int(tenant_id)


async def create_tenant(
    conn: AsyncConnection, *, slug: str, name: str, timezone: str, now: datetime
) -> int:
    if not SLUG.fullmatch(slug):
        raise InvalidInput.field(("slug",), "lowercase letters, digits and '-' only")
    check_timezone(timezone, ("timezone",))
    exists = (await conn.execute(select(tenants.c.id).where(tenants.c.slug == slug))).first()
    if exists is not None:
        raise Conflict(f"tenant {slug!r} exists")
    result = await conn.execute(
        insert(tenants)
        .values(slug=slug, name=name, timezone=timezone, created_at=now)
        .returning(tenants.c.id)
    )
    tenant_id: int = result.scalar_one()
    return tenant_id


async def update_tenant(
    conn: AsyncConnection, caller: Caller, *, name: str, timezone: str
) -> dict[str, Any]:
    check_timezone(timezone)
    before = await get_tenant(conn, caller.tenant_id)
    await conn.execute(
        update(tenants).where(tenants.c.id == caller.tenant_id).values(name=name, timezone=timezone)
    )
    changes = {
        k: {"from": before[k], "to": v}
        for k, v in (("name", name), ("timezone", timezone))
        if before[k] != v
    }
    await audit.record(conn, caller, "tenant.update", "tenant", caller.tenant_slug, changes)
    return await get_tenant(conn, caller.tenant_id)
