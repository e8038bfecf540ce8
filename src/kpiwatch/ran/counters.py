"""Counter formulas computed over ``pm_values``: KPI rows like ``kpi.formula.compute``'s.

``compute_counters()`` runs the statement of ``counter_sql`` for the whole range (split
every ``MAX_PERIODS_PER_STATEMENT`` periods; on SQLite, one object's rows are read by
``counter_scan`` instead), then turns its groups into ``KpiRow``s: one
per period and per dimension values seen in the range (``ne``, or ``ne`` and ``cell``),
each with its parts and ``Formula.value(parts)``.

Rules (``docs/ran.md``): a row belongs to the period holding its ``period_start``; suspect
rows count nowhere; a counter ``X.sum`` that a schema lacks is the sum of that schema's
subcounters (``X.<anything>``, ``X[i]``), missing when all of them are, or ``X`` itself
when the schema has no split of it; a part over no value is ``None``, so a missing or zero
denominator is no data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.kpi.formula import Formula
from kpiwatch.kpi.formula.check import COUNTER_DIMENSIONS
from kpiwatch.kpi.formula.compute import (
    MAX_PERIODS_PER_STATEMENT,
    KpiRow,
    as_number,
    complete_rows,
    part_kinds,
)
from kpiwatch.ran import days
from kpiwatch.ran.counter_scan import scan as scan_object
from kpiwatch.ran.counter_sql import Layout, day_ready, day_statement, layout, statement
from kpiwatch.ran.models import pm_object_schemas, pm_objects

_FEW_OBJECTS = 100
_SHORTEST_DAY = timedelta(hours=23)  # a local day, a DST change included
Parts = dict[str, float | int | None]


async def _cells(
    conn: AsyncConnection,
    tenant_id: int,
    seen: Sequence[int],
    also: Sequence[int],
    schemas: Sequence[int],
) -> dict[int, tuple[str, str]]:
    """(ne, cell) of the objects ``seen``, and of those in ``also`` that report one of
    ``schemas`` (cells asked for that sent nothing in the range)."""
    o, reports = pm_objects.c, pm_object_schemas.c
    wanted: ColumnElement[bool] = o.id.in_(list(seen))
    if also:
        reporting = select(reports.object_id).where(
            reports.tenant_id == tenant_id, reports.schema_id.in_(list(schemas))
        )
        wanted = or_(wanted, and_(o.id.in_(list(also)), o.id.in_(reporting)))
    rows = await conn.execute(
        select(o.id, o.ne, o.cell).where(o.tenant_id == tenant_id, wanted).order_by(o.id)
    )
    return {id_: (ne, cell) for id_, ne, cell in rows}


def _by_cell(
    formula: Formula, raw: dict[tuple[int, Any], Parts], names: dict[int, tuple[str, str]]
) -> dict[tuple[int, tuple[Any, ...]], Parts]:
    """Rows per (period, object) as rows per (period, (ne, cell)); two objects with the
    same NE and cell id (rare: different parents) are combined."""
    if len(set(names.values())) == len(names):
        return {(index, names[object_id]): parts for (index, object_id), parts in raw.items()}
    merged: dict[tuple[int, tuple[Any, ...]], list[Parts]] = {}
    for (index, object_id), parts in raw.items():
        merged.setdefault((index, names[object_id]), []).append(parts)
    return {k: many[0] if len(many) == 1 else formula.combine(many) for k, many in merged.items()}


def _dimensions(dimensions: Sequence[str]) -> tuple[str, ...]:
    dims = tuple(d for d in COUNTER_DIMENSIONS if d in dimensions)
    unknown = [d for d in dimensions if d not in COUNTER_DIMENSIONS]
    if unknown:
        raise ValueError(f"cannot group by {', '.join(unknown)}; allowed: ne, cell")
    if "cell" in dims and "ne" not in dims:
        raise ValueError("cell ids repeat across NEs: group by ne and cell together")
    return dims


async def _from_days(
    conn: AsyncConnection,
    tenant_id: int,
    formula: Formula,
    periods: Sequence[tuple[datetime, datetime]],
    where: Layout,
) -> bool:
    """Whether the daily rollups (``ran.days``) answer: whole local days of the zone they
    were built in, and pieces they hold."""
    if any(end - start < _SHORTEST_DAY for start, end in periods) or not day_ready(formula, where):
        return False
    zone = await days.complete_zone(conn, tenant_id)
    return zone is not None and days.whole_days(periods, zone)


async def compute_counters(
    conn: AsyncConnection,
    formula: Formula,
    tenant_id: int,
    periods: Sequence[tuple[datetime, datetime]],
    dimensions: Sequence[str] = (),
    *,
    objects: Sequence[int] | None = None,
    every_object: bool = False,
    scan: bool | None = None,
) -> list[KpiRow]:
    """A counter formula for every period and every (ne) or (ne, cell) seen in the range.

    ``objects`` restricts the rows to those objects (None: all). ``every_object`` (with
    ``objects`` and the cell dimension) also lists the objects that report the formula's
    counters but sent nothing in the range, with no data in every period. ``scan``: read
    the one object of ``objects`` by one range scan added up in Python
    (``counter_scan``) rather than by the grouped statement, with the same numbers;
    None: where it is faster, on SQLite when the daily rollups do not answer.
    """
    dims = _dimensions(dimensions)
    group = "object" if "cell" in dims else ("ne" if dims else "")
    where = await layout(conn, tenant_id, formula.counters)
    kinds = part_kinds(formula)
    found: dict[tuple[int, tuple[Any, ...]], KpiRow] = {}
    combos: dict[tuple[Any, ...], None] = {} if dims else {(): None}  # totals: every period
    if not periods or not any(where.values()) or objects == []:
        return complete_rows(formula, periods, dims, found, combos)
    dialect = conn.dialect.name
    one = objects is not None and len(objects) == 1 and group != "ne"
    if scan and not one:
        raise ValueError("a scan reads one object, grouped by cell or not at all")
    by_day = not scan and await _from_days(conn, tenant_id, formula, periods, where)
    if scan is None:
        scan = one and dialect == "sqlite" and not by_day
    if dialect == "postgresql" and not by_day and (objects is None or len(objects) > _FEW_OBJECTS):
        # As in kpi.formula.compute: on a large scan JIT compiles for 0.5 s and saves
        # nothing; a few objects' rows never cost enough to trigger it.
        await conn.exec_driver_sql("SET LOCAL jit = off")
    raw: dict[tuple[int, Any], Parts] = {}
    groups: Iterable[tuple[int, Any, Sequence[Any]]]
    for first in range(0, len(periods), MAX_PERIODS_PER_STATEMENT):
        chunk = periods[first : first + MAX_PERIODS_PER_STATEMENT]
        if scan:
            assert objects is not None
            columns, groups = await scan_object(conn, formula, tenant_id, chunk, where, objects[0])
        else:
            compiled = (
                day_statement(formula, tenant_id, chunk, where, group, objects)
                if by_day
                else statement(formula, tenant_id, chunk, where, group, objects, dialect)
            )
            columns = compiled.columns
            groups = compiled.rows(await conn.execute(compiled.select))
        at = [(k, columns.get(k), kinds[k]) for k in formula.part_keys]
        for index, grouped, values in groups:
            parts = {k: None if i is None else as_number(values[i], kind) for k, i, kind in at}
            raw[first + index, grouped if group else None] = parts
    if group == "object":
        schemas = sorted({sid for w in where.values() for sid in w})
        also = objects if every_object and objects is not None else ()
        names = await _cells(conn, tenant_id, sorted({g for _, g in raw}), also, schemas)
        combos.update(dict.fromkeys(names.values()))
        combined = _by_cell(formula, raw, names)
    else:
        combined = {(i, (g,) if group else ()): parts for (i, g), parts in raw.items()}
        combos.update(dict.fromkeys(combo for _, combo in combined))
    named: dict[tuple[Any, ...], dict[str, Any]] = {}  # a series repeats its cell 672 times
    for (index, combo), parts in combined.items():
        start, end = periods[index]
        dims_of = named.get(combo)
        if dims_of is None:
            dims_of = named[combo] = dict(zip(dims, combo, strict=True))
        found[index, combo] = KpiRow(start, end, dims_of, formula.value(parts), parts)
    return complete_rows(formula, periods, dims, found, combos)
