"""The audit log: who changed what, from where, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core.context import Caller
from kpiwatch.core.models import audit_log


async def record(
    conn: AsyncConnection,
    caller: Caller,
    action: str,
    entity: str,
    entity_id: str | int | None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add an entry in the caller's transaction, so it lands exactly when the change does."""
    await conn.execute(
        insert(audit_log).values(
            tenant_id=caller.tenant_id,
            user_id=caller.user_id,
            username=caller.name,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            detail=detail,
            ip=caller.ip,
            at=caller.now,
        )
    )


async def search(
    conn: AsyncConnection,
    tenant_id: int,
    *,
    entity: str | None,
    username: str | None,
    start: datetime | None,
    end: datetime | None,
    page: int,
    limit: int,
) -> tuple[list[dict[str, Any]], int]:
    where = [audit_log.c.tenant_id == tenant_id]
    if entity:
        where.append(audit_log.c.entity == entity)
    if username:
        where.append(audit_log.c.username == username)
    if start:
        where.append(audit_log.c.at >= start)
    if end:
        where.append(audit_log.c.at < end)
    total = (
        await conn.execute(select(func.count()).select_from(audit_log).where(*where))
    ).scalar_one()
    rows = await conn.execute(
        select(audit_log)
        .where(*where)
        .order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
        .limit(limit)
        .offset((page - 1) * limit)
    )
    return [dict(r._mapping) for r in rows], total
