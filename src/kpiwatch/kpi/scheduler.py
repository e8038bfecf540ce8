"""The periodic KPI refresh: every active KPI's previous and current period.

Each run recomputes, in one statement per KPI, the period holding "now" (period-to-date)
and the one before it, so a period is final once the first run after its end has seen
it, and late events for the previous period are still counted. A KPI that fails is logged
and skipped; the others go on.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import select

from kpiwatch.core.clock import Clock
from kpiwatch.core.db import Database
from kpiwatch.core.models import tenants
from kpiwatch.kpi import calculate, definitions
from kpiwatch.kpi.periods import period_of

log = logging.getLogger(__name__)


async def refresh_all(db: Database, clock: Clock) -> tuple[int, int]:
    """Refresh every tenant's active KPIs; returns (refreshed, failed)."""
    now = clock.now()
    async with db.read() as conn:
        tenant_ids = [r.id for r in await conn.execute(select(tenants.c.id))]
        kpis = [k for t in tenant_ids for k in await definitions.list_all(conn, t)]
    refreshed = failed = 0
    for kpi in kpis:
        try:
            async with db.read() as conn:
                zone = await calculate.tenant_zone(conn, kpi["tenant_id"])
            current_start, _ = period_of(kpi["period"], now, zone)
            previous_start, _ = period_of(kpi["period"], current_start - timedelta(seconds=1), zone)
            await calculate.calculate(
                db, kpi, previous_start.astimezone(zone).date(), now.astimezone(zone).date(), now
            )
            refreshed += 1
        except Exception:
            failed += 1
            log.exception("KPI refresh failed", extra={"fields": {"kpi_id": kpi["id"]}})
    return refreshed, failed


def start(db: Database, clock: Clock, every_s: int) -> AsyncIOScheduler:
    """Start the refresh job in the running event loop (first run right away)."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        refresh_all,
        "interval",
        seconds=every_s,
        args=(db, clock),
        next_run_time=clock.now(),
        max_instances=1,
        coalesce=True,
        id="kpi-refresh",
    )
    scheduler.start()
    return scheduler
