"""The SQL of a counter formula: where each counter sits, and one grouped SELECT per range.

A counter formula (``100 * sum(pm.RRC.ConnEstabSucc.sum) / sum(pm.RRC.ConnEstabAtt.sum)``)
needs, per period and group (nothing, an NE, an object), a few aggregates of counter
values: its *pieces* (sum, count, min, max of a counter, the seconds its values cover,
Σ value × seconds for a time-weighted mean). Values sit in arrays, a row per (object,
counter list, period), so where a counter is depends on the row's schema: ``layout()``
resolves it in Python from ``pm_schemas``, and the statement reads only the schemas that
hold a counter of the formula, picking the value with ``CASE schema_id WHEN … THEN
vals[i] END`` (subcounters added in SQL).

How a row finds its period (the one holding its ``period_start``) depends on the engine:

- PostgreSQL: ``width_bucket(period_start, <sorted boundaries>)`` during one range scan,
  ``GROUP BY`` bucket and group. Joining a ``periods`` table instead made the planner test
  every row against every period (7 × 672 k comparisons for a week of days: 1.4 s).
- SQLite: one correlated subquery per period, which it runs as one index range each,
  returning the period's groups as a JSON array. A join on the periods table used only
  the lower bound of each range (a week of one cell's quarters: 250–500 ms instead of
  15 ms). Its JSON writes numbers with 15 significant digits. For one object,
  ``counter_scan`` reads the rows of the whole range at once and adds them up in Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    DateTime,
    and_,
    bindparam,
    case,
    func,
    literal,
    literal_column,
    not_,
    null,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core.db import sqlite_timestamp
from kpiwatch.kpi.formula import Formula
from kpiwatch.kpi.formula.model import part_keys
from kpiwatch.ran.models import pm_at, pm_days, pm_objects, pm_schemas, pm_values

Layout = dict[str, dict[int, tuple[int, ...]]]
"""counter → schema id → the positions whose values add up to it."""


@dataclass(frozen=True)
class Piece:
    """One SQL aggregate of one counter: sum, count, min, max, seconds or weighted."""

    kind: str
    counter: str


def pieces(formula: Formula) -> dict[str, Piece]:
    """Part key → the piece it is."""
    out: dict[str, Piece] = {}
    for agg in formula.aggregates:
        assert agg.counter is not None
        if agg.func == "avg":
            weighted, seconds = part_keys(agg)
            out[weighted] = Piece("weighted", agg.counter)
            out[seconds] = Piece("seconds", agg.counter)
        else:
            out[agg.key] = Piece(agg.func, agg.counter)
    return out


def positions(counter: str, names: Sequence[str]) -> tuple[int, ...]:
    """Where ``counter`` is in a schema's counter list: its own position; for a missing
    ``X.sum``, the positions of its subcounters ``X.<sub>`` and ``X[i]``, else of ``X``
    itself (a counter reported without a split is its own total); () when none is there."""
    if counter in names:
        return (names.index(counter),)
    if not counter.endswith(".sum"):
        return ()
    base = counter[: -len(".sum")]
    subs = tuple(i for i, n in enumerate(names) if n.startswith((base + ".", base + "[")))
    if subs:
        return subs
    return (names.index(base),) if base in names else ()


async def layout(conn: AsyncConnection, tenant_id: int, counters: Sequence[str]) -> Layout:
    """Where each counter is, in every schema of the tenant that has it."""
    rows = await conn.execute(
        select(pm_schemas.c.id, pm_schemas.c.counters).where(pm_schemas.c.tenant_id == tenant_id)
    )
    out: Layout = {c: {} for c in counters}
    for schema_id, names in rows:
        for counter in counters:
            found = positions(counter, list(names))
            if found:
                out[counter][schema_id] = found
    return out


def _value(
    where: dict[int, tuple[int, ...]],
    schemas: int,
    schema_id: ColumnElement[Any] = pm_values.c.schema_id,
    vector: ColumnElement[Any] = pm_values.c.vals,
) -> ColumnElement[Any]:
    """A counter's value in one row of ``vector`` (NULL when its schema lacks it)."""

    def at(found: tuple[int, ...]) -> ColumnElement[Any]:
        cells = [pm_at(vector, literal_column(str(i))) for i in found]
        if len(cells) == 1:
            return cells[0]
        total: ColumnElement[Any] = func.coalesce(cells[0], literal(0.0))
        for cell in cells[1:]:
            total = total + func.coalesce(cell, literal(0.0))
        return case((and_(*(c.is_(None) for c in cells)), null()), else_=total)

    if len(where) == 1 and schemas == 1:
        return at(next(iter(where.values())))
    return case(*((schema_id == sid, at(found)) for sid, found in sorted(where.items())))


