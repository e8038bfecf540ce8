"""A checked formula to one SQLAlchemy Core ``SELECT`` for SQLite and PostgreSQL.

When the datasets have the indexes for it, ``cells`` builds the statement (one index range
per period and dimension value, no ``GROUP BY``); otherwise it is the grouped statement
below, which works for any formula, dimensions and periods.

The statement computes the parts of every aggregate for every period and every
combination of the requested dimensions at once::

    WITH periods(idx, start_utc, end_utc) AS (VALUES (0, :s0, :e0), (1, :s1, :e1), …),
         merged AS (
           -- one branch per source: dataset + time field (or snapshot span)
           SELECT periods.idx, t.service AS d_service,
                  count(CASE WHEN <cond 1> THEN 1 END) AS p_count_1, …
           FROM periods JOIN service_requests t
             ON t.tenant_id = :tenant AND t.resolved_at >= periods.start_utc
                                        AND t.resolved_at < periods.end_utc
           WHERE <cond 1> OR <cond 2>
           GROUP BY periods.idx, t.service
           UNION ALL …),
         combos AS (SELECT DISTINCT d_service FROM merged)
    SELECT periods.idx, combos.d_service, coalesce(merged.p_count_1, 0), …
    FROM periods CROSS JOIN combos LEFT JOIN merged ON …

Period boundaries come from Python (``kpi.periods``), so buckets follow the tenant's time
zone through DST changes on both engines, and the range join on the time column uses the
``(tenant_id, <time>)`` index. A snapshot (``open``) joins on ``start < end_utc AND (end IS
NULL OR end >= end_utc)``. Every period gets a row, and with dimensions every combination
seen anywhere in the range gets a row in every period (zero counts, ``None`` averages).

Percentiles are exact: ``percentile_cont`` on PostgreSQL; on SQLite the same linear
interpolation between the ordered rows ``floor(p·(n-1))`` and the next, found with
``row_number()`` over the period and dimensions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CTE,
    Float,
    Integer,
    Select,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement

from kpiwatch.ingest.datasets import DATASETS, Dataset
from kpiwatch.kpi.formula import cells, histogram
from kpiwatch.kpi.formula.ast import (
    PERCENTILES,
    Aggregate,
    FieldRef,
)
from kpiwatch.kpi.formula.model import Formula, part_keys
from kpiwatch.kpi.formula.rowsql import RowSql, part_column, periods_cte

_SUMMED = ("count", "open", "sum", "avg", "count_distinct")


@dataclass(frozen=True)
class CompiledKpi:
    """The statement and how to read its rows: ``idx`` (index into ``periods``), one
    ``d_<dimension>`` column per dimension, one column per part (``part_columns``)."""

    statement: Select[Any]
    formula: Formula
    periods: tuple[tuple[datetime, datetime], ...]
    dimensions: tuple[str, ...]
    part_columns: dict[str, str]


class _Builder:
    def __init__(
        self,
        formula: Formula,
        tenant_id: int,
        dimensions: tuple[str, ...],
        dialect: str,
        datasets: dict[str, Dataset],
    ) -> None:
        self.formula = formula
        self.tenant_id = tenant_id
        self.dimensions = dimensions
        self.dialect = dialect
        self.datasets = datasets
        self.keys = list(formula.part_keys)

    def branches(self, periods: CTE) -> list[Select[Any]]:
        sources: dict[tuple[str, ...], list[Aggregate]] = {}
        out: list[Select[Any]] = []
        for agg in self.formula.aggregates:
            if agg.func in PERCENTILES and not agg.buckets and self.dialect != "postgresql":
                out.append(self._percentile_branch(periods, agg))
                continue
            source: tuple[str, ...]
            if agg.span is not None:
                source = (agg.dataset.name, "open", agg.span[0].name, agg.span[1].name)
            else:
                assert agg.by is not None
                source = (agg.dataset.name, "by", agg.by.name)
            sources.setdefault(source, []).append(agg)
        out += [self._source_branch(periods, aggs) for aggs in sources.values()]
        return out

    def _from(self, periods: CTE, agg: Aggregate) -> tuple[RowSql, Any, list[Any]]:
        table = self.datasets[agg.dataset.name].table
        sql = RowSql(table, self.dialect)
        if agg.span is not None:
            start, end = table.c[agg.span[0].name], table.c[agg.span[1].name]
            on = and_(
                table.c.tenant_id == self.tenant_id,
                start < periods.c.end_utc,
                or_(end.is_(None), end >= periods.c.end_utc),
            )
        else:
            assert agg.by is not None
            at = table.c[agg.by.name]
            on = and_(
                table.c.tenant_id == self.tenant_id,
                at >= periods.c.start_utc,
                at < periods.c.end_utc,
            )
        keys = [periods.c.idx.label("idx")]
        keys += [table.c[d].label(f"d_{d}") for d in self.dimensions]
        return sql, periods.join(table, on), keys

    def _columns(self, own: dict[str, ColumnElement[Any]]) -> list[ColumnElement[Any]]:
        return [
            (own[k] if k in own else cast(null(), Float)).label(part_column(k)) for k in self.keys
        ]

    def _source_branch(self, periods: CTE, aggs: list[Aggregate]) -> Select[Any]:
        sql, joined, keys = self._from(periods, aggs[0])
        conds = {a.where for a in aggs}
        shared = len(conds) == 1
        own: dict[str, ColumnElement[Any]] = {}
        for agg in aggs:
            when = None if shared or agg.where is None else sql.cond(agg.where)
            if agg.buckets:
                own.update(_histogram_sums(sql, agg, when))
                continue
            measure = literal_column("1") if agg.measure is None else sql.node(agg.measure)
            value = measure if when is None else case((when, measure))
            counts_rows = agg.measure is None and when is None
            own.update(self._aggregate(agg, value, counts_rows))
        stmt = select(*keys, *self._columns(own)).select_from(joined)
        if None not in conds:
            stmt = stmt.where(or_(*(sql.cond(c) for c in conds if c is not None)))
        return stmt.group_by(*keys)

    def _aggregate(
        self, agg: Aggregate, value: ColumnElement[Any], counts_rows: bool
    ) -> dict[str, ColumnElement[Any]]:
        key = agg.key
        if agg.func in ("count", "open"):
            return {key: func.count() if counts_rows else func.count(value)}
        if agg.func == "count_distinct":
            return {key: func.count(value.distinct())}
        if agg.func == "avg":
            return {f"{key}.sum": func.sum(value), f"{key}.count": func.count(value)}
        if agg.func in PERCENTILES:
            fraction = literal(PERCENTILES[agg.func])
            return {key: func.percentile_cont(fraction).within_group(cast(value, Float))}
        return {key: getattr(func, agg.func)(value)}

    def _percentile_branch(self, periods: CTE, agg: Aggregate) -> Select[Any]:
        assert agg.measure is not None
        sql, joined, keys = self._from(periods, agg)
        measure = cast(sql.node(agg.measure), Float)
        partition = keys
        ranked = (
            select(
                *keys,
                measure.label("v"),
                func.row_number().over(partition_by=partition, order_by=measure).label("rn"),
                func.count().over(partition_by=partition).label("n"),
            )
            .select_from(joined)
            .where(measure.is_not(None))
        )
        if agg.where is not None:
            ranked = ranked.where(sql.cond(agg.where))
        r = ranked.subquery("ranked")
        # PostgreSQL's percentile_cont: h = p·(n-1); lo = floor(h); value = row[lo] +
        # (h - lo)·(row[lo+1] - row[lo]), rows counted from 0.
        h = literal(PERCENTILES[agg.func]) * (r.c.n - 1)
        low = cast(h, Integer)
        picked = (
            select(
                r.c.idx,
                *(r.c[f"d_{d}"] for d in self.dimensions),
                func.max(case((r.c.rn == low + 1, r.c.v))).label("lo"),
                func.max(case((r.c.rn == low + 2, r.c.v))).label("hi"),
                func.max(h - low).label("frac"),
            )
            .group_by(r.c.idx, *(r.c[f"d_{d}"] for d in self.dimensions))
            .subquery("picked")
        )
        lo, hi = picked.c.lo, func.coalesce(picked.c.hi, picked.c.lo)
        value = lo + picked.c.frac * (hi - lo)
        return select(
            picked.c.idx,
            *(picked.c[f"d_{d}"] for d in self.dimensions),
            *self._columns({agg.key: value}),
        )


def _histogram_sums(
    sql: RowSql, agg: Aggregate, when: ColumnElement[bool] | None
) -> dict[str, ColumnElement[Any]]:
    """A histogram percentile's parts: each bucket column (``<field>_le_<ms>``) summed."""
    assert isinstance(agg.measure, FieldRef)
    out: dict[str, ColumnElement[Any]] = {}
    for key, name in zip(
        histogram.part_keys(agg.key, agg.buckets), histogram.bucket_names(agg.buckets), strict=True
    ):
        column: ColumnElement[Any] = sql.t.c[f"{agg.measure.name}_{name}"]
        out[key] = func.sum(column if when is None else case((when, column)))
    return out


