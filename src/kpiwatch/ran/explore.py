"""What the ``/ran`` explorer offers to choose from: the measured objects and the data's span.

Read from ``pm_objects`` and the per-(object, schema) first/last seen of
``pm_object_schemas``, so neither scans the counter values.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.ran.models import pm_object_schemas, pm_objects


async def objects(conn: AsyncConnection, tenant_id: int) -> list[dict[str, Any]]:
    """Every measured object of the tenant (``ne``, ``cell``, full ``name``), by NE and cell."""
    result = await conn.execute(
        select(pm_objects.c.ne, pm_objects.c.cell, pm_objects.c.name, pm_objects.c.object_class)
        .where(pm_objects.c.tenant_id == tenant_id)
        .order_by(pm_objects.c.ne, pm_objects.c.cell, pm_objects.c.name)
    )
    return [dict(row._mapping) for row in result]


async def data_span(conn: AsyncConnection, tenant_id: int) -> tuple[datetime, datetime] | None:
    """The first and last period start with counter values, or None before any import."""
    first, last = (
        await conn.execute(
            select(
                func.min(pm_object_schemas.c.first_seen), func.max(pm_object_schemas.c.last_seen)
            ).where(pm_object_schemas.c.tenant_id == tenant_id)
        )
    ).one()
    return (first, last) if first is not None and last is not None else None
