"""A tenant's KPI revision: raised with every change to its definitions or stored values.

Changes are written by the API process and by the scheduler (``--role worker``), so a
process that keeps something made from KPIs (the dashboard's cards) reads the revision,
one primary-key row, to know whether its copy is still right.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core.db import upsert_into
from kpiwatch.kpi.models import kpi_revisions


async def raise_revision(conn: AsyncConnection, tenant_id: int) -> None:
    """Count one change, in the caller's transaction."""
    statement = upsert_into(conn, kpi_revisions).values(tenant_id=tenant_id, revision=1)
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=[kpi_revisions.c.tenant_id],
            set_={"revision": kpi_revisions.c.revision + 1},
        )
    )


async def current(conn: AsyncConnection, tenant_id: int) -> int:
    """The tenant's revision (0 before any change)."""
    found = await conn.execute(
        select(kpi_revisions.c.revision).where(kpi_revisions.c.tenant_id == tenant_id)
    )
    return found.scalar_one_or_none() or 0
