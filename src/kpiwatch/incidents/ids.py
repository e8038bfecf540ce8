"""Readable ids per tenant and year: ``inc-2026-001``, ``upd-2026-014``, ``cmt-2026-002``.

The number comes from one upsert on the tenant's counter row, inside the transaction that
creates the object: PostgreSQL locks the row until that transaction ends, SQLite has a
single writer, so two concurrent creates never get the same number and a rolled-back
create gives its number back.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.incidents.models import incident_counters


async def next_id(
    conn: AsyncConnection, tenant_id: int, kind: str, now: datetime, tz: ZoneInfo
) -> str:
    """The next ``<kind>-<year>-<NNN>`` of the tenant; the year is the tenant-local one."""
    year = now.astimezone(tz).year
    insert_ = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert_(incident_counters).values(tenant_id=tenant_id, kind=kind, year=year, n=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=["tenant_id", "kind", "year"],
        set_={"n": incident_counters.c.n + 1},
    )
    n = (await conn.execute(stmt.returning(incident_counters.c.n))).scalar_one()
    return f"{kind}-{year}-{n:03d}"
