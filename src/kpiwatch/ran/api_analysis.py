"""/api/analysis and /api/async-analysis: N-1 vs N jobs and their results (seed 001).

Roles: viewers read jobs and results; reporters and admins start and cancel analyses and
create, change and delete results. Everything is within the caller's tenant: another
tenant's job or result is "not found". ``trigger-llm-analysis`` and ``async-analysis/start``
queue the same job (the first is the seed's name for it); both answer 202 at once with the
``analysis_id`` to poll.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, Field

from kpiwatch.core.config import Settings
from kpiwatch.core.context import Caller
from kpiwatch.core.db import Database
from kpiwatch.core.deps import DbDep, ReporterDep, SettingsDep, ViewerDep
from kpiwatch.core.errors import Conflict, InvalidInput, NotFound
from kpiwatch.ran import job_rows, kpis, preferences, results
from kpiwatch.ran.analysis_models import JOB_STATUSES
from kpiwatch.ran.analysis_params import AnalysisIn, AnalysisParams, Name, Strict, resolve
from kpiwatch.ran.bodies import read_model, schema_of
from kpiwatch.ran.jobs import JobPool
from kpiwatch.ran.selection import UnknownObject, select_objects

router = APIRouter(tags=["analysis"])

RESULT_MAX_BYTES = 1024 * 1024
ResultStatus = Literal["pending", "success", "warning", "error"]
JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class ResultIn(Strict):
    """A result posted by a client: the seed's ``AnalysisResultModel``."""

    ne_id: Name
    cell_id: Name
    analysis_date: AwareDatetime | None = Field(None, description="Default: now.")
    status: ResultStatus
    time_ranges: dict[str, Any] = Field(default_factory=dict)
    peg_metrics: dict[str, Any] = Field(default_factory=dict)
    llm_analysis: dict[str, Any] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)
    legacy_payload: dict[str, Any] | None = None


class ResultChange(Strict):
    """``PUT``: the fields sent replace the stored ones; the others stay."""

    ne_id: Name | None = None
    cell_id: Name | None = None
    analysis_date: AwareDatetime | None = None
    status: ResultStatus | None = None
    time_ranges: dict[str, Any] | None = None
    peg_metrics: dict[str, Any] | None = None
    llm_analysis: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    legacy_payload: dict[str, Any] | None = None


class JobOut(BaseModel):
    analysis_id: str
    status: JobStatus
    progress: int
    error: str | None
    result_id: int | None
    requested_by: str | None
    params: dict[str, Any]
    created_at: AwareDatetime
    started_at: AwareDatetime | None
    finished_at: AwareDatetime | None


def _job(row: dict[str, Any]) -> dict[str, Any]:
    return JobOut.model_validate({**row, "params": row["params"]["analysis"]}).model_dump()


def _pool(request: Request) -> JobPool | None:
    pool: JobPool | None = getattr(request.app.state, "analysis_pool", None)
    return pool


async def _check_selection(db: Database, tenant_id: int, params: AnalysisParams) -> None:
    """Unknown NEs or cells are refused now rather than failing the job later."""
    async with db.read() as conn:
        try:
            await select_objects(conn, tenant_id, ne=params.nes, cells=params.cells)
        except UnknownObject as exc:
            field = "ne" if exc.field == "ne" else "cellid"
            raise InvalidInput.field(("body", field), str(exc)) from exc


async def _start(
    request: Request, body: AnalysisIn, caller: Caller, db: Database, source: str
) -> dict[str, Any]:
    async with db.read() as conn:
        zone = await kpis.tenant_zone(conn, caller.tenant_id)
        saved = await preferences.saved(conn, caller)
    params = resolve(body, saved, zone)
    await _check_selection(db, caller.tenant_id, params)
    async with db.write() as conn:
        row = await job_rows.queue(conn, caller, params, zone.key, source)
    pool = _pool(request)
    if pool is not None:
        pool.notify()
    return _job(row)


@router.post("/api/analysis/trigger-llm-analysis", status_code=202, response_model=JobOut)
async def trigger_llm_analysis(
    request: Request, body: AnalysisIn, caller: ReporterDep, db: DbDep
) -> dict[str, Any]:
    """Queue an N-1 vs N analysis with its narrative; poll `llm-analysis/{analysis_id}`."""
    return await _start(request, body, caller, db, "trigger-llm-analysis")


@router.get("/api/analysis/llm-analysis/{analysis_id}")
async def llm_analysis(analysis_id: str, caller: ViewerDep, db: DbDep) -> dict[str, Any]:
    """The analysis' state, progress and, once it succeeded, its result."""
    async with db.read() as conn:
        job = _job(await job_rows.get(conn, caller.tenant_id, analysis_id))
        result = None
        if job["result_id"] is not None:
            result = await results.get(conn, caller.tenant_id, job["result_id"])
    return {**job, "result": result}


@router.post("/api/async-analysis/start", status_code=202, response_model=JobOut)
async def start_analysis(
    request: Request, body: AnalysisIn, caller: ReporterDep, db: DbDep
) -> dict[str, Any]:
    """Queue an N-1 vs N analysis; poll `status/{analysis_id}`, then read `result/…`."""
    return await _start(request, body, caller, db, "async-analysis")


@router.get("/api/async-analysis/status/{analysis_id}", response_model=JobOut)
async def analysis_status(analysis_id: str, caller: ViewerDep, db: DbDep) -> dict[str, Any]:
    """The analysis' status (queued, running, succeeded, failed, cancelled) and progress."""
    async with db.read() as conn:
        return _job(await job_rows.get(conn, caller.tenant_id, analysis_id))


