"""Analysis job rows as the API sees them: queue one, read it, list them, cancel one.

The pool (``ran.jobs``) runs the rows; this module only creates, reads and cancels them,
always within the caller's tenant (another tenant's job is "not found").
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core import audit
from kpiwatch.core.context import Caller
from kpiwatch.core.errors import Conflict, NotFound
from kpiwatch.ran.analysis_models import JOB_STATUSES, analysis_jobs
from kpiwatch.ran.analysis_params import AnalysisParams

ACTIVE = ("queued", "running")
_FIELDS = (
    analysis_jobs.c.id.label("analysis_id"),
    analysis_jobs.c.status,
    analysis_jobs.c.progress,
    analysis_jobs.c.error,
    analysis_jobs.c.result_id,
    analysis_jobs.c.username.label("requested_by"),
    analysis_jobs.c.params,
    analysis_jobs.c.created_at,
    analysis_jobs.c.started_at,
    analysis_jobs.c.finished_at,
)


async def queue(
    conn: AsyncConnection, caller: Caller, params: AnalysisParams, timezone: str, source: str
) -> dict[str, Any]:
    """Queue a job for the caller; returns its row as ``get`` would."""
    job_id = uuid.uuid4().hex
    stored = {"analysis": params.as_dict(), "timezone": timezone, "source": source}
    await conn.execute(
        insert(analysis_jobs).values(
            id=job_id,
            tenant_id=caller.tenant_id,
            user_id=caller.user_id,
            username=caller.name,
            params=stored,
            status="queued",
            progress=0,
            created_at=caller.now,
        )
    )
    await audit.record(
        conn, caller, "start", "analysis_job", job_id, {"source": source, "kpis": params.kpis}
    )
    return await get(conn, caller.tenant_id, job_id)


async def get(conn: AsyncConnection, tenant_id: int, job_id: str) -> dict[str, Any]:
    row = (
        await conn.execute(
            select(*_FIELDS).where(
                analysis_jobs.c.tenant_id == tenant_id, analysis_jobs.c.id == job_id
            )
        )
    ).first()
    if row is None:
        raise NotFound(f"analysis {job_id} not found")
    return dict(row._mapping)


async def search(
    conn: AsyncConnection, tenant_id: int, statuses: list[str], page: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """The tenant's jobs, newest first, optionally of some statuses."""
    where = [analysis_jobs.c.tenant_id == tenant_id]
    if statuses:
        where.append(analysis_jobs.c.status.in_(statuses))
    total = (
        await conn.execute(select(func.count()).select_from(analysis_jobs).where(*where))
    ).scalar_one()
    rows = await conn.execute(
        select(*_FIELDS)
        .where(*where)
        .order_by(analysis_jobs.c.created_at.desc(), analysis_jobs.c.id)
        .limit(limit)
        .offset((page - 1) * limit)
    )
    return [dict(r._mapping) for r in rows], int(total)


async def cancel(conn: AsyncConnection, caller: Caller, job_id: str) -> dict[str, Any]:
    """Cancel a queued or running job; ``Conflict`` when it has already ended."""
    job = await get(conn, caller.tenant_id, job_id)
    result = await conn.execute(
        update(analysis_jobs)
        .where(analysis_jobs.c.id == job_id, analysis_jobs.c.status.in_(ACTIVE))
        .values(
            status="cancelled",
            error=f"cancelled by {caller.name}",
            finished_at=caller.now,
        )
    )
    if result.rowcount != 1:
        raise Conflict(f"analysis {job_id} has already ended ({job['status']})")
    await audit.record(conn, caller, "cancel", "analysis_job", job_id)
    return await get(conn, caller.tenant_id, job_id)


async def counts(conn: AsyncConnection, tenant_id: int) -> dict[str, int]:
    """How many of the tenant's jobs are in each status."""
    rows = await conn.execute(
        select(analysis_jobs.c.status, func.count())
        .where(analysis_jobs.c.tenant_id == tenant_id)
        .group_by(analysis_jobs.c.status)
    )
    found = {status: int(n) for status, n in rows}
    return {status: found.get(status, 0) for status in JOB_STATUSES}
