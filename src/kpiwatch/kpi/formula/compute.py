"""Running a compiled formula: KPI rows with their value and parts, and exact rollups.

``compute()`` runs one statement for the whole range and every dimension combination
(ranges of more than ``MAX_PERIODS_PER_STATEMENT`` periods are split, to stay under the
drivers' limit on bound parameters) and returns one ``KpiRow`` per period and combination
of dimension values seen anywhere in the range, in period order then by dimension values
(empty values last). Its ``value`` is computed from its ``parts`` by ``Formula.value``
(``None``: no data, e.g. an empty or zero denominator).

A counter formula (``sum(pm.X)``) is computed by ``ran.counters.compute_counters`` over the
stored counter values, with the same rows and parts.

Rolling up: ``rollup(formula, [row.parts, …])`` (in ``model``) combines stored parts of an
additive formula; ``compute_rollup()`` recomputes any formula, percentiles and
``count_distinct`` included, from the rows: over all dimensions, or over a run of
consecutive periods taken as one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.ingest.datasets import DATASETS, Dataset
from kpiwatch.kpi.formula import cells
from kpiwatch.kpi.formula.compiler import compile_kpi
from kpiwatch.kpi.formula.model import Formula, part_keys

MAX_PERIODS_PER_STATEMENT = 4000
_INTEGER_FUNCTIONS = ("count", "open", "count_distinct", "seconds")


class KpiRow(NamedTuple):
    """A KPI for one period and one combination of dimension values.

    A named tuple: a backfill makes tens of thousands, and a frozen dataclass took 0.8 µs
    each to build against 0.3 µs.
    """

    period_start: datetime
    period_end: datetime
    dims: dict[str, Any]
    value: float | None
    parts: dict[str, float | int | None]


def part_kinds(formula: Formula) -> dict[str, bool]:
    """Part key → whether it is a whole count."""
    out: dict[str, bool] = {}
    for agg in formula.aggregates:
        for key in part_keys(agg):
            out[key] = (
                agg.func in _INTEGER_FUNCTIONS
                or key.endswith((".count", ".seconds"))
                or bool(agg.buckets)  # a histogram's bucket counts
            )
    return out


def as_number(value: Any, integer: bool) -> float | int | None:
    if value is None:
        return None
    # PostgreSQL returns numeric sums as Decimal and unions counts with floats.
    return int(value) if integer else float(value)


async def compute(
    conn: AsyncConnection,
    formula: Formula,
    tenant_id: int,
    periods: Sequence[tuple[datetime, datetime]],
    dimensions: Sequence[str] = (),
    *,
    datasets: dict[str, Dataset] | None = None,
    spare: Sequence[AsyncConnection] = (),
) -> list[KpiRow]:
    """The KPI for every period (``(start_utc, end_utc)`` pairs) and dimension values.

    With ``spare`` connections and a per-cell statement over one dimension, the values of
    the dimension are shared out between ``conn`` and them, and their statements run at
    the same time (one core each on the database server).
    """
    if formula.counters:
        from kpiwatch.ran.counters import compute_counters  # the RAN slice reads kpi.formula

        return await compute_counters(conn, formula, tenant_id, periods, dimensions)
    dims = tuple(dict.fromkeys(dimensions))
    catalog = datasets or DATASETS
    shares: list[Sequence[Any] | None] = [None]
    if (
        spare
        and len(dims) == 1
        and cells.usable(formula, dims, conn.dialect.name, catalog, periods)
    ):
        shares = await _shares(conn, formula, tenant_id, dims[0], catalog, 1 + len(spare))
    work = [
        _cells(c, formula, tenant_id, periods, dims, catalog, share)
        for c, share in zip([conn, *spare], shares, strict=False)
    ]
    found: dict[tuple[int, tuple[Any, ...]], KpiRow] = {}
    combos: dict[tuple[Any, ...], None] = {}
    for part_found, part_combos in await asyncio.gather(*work):
        found.update(part_found)
        combos.update(part_combos)
    return complete_rows(formula, periods, dims, found, combos)


async def _shares(
    conn: AsyncConnection,
    formula: Formula,
    tenant_id: int,
    dimension: str,
    catalog: dict[str, Dataset],
    count: int,
) -> list[Sequence[Any] | None]:
    """The dimension's values in ``count`` runs of about the same length."""
    found = list(
        (await conn.execute(cells.walk_values(formula, tenant_id, dimension, catalog))).scalars()
    )
    size = -(-len(found) // count) or 1
    return [found[i : i + size] for i in range(0, len(found), size)] or [None]


async def _cells(
    conn: AsyncConnection,
    formula: Formula,
    tenant_id: int,
    periods: Sequence[tuple[datetime, datetime]],
    dims: tuple[str, ...],
    catalog: dict[str, Dataset],
    share: Sequence[Any] | None,
) -> tuple[dict[tuple[int, tuple[Any, ...]], KpiRow], dict[tuple[Any, ...], None]]:
    """The rows found (by period index and combination) and the combinations seen."""
    kinds = part_kinds(formula)
    found: dict[tuple[int, tuple[Any, ...]], KpiRow] = {}
    combos: dict[tuple[Any, ...], None] = {}
    if conn.dialect.name == "postgresql":
        # The statement's cost estimate always triggers JIT compilation, which took 0.5–1.4 s
        # per backfill and saved nothing: the work is many small index-only scans.
        await conn.exec_driver_sql("SET LOCAL jit = off")
    for first in range(0, len(periods), MAX_PERIODS_PER_STATEMENT):
        chunk = list(periods[first : first + MAX_PERIODS_PER_STATEMENT])
        compiled = compile_kpi(
            formula,
            tenant_id=tenant_id,
            periods=chunk,
            dimensions=dims,
            dialect=conn.dialect.name,
            datasets=catalog,
            dimension_values=share,
        )
        result = await conn.execute(compiled.statement)
        position = {name: i for i, name in enumerate(result.keys())}
        at_idx = position["idx"]
        dims_of_row = _tuple_getter([position[f"d_{d}"] for d in dims])
        keys = list(compiled.part_columns)
        raw_parts = _tuple_getter([position[compiled.part_columns[k]] for k in keys])
        integer = [kinds[k] for k in keys]
        # A backfill reads tens of thousands of rows, and many cells hold the same parts
        # (5 of 5 deployments succeeded): parts and value are made once per distinct
        # numbers, each combination's dims once.
        made: dict[tuple[Any, ...], tuple[dict[str, Any], float | None]] = {}
        dims_of: dict[tuple[Any, ...], dict[str, Any]] = {}
        for row in result.all():
            raw = raw_parts(row)
            known = made.get(raw)
            if known is None:
                parts = {k: as_number(v, i) for k, v, i in zip(keys, raw, integer, strict=True)}
                known = made[raw] = (parts, formula.value(parts))
            combo = dims_of_row(row)
            named = dims_of.get(combo)
            if named is None:
                named = dims_of[combo] = dict(zip(dims, combo, strict=True))
                combos[combo] = None
            index = row[at_idx]
            start, end = chunk[index]
            found[first + index, combo] = KpiRow(start, end, named, known[1], known[0])
    return found, combos


def _tuple_getter(positions: list[int]) -> Callable[[Any], tuple[Any, ...]]:
    """A function giving the values at ``positions`` of a row, as a tuple."""
    if len(positions) > 1:
        return itemgetter(*positions)
    if positions:
        (at,) = positions
        return lambda row: (row[at],)
    return lambda row: ()


def complete_rows(
    formula: Formula,
    periods: Sequence[tuple[datetime, datetime]],
    names: Sequence[str],
    found: dict[tuple[int, tuple[Any, ...]], KpiRow],
    combos: dict[tuple[Any, ...], None],
) -> list[KpiRow]:
    """Every period × every combination of dimension values, in order: the rows ``found``
    (by period index and combination), the others with the parts of an empty period."""
    empty = empty_parts(formula)
    nothing = formula.value(empty)
    ordered = sorted(combos, key=lambda c: tuple((v is None, "" if v is None else v) for v in c))
    dims_of = {combo: dict(zip(names, combo, strict=True)) for combo in ordered}
    rows: list[KpiRow] = []
    for index, (start, end) in enumerate(periods):
        for combo in ordered:
            row = found.get((index, combo))
            if row is None:
                row = KpiRow(start, end, dims_of[combo], nothing, empty)
            rows.append(row)
    return rows


def empty_parts(formula: Formula) -> dict[str, float | int | None]:
    """The parts of a period without rows: counts and sums 0, the others no data
    (counter parts are all no data: nothing was measured)."""
    if formula.counters:
        return dict.fromkeys(formula.part_keys)
    zero = ("count", "open", "count_distinct", "sum", "avg")
    kinds = part_kinds(formula)
    return {
        key: (as_number(0, kinds[key]) if agg.func in zero else None)
        for agg in formula.aggregates
        for key in part_keys(agg)
    }


async def compute_rollup(
    conn: AsyncConnection,
    formula: Formula,
    tenant_id: int,
    periods: Sequence[tuple[datetime, datetime]],
    *,
    dimensions: Sequence[str] = (),
    across_periods: bool = False,
    datasets: dict[str, Dataset] | None = None,
) -> list[KpiRow]:
    """The KPI recomputed from the rows, exact for every aggregate.

    Dimensions not in ``dimensions`` are rolled up (all of them by default). With
    ``across_periods`` the consecutive ``periods`` count as one (a month from its days;
    a snapshot is then taken at the end of the last one) and one row per combination
    comes back.
    """
    if across_periods:
        for (_, end), (start, _) in zip(periods, periods[1:], strict=False):
            if end != start:
                raise ValueError("periods rolled up together must follow each other")
        periods = [(periods[0][0], periods[-1][1])]
    return await compute(conn, formula, tenant_id, periods, dimensions, datasets=datasets)