@router.get("/api/async-analysis/result/{analysis_id}")
async def analysis_result(analysis_id: str, caller: ViewerDep, db: DbDep) -> dict[str, Any]:
    """The result of a succeeded analysis; 409 while it runs or when it failed."""
    async with db.read() as conn:
        job = await job_rows.get(conn, caller.tenant_id, analysis_id)
        if job["status"] != "succeeded":
            reason = f": {job['error']}" if job["error"] else f" ({job['progress']} %)"
            raise Conflict(f"analysis {analysis_id} is {job['status']}{reason}")
        if job["result_id"] is None:
            raise NotFound(f"the result of analysis {analysis_id} was deleted")
        return await results.get(conn, caller.tenant_id, job["result_id"])


@router.post("/api/async-analysis/cancel/{analysis_id}", response_model=JobOut)
async def cancel_analysis(
    analysis_id: str, request: Request, caller: ReporterDep, db: DbDep
) -> dict[str, Any]:
    """Cancel a queued or running analysis (a running one stops at its next step)."""
    async with db.write() as conn:
        row = await job_rows.cancel(conn, caller, analysis_id)
    pool = _pool(request)
    if pool is not None:
        pool.interrupt(analysis_id)
    return _job(row)


@router.get("/api/async-analysis/list")
async def list_analyses(
    caller: ViewerDep,
    db: DbDep,
    status: Annotated[list[JobStatus] | None, Query()] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """The tenant's analyses, newest first; `?status=running&status=queued` for the live ones."""
    async with db.read() as conn:
        rows, total = await job_rows.search(conn, caller.tenant_id, list(status or []), page, limit)
    return {"items": [_job(r) for r in rows], "total": total, "page": page, "limit": limit}


@router.get("/api/async-analysis/health")
async def analysis_health(
    request: Request, caller: ViewerDep, db: DbDep, settings: SettingsDep
) -> dict[str, Any]:
    """Workers of this process, the LLM's configuration and the tenant's jobs per status."""
    async with db.read() as conn:
        counts = await job_rows.counts(conn, caller.tenant_id)
    pool = _pool(request)
    return {
        "status": "ok" if pool is not None and pool.size > 0 else "no workers in this process",
        "workers": pool.size if pool is not None else 0,
        "running_here": len(pool.running_here) if pool is not None else 0,
        "llm": _llm(settings),
        "jobs": {status: counts[status] for status in JOB_STATUSES},
    }


def _llm(settings: Settings) -> dict[str, Any]:
    if settings.llm_url is None:
        return {"configured": False, "analyzer": "deterministic"}
    return {"configured": True, "analyzer": f"llm:{settings.llm_model}"}


@router.post("/api/analysis/results", status_code=201, openapi_extra=schema_of(ResultIn))
async def create_result(request: Request, caller: ReporterDep, db: DbDep) -> dict[str, Any]:
    """Store an analysis result (the seed's AnalysisResultModel; at most 1 MiB)."""
    body = await read_model(request, ResultIn, RESULT_MAX_BYTES)
    fields = body.model_dump()
    fields["analysis_date"] = fields["analysis_date"] or caller.now
    async with db.write() as conn:
        result_id = await results.create(conn, caller, fields)
        return await results.get(conn, caller.tenant_id, result_id)


@router.get("/api/analysis/results")
async def list_results(
    caller: ViewerDep,
    db: DbDep,
    ne: Annotated[str | None, Query(max_length=255)] = None,
    cell: Annotated[str | None, Query(max_length=255)] = None,
    start: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    end: Annotated[AwareDatetime | None, Query(alias="to")] = None,
    status: Annotated[ResultStatus | None, Query()] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """Results newest first, filtered by NE, cell, analysis date [from, to) and status."""
    filters = results.Filters(ne=ne, cell=cell, start=start, end=end, status=status)
    async with db.read() as conn:
        items, total = await results.search(conn, caller.tenant_id, filters, page, limit)
    return {"items": items, "total": total, "page": page, "limit": limit}


@router.get("/api/analysis/results/{result_id}")
async def get_result(result_id: int, caller: ViewerDep, db: DbDep) -> dict[str, Any]:
    """One result with its table (`peg_metrics`) and narrative (`llm_analysis`)."""
    async with db.read() as conn:
        return await results.get(conn, caller.tenant_id, result_id)


@router.put("/api/analysis/results/{result_id}", openapi_extra=schema_of(ResultChange))
async def update_result(
    result_id: int, request: Request, caller: ReporterDep, db: DbDep
) -> dict[str, Any]:
    """Replace the fields sent (e.g. `status`, `llm_analysis`); the others stay."""
    body = await read_model(request, ResultChange, RESULT_MAX_BYTES)
    fields = body.model_dump(exclude_unset=True)
    for name, value in fields.items():
        if value is None and name != "legacy_payload":
            raise InvalidInput.field(("body", name), "may not be null")
    async with db.write() as conn:
        await results.update_fields(conn, caller, result_id, fields)
        return await results.get(conn, caller.tenant_id, result_id)


@router.delete("/api/analysis/results/{result_id}", status_code=204)
async def delete_result(result_id: int, caller: ReporterDep, db: DbDep) -> Response:
    """Delete a result (its job stays, without a result)."""
    async with db.write() as conn:
        await results.remove(conn, caller, result_id)
    return Response(status_code=204)
