"""Analysis results: stored by jobs or posted by clients, listed, read, changed, deleted.

The fields are the seed's ``AnalysisResultModel``: ``ne_id``, ``cell_id``,
``analysis_date``, ``status``, ``time_ranges``, ``peg_metrics`` (here the compared table),
``llm_analysis`` (the narrative), ``metadata`` and ``legacy_payload``; kpiwatch adds
``id``, ``analyzer`` (who wrote the narrative), ``job_id``, ``created_by`` and the times.
An analysis over several NEs or cells has ``"*"`` as its ``ne_id``/``cell_id``; the NEs
and cells it covers are indexed in ``analysis_result_cells``, which the list filters read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core import audit
from kpiwatch.core.context import Caller
from kpiwatch.core.errors import NotFound
from kpiwatch.core.models import users
from kpiwatch.ran.analysis_models import analysis_result_cells, analysis_results
from kpiwatch.ran.analysis_params import AnalysisParams
from kpiwatch.ran.narrative import Narrative

ALL = "*"
_COLUMNS = (
    "ne_id",
    "cell_id",
    "analysis_date",
    "status",
    "time_ranges",
    "peg_metrics",
    "llm_analysis",
    "legacy_payload",
)


@dataclass(frozen=True)
class Filters:
    ne: str | None = None
    cell: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    status: str | None = None


def _one(values: list[str] | None) -> str:
    return values[0] if values and len(values) == 1 else ALL


def _pairs(ne_id: str, cell_id: str, peg_metrics: Mapping[str, Any]) -> set[tuple[str, str]]:
    """The (NE, cell) pairs a result covers: its own, and its table rows' (when it has one)."""
    pairs = {(ne_id, cell_id)}
    rows = peg_metrics.get("rows")
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and isinstance(row.get("ne"), str) and row.get("cell"):
            pairs.add((row["ne"][:255], str(row["cell"])[:255]))
    return pairs


async def _index(
    conn: AsyncConnection, tenant_id: int, result_id: int, pairs: Iterable[tuple[str, str]]
) -> None:
    await conn.execute(
        delete(analysis_result_cells).where(analysis_result_cells.c.result_id == result_id)
    )
    await conn.execute(
        insert(analysis_result_cells),
        [
            {"result_id": result_id, "tenant_id": tenant_id, "ne": ne, "cell": cell}
            for ne, cell in sorted(pairs)
        ],
    )


async def store_computed(
    conn: AsyncConnection,
    *,
    tenant_id: int,
    user_id: int | None,
    job_id: str,
    params: AnalysisParams,
    table: dict[str, Any],
    story: Narrative,
    timezone: str,
    now: datetime,
) -> int:
    """Store a job's result; returns its id."""
    ne_id, cell_id = _one(params.nes), _one(params.cells)
    meta = {
        "analysis_id": job_id,
        "source": "kpiwatch",
        "method": "N-1 vs N comparison",
        "analyzer": story.analyzer,
        "llm_error": story.llm_error,
        "params": params.as_dict(),
        "computed_at": now.isoformat(),
    }
    result_id = (
        await conn.execute(
            insert(analysis_results)
            .values(
                tenant_id=tenant_id,
                ne_id=ne_id,
                cell_id=cell_id,
                analysis_date=now,
                status="success",
                time_ranges={
                    "n_minus_1": params.n_minus_1.as_dict(),
                    "n": params.n.as_dict(),
                    "timezone": timezone,
                },
                peg_metrics=table,
                llm_analysis=story.as_dict(),
                meta=meta,
                analyzer=story.analyzer,
                job_id=job_id,
                created_by=user_id,
                created_at=now,
                updated_at=now,
            )
            .returning(analysis_results.c.id)
        )
    ).scalar_one()
    await _index(conn, tenant_id, result_id, _pairs(ne_id, cell_id, table))
    return int(result_id)


