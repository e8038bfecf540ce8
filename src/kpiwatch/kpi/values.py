"""Reading stored KPI values: the latest per KPI, a KPI's history, by dimension."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.kpi.formula import parse
from kpiwatch.kpi.models import kpi_values
from kpiwatch.kpi.status import status_of


def record(kpi: dict[str, Any], row: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """One stored value as the API shows it: local times with offset, status, achievement."""
    status, pct = status_of(
        kpi["direction"],
        kpi["target"],
        row["value"],
        kpi["green_threshold"],
        kpi["yellow_threshold"],
    )
    out = {
        "period_start": row["period_start"].astimezone(zone).isoformat(),
        "period_end": row["period_end"].astimezone(zone).isoformat(),
        "value": row["value"],
        "status": status,
        "achievement_pct": pct,
        "parts": row["parts"],
        "computed_at": row["computed_at"],
    }
    if row["dims"]:
        out["dims"] = row["dims"]
    return out


_COLUMNS = ", ".join(c.name for c in kpi_values.c)


async def recent_totals(
    conn: AsyncConnection, kpi_ids: list[int], per_kpi: int
) -> dict[int, list[dict[str, Any]]]:
    """The last ``per_kpi`` total rows of each KPI, oldest first, in one query.

    One ``ORDER BY … LIMIT`` branch per KPI reads the index of the totals backwards, so
    the cost does not grow with a KPI's history. The statement is text (typed by its
    columns) because compiling fifty Core branches costs more than running them.
    """
    if not kpi_ids:
        return {}
    branch = (
        f"SELECT * FROM (SELECT {_COLUMNS} FROM kpi_values WHERE kpi_id = :k{{i}} "
        "AND dims_key = '' ORDER BY period_start DESC LIMIT :n) AS b{i}"
    )
    sql = " UNION ALL ".join(branch.format(i=i) for i in range(len(kpi_ids)))
    statement = (
        text(sql)
        .bindparams(n=per_kpi, **{f"k{i}": kpi_id for i, kpi_id in enumerate(kpi_ids)})
        .columns(*kpi_values.c)
    )
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in sorted(await conn.execute(statement), key=lambda r: r.period_start):
        out[row.kpi_id].append(dict(row._mapping))
    return out


async def history(
    conn: AsyncConnection,
    kpi: dict[str, Any],
    start: datetime | None,
    end: datetime | None,
    by: list[str],
    filters: dict[str, str],
) -> list[dict[str, Any]]:
    """Stored rows of a KPI between two instants: totals, or per ``by`` dimensions.

    ``by`` must be a subset of the KPI's dimensions; when it is a strict subset, the rows
    are combined from their parts (additive formulas only).
    """
    query = select(kpi_values).where(kpi_values.c.kpi_id == kpi["id"])
    if start is not None:
        query = query.where(kpi_values.c.period_start >= start)
    if end is not None:
        query = query.where(kpi_values.c.period_start < end)
    grouped = bool(by or filters)
    # The totals' index holds the rows where dims_key = '' written as that literal.
    totals = kpi_values.c.dims_key == literal_column("''")
    query = query.where(kpi_values.c.dims_key != "" if grouped else totals)
    rows = [dict(r._mapping) for r in await conn.execute(query.order_by(kpi_values.c.period_start))]
    if not grouped:
        return rows
    rows = [r for r in rows if all(str(r["dims"].get(k)) == v for k, v in filters.items())]
    keep = by or []
    if set(keep) == set(kpi["dimensions"]):
        return rows
    formula = parse(kpi["formula"])
    merged: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        merged[(row["period_start"], *(row["dims"][k] for k in keep))].append(row)
    out = []
    for (_, *values), group in merged.items():
        parts = formula.combine([g["parts"] for g in group])
        first = group[0]
        out.append(
            first
            | {
                "dims": dict(zip(keep, values, strict=True)),
                "parts": parts,
                "value": formula.value(parts),
                "computed_at": max(g["computed_at"] for g in group),
            }
        )
    return out