def _aggregate(piece: Piece, value: ColumnElement[Any]) -> ColumnElement[Any]:
    gran = pm_values.c.gran_s
    if piece.kind == "seconds":
        return func.sum(case((value.is_not(None), gran)))
    if piece.kind == "weighted":
        return func.sum(value * gran)
    if piece.kind == "count":
        return func.count(value)
    aggregate: ColumnElement[Any] = getattr(func, piece.kind)(value)
    return aggregate


@dataclass(frozen=True)
class Statement:
    """One range's SELECT and how to read it: ``columns`` maps each computed part key to
    its place among a row's values; ``period_of`` maps the statement's period number to
    the index in the range (None: a gap between periods, rows left out)."""

    select: Any
    columns: dict[str, int]
    period_of: dict[Any, int | None]
    packed: bool  # SQLite: one row per period, its groups in a JSON array

    def rows(self, result: Iterable[Sequence[Any]]) -> Iterator[tuple[int, Any, Sequence[Any]]]:
        """(period index, group, values) of every group with rows."""
        for row in result:
            index = self.period_of.get(row[0])
            if index is None:
                continue
            if not self.packed:
                yield index, row[1], row[2:]
                continue
            for group, *values in orjson.loads(row[1]):
                yield index, group, values


def _sqlite_periods(periods: Sequence[tuple[datetime, datetime]]) -> Any:
    """``periods(idx, start_utc, end_utc)`` from one JSON parameter: a VALUES list of
    672 quarter-hours is 2,016 parameters, and SQLAlchemy took 130 ms to compile it."""
    moments = {moment for span in periods for moment in span}  # an end is the next start
    stamps = {moment: sqlite_timestamp(moment) for moment in moments}
    text = orjson.dumps([[stamps[s], stamps[e]] for s, e in periods])
    each = func.json_each(bindparam("periods", text.decode())).table_valued("key", "value")
    return select(
        each.c.key.label("idx"),
        func.json_extract(each.c.value, "$[0]").label("start_utc"),
        func.json_extract(each.c.value, "$[1]").label("end_utc"),
    ).cte("periods")


def buckets(
    periods: Sequence[tuple[datetime, datetime]],
) -> tuple[list[datetime], dict[Any, int | None]]:
    """The periods' boundaries, sorted, and the period index of each bucket between two
    neighbours, numbered from 1 as ``width_bucket`` and ``bisect_right`` number them
    (``None``: a gap between periods)."""
    bounds = sorted({moment for span in periods for moment in span})
    index = {span: i for i, span in enumerate(periods)}
    return bounds, {b: index.get((bounds[b - 1], bounds[b])) for b in range(1, len(bounds))}