async def create(conn: AsyncConnection, caller: Caller, fields: dict[str, Any]) -> int:
    """Store a posted result (``fields`` holds the seed's names, ``metadata`` included)."""
    values = {k: fields[k] for k in _COLUMNS}
    result_id = (
        await conn.execute(
            insert(analysis_results)
            .values(
                **values,
                tenant_id=caller.tenant_id,
                meta=fields["metadata"],
                created_by=caller.user_id,
                created_at=caller.now,
                updated_at=caller.now,
            )
            .returning(analysis_results.c.id)
        )
    ).scalar_one()
    await _index(
        conn,
        caller.tenant_id,
        result_id,
        _pairs(values["ne_id"], values["cell_id"], values["peg_metrics"]),
    )
    await audit.record(
        conn, caller, "create", "analysis_result", result_id, {"ne_id": values["ne_id"]}
    )
    return int(result_id)


async def update_fields(
    conn: AsyncConnection, caller: Caller, result_id: int, fields: dict[str, Any]
) -> None:
    """Replace the fields sent; the others keep their values."""
    current = await get(conn, caller.tenant_id, result_id)
    values = {k: v for k, v in fields.items() if k in _COLUMNS}
    if "metadata" in fields:
        values["meta"] = fields["metadata"]
    await conn.execute(
        update(analysis_results)
        .where(analysis_results.c.id == result_id)
        .values(**values, updated_at=caller.now)
    )
    if {"ne_id", "cell_id", "peg_metrics"} & fields.keys():
        merged = {**current, **fields}
        pairs = _pairs(merged["ne_id"], merged["cell_id"], merged["peg_metrics"])
        await _index(conn, caller.tenant_id, result_id, pairs)
    await audit.record(
        conn, caller, "update", "analysis_result", result_id, {"fields": sorted(fields)}
    )


async def remove(conn: AsyncConnection, caller: Caller, result_id: int) -> None:
    await get(conn, caller.tenant_id, result_id)
    await conn.execute(delete(analysis_results).where(analysis_results.c.id == result_id))
    await audit.record(conn, caller, "delete", "analysis_result", result_id)


def _select(full: bool) -> Any:
    columns = [
        analysis_results.c.id,
        *(
            analysis_results.c[name]
            for name in _COLUMNS
            if full or name not in ("peg_metrics", "legacy_payload")
        ),
        analysis_results.c.meta.label("metadata"),
        analysis_results.c.analyzer,
        analysis_results.c.job_id,
        users.c.username.label("created_by"),
        analysis_results.c.created_at,
        analysis_results.c.updated_at,
    ]
    return select(*columns).outerjoin(users, users.c.id == analysis_results.c.created_by)


async def get(conn: AsyncConnection, tenant_id: int, result_id: int) -> dict[str, Any]:
    """One result, whole; ``NotFound`` when it is not the tenant's."""
    row = (
        await conn.execute(
            _select(True).where(
                analysis_results.c.tenant_id == tenant_id, analysis_results.c.id == result_id
            )
        )
    ).first()
    if row is None:
        raise NotFound(f"analysis result {result_id} not found")
    return dict(row._mapping)


def _covers(column: Any, value: str) -> Any:
    cells = analysis_result_cells
    return exists().where(cells.c.result_id == analysis_results.c.id, column == value)


async def search(
    conn: AsyncConnection, tenant_id: int, filters: Filters, page: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """Results newest first, without their tables (read one for its ``peg_metrics``)."""
    where = [analysis_results.c.tenant_id == tenant_id]
    if filters.ne:
        where.append(_covers(analysis_result_cells.c.ne, filters.ne))
    if filters.cell:
        where.append(_covers(analysis_result_cells.c.cell, filters.cell))
    if filters.start:
        where.append(analysis_results.c.analysis_date >= filters.start)
    if filters.end:
        where.append(analysis_results.c.analysis_date < filters.end)
    if filters.status:
        where.append(analysis_results.c.status == filters.status)
    total = (
        await conn.execute(select(func.count()).select_from(analysis_results).where(*where))
    ).scalar_one()
    rows = await conn.execute(
        _select(False)
        .where(*where)
        .order_by(analysis_results.c.analysis_date.desc(), analysis_results.c.id.desc())
        .limit(limit)
        .offset((page - 1) * limit)
    )
    return [dict(r._mapping) for r in rows], int(total)