def compile_kpi(
    formula: Formula,
    *,
    tenant_id: int,
    periods: Sequence[tuple[datetime, datetime]],
    dimensions: Sequence[str] = (),
    dialect: str,
    datasets: dict[str, Dataset] | None = None,
    dimension_values: Sequence[Any] | None = None,
) -> CompiledKpi:
    """One statement computing ``formula``'s parts for every period and dimension values.

    ``periods`` are ``(start_utc, end_utc)`` pairs (aware datetimes, see ``kpi.periods``);
    ``dimensions`` must be in ``formula.dimensions_allowed``; ``dialect`` is ``"sqlite"``
    or ``"postgresql"``. ``dimension_values`` limits the one dimension to those values
    (only for the per-cell statement: ``cells.usable``).
    """
    if not periods:
        raise ValueError("no periods to compute")
    if formula.counters:
        raise ValueError("a counter formula is computed by ran.counters, through compute()")
    dims = tuple(dict.fromkeys(dimensions))
    unknown = [d for d in dims if d not in formula.dimensions_allowed]
    if unknown:
        allowed = ", ".join(formula.dimensions_allowed) or "none"
        raise ValueError(f"cannot group by {', '.join(unknown)}; allowed: {allowed}")
    if dialect not in ("sqlite", "postgresql"):
        raise ValueError(f"unsupported dialect {dialect!r}")
    catalog = datasets or DATASETS
    period_cte = periods_cte(periods, dialect)
    if cells.usable(formula, dims, dialect, catalog, periods):
        per_cell = cells.CellsBuilder(
            formula, tenant_id, dims, dialect, catalog, period_cte, periods[0][0], dimension_values
        )
        statement, labels = per_cell.statement()
        return CompiledKpi(statement, formula, tuple(periods), dims, labels)
    if dimension_values is not None:
        raise ValueError("dimension values can only be chosen for the per-cell statement")
    builder = _Builder(formula, tenant_id, dims, dialect, catalog)
    branches = builder.branches(period_cte)
    labels = {k: part_column(k) for k in formula.part_keys}
    kinds = {k: agg.func for agg in formula.aggregates for k in part_keys(agg)}
    if len(branches) == 1:
        merged = branches[0].cte("merged")
    else:
        union = union_all(*branches).subquery("branches")
        merged = (
            select(
                union.c.idx,
                *(union.c[f"d_{d}"] for d in dims),
                *(func.max(union.c[labels[k]]).label(labels[k]) for k in labels),
            )
            .group_by(union.c.idx, *(union.c[f"d_{d}"] for d in dims))
            .cte("merged")
        )
    on = merged.c.idx == period_cte.c.idx
    source: Any = period_cte
    dim_columns: list[ColumnElement[Any]] = []
    if dims:
        combos = select(*(merged.c[f"d_{d}"] for d in dims)).distinct().cte("combos")
        source = period_cte.join(combos, true())
        on = and_(on, *(merged.c[f"d_{d}"].is_not_distinct_from(combos.c[f"d_{d}"]) for d in dims))
        dim_columns = [combos.c[f"d_{d}"] for d in dims]
    part_cols = [
        (
            func.coalesce(merged.c[labels[k]], 0) if kinds[k] in _SUMMED else merged.c[labels[k]]
        ).label(labels[k])
        for k in labels
    ]
    statement = (
        select(period_cte.c.idx, *dim_columns, *part_cols)
        .select_from(source.outerjoin(merged, on))
        .order_by(period_cte.c.idx, *dim_columns)
    )
    return CompiledKpi(statement, formula, tuple(periods), dims, labels)