def statement(
    formula: Formula,
    tenant_id: int,
    periods: Sequence[tuple[datetime, datetime]],
    where: Layout,
    group: str,
    objects: Sequence[int] | None,
    dialect: str,
) -> Statement:
    """The SELECT of ``formula``'s pieces per period and ``group`` ("", "ne", "object")."""
    v = pm_values.c
    schemas = sorted({sid for found in where.values() for sid in found})
    aggregates: dict[Piece, ColumnElement[Any]] = {}
    columns: dict[str, int] = {}
    for key, piece in pieces(formula).items():
        if not where[piece.counter]:
            continue  # no schema has it: the part stays None
        if piece not in aggregates:
            value = _value(where[piece.counter], len(schemas))
            aggregates[piece] = _aggregate(piece, value).label(f"q{len(aggregates)}")
        columns[key] = list(aggregates).index(piece)
    source, grouped = _grouping(pm_values, v.object_id, group)
    conditions = [v.tenant_id == tenant_id, v.schema_id.in_(schemas), not_(v.suspect)]
    if objects is not None:
        conditions.append(v.object_id.in_(list(objects)))
    if dialect == "postgresql":
        bounds, period_of = buckets(periods)
        array = bindparam("bounds", bounds, type_=ARRAY(DateTime(timezone=True)))
        bucket = func.width_bucket(v.period_start, array)
        stmt = (
            select(bucket.label("idx"), grouped.label("g"), *aggregates.values())
            .select_from(source)
            .where(*conditions, v.period_start >= bounds[0], v.period_start < bounds[-1])
            .group_by(bucket, grouped)
        )
        return Statement(stmt, columns, period_of, packed=False)
    period = _sqlite_periods(periods)
    if group == "object" and objects is None:
        # ``+ 0``: grouped by the bare column, SQLite chose to walk the primary key for its
        # order, every row of the tenant for each period, not the period's range of
        # ``ix_pm_values_tenant_period`` (a day of hours over the demo's 9 cells: 60 ms →
        # 1.5 ms; the default /ran page ran 38 of them). Chosen objects keep the key.
        grouped = grouped + literal_column("0")
    inner = (
        select(grouped.label("g"), *aggregates.values())
        .select_from(source)
        .where(
            *conditions,
            v.period_start >= period.c.start_utc,
            v.period_start < period.c.end_utc,
        )
        .group_by(grouped)
        .correlate(period)
        .subquery("per_group")
    )
    packed = select(func.json_group_array(func.json_array(*inner.c))).scalar_subquery()
    stmt = select(period.c.idx, packed.label("j"))
    return Statement(stmt, columns, {i: i for i in range(len(periods))}, packed=True)


_DAY_VECTORS = {"sum": "sums", "count": "counts", "seconds": "seconds", "weighted": "weighted"}


def day_ready(formula: Formula, where: Layout) -> bool:
    """Whether ``pm_days`` holds every piece of ``formula``: sums and time-weighted means
    always; counts and seconds when the counter is one position (its subcounters' values
    may be missing in different rows); min and max never."""
    for piece in pieces(formula).values():
        if piece.kind not in _DAY_VECTORS:
            return False
        if piece.kind in ("count", "seconds") and any(
            len(found) > 1 for found in where[piece.counter].values()
        ):
            return False
    return True


def day_statement(
    formula: Formula,
    tenant_id: int,
    periods: Sequence[tuple[datetime, datetime]],
    where: Layout,
    group: str,
    objects: Sequence[int] | None,
) -> Statement:
    """``statement()`` for periods that are whole local days, from ``pm_days``: each piece
    is the sum of its day totals (see ``day_ready``)."""
    d = pm_days.c
    schemas = sorted({sid for found in where.values() for sid in found})
    aggregates: dict[Piece, ColumnElement[Any]] = {}
    columns: dict[str, int] = {}
    for key, piece in pieces(formula).items():
        if not where[piece.counter]:
            continue
        if piece not in aggregates:
            vector = d[_DAY_VECTORS[piece.kind]]
            total: ColumnElement[Any] = func.sum(
                _value(where[piece.counter], len(schemas), d.schema_id, vector)
            )
            if piece.kind == "count":
                total = func.coalesce(total, literal(0))  # as count() of rows without a value
            aggregates[piece] = total.label(f"q{len(aggregates)}")
        columns[key] = list(aggregates).index(piece)
    source, grouped = _grouping(pm_days, d.object_id, group)
    conditions = [
        d.tenant_id == tenant_id,
        d.schema_id.in_(schemas),
        d.day_start >= min(start for start, _ in periods),
        d.day_start <= max(start for start, _ in periods),
    ]
    if objects is not None:
        conditions.append(d.object_id.in_(list(objects)))
    stmt = (
        select(d.day_start, grouped.label("g"), *aggregates.values())
        .select_from(source)
        .where(*conditions)
        .group_by(d.day_start, grouped)
    )
    period_of: dict[Any, int | None] = {start: i for i, (start, _) in enumerate(periods)}
    return Statement(stmt, columns, period_of, packed=False)


def _grouping(table: Any, object_id: Any, group: str) -> tuple[Any, ColumnElement[Any]]:
    """The rows' source and the column they are grouped by: object, NE or all as one."""
    if group == "object":
        return table, object_id
    if group == "ne":
        return table.join(pm_objects, pm_objects.c.id == object_id), pm_objects.c.ne
    return table, literal(0)
