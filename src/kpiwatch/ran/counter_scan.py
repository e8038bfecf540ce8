"""One object's counter pieces by one range scan, added up per period in Python.

SQLite runs ``counter_sql``'s statement as one correlated subquery per period: a week of
one cell's quarter-hours is 672 of them. For one object, ``scan()`` reads the object's
rows over the whole range at once instead (a primary-key range per counter list,
``(tenant, object, schema, period_start)``) and adds them up per period here, with the
statement's rules (``counters``): suspect rows left out, a missing ``X.sum`` the sum of its
subcounters (``None`` when all of them are), ``seconds`` and ``weighted`` over the rows
with a value, ``count`` 0 and the other pieces ``None`` in a period whose rows have no
value, nothing at all for a period without rows. Rows are added in the index's order, as
the statement adds them, so the sums are the same. A row belongs to the period holding
its ``period_start``: the boundaries are sorted once (``counter_sql.buckets``, as for
PostgreSQL's ``width_bucket``) and each row is placed by bisection.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import String, not_, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.kpi.formula import Formula
from kpiwatch.ran.counter_sql import Layout, Piece, buckets, pieces
from kpiwatch.ran.models import pm_values

Number = float | int
Vector = Sequence[Number | None]
Reader = Callable[[Vector], Number | None]
Values = list[Number | None]


def _reader(found: tuple[int, ...]) -> Reader:
    """A counter's value in one row: its position, or its subcounters added up in order
    (``None`` when all of them are), as ``counter_sql._value``."""
    if len(found) == 1:
        return itemgetter(found[0])

    def total(vals: Vector) -> Number | None:
        cells = [vals[i] for i in found]
        if all(cell is None for cell in cells):
            return None
        out: Number = 0.0 if cells[0] is None else cells[0]
        for cell in cells[1:]:
            out = out + (0.0 if cell is None else cell)
        return out

    return total


class Plan:
    """What to add up for ``formula``: ``columns`` maps each part key a schema holds to
    its place among a period's values (as ``counter_sql.Statement.columns``), ``steps``
    each schema's (place, kind, reader) of its pieces."""

    def __init__(self, formula: Formula, where: Layout) -> None:
        self.columns: dict[str, int] = {}
        self.kinds: list[str] = []
        self.steps: dict[int, list[tuple[int, str, Reader]]] = {}
        planned: dict[Piece, int] = {}
        for key, piece in pieces(formula).items():
            if not where[piece.counter]:
                continue  # no schema has it: the part stays None
            if piece not in planned:
                place = planned[piece] = len(self.kinds)
                self.kinds.append(piece.kind)
                for schema_id, found in where[piece.counter].items():
                    step = (place, piece.kind, _reader(found))
                    self.steps.setdefault(schema_id, []).append(step)
            self.columns[key] = planned[piece]
        self._empty: Values = [0 if kind == "count" else None for kind in self.kinds]

    def empty(self) -> Values:
        """A period's values before its first row: counts 0, the others no data."""
        return self._empty.copy()

    def add(self, totals: Values, schema_id: int, gran: int, vals: Vector) -> None:
        """One row's values into its period's ``totals``."""
        for place, kind, read in self.steps[schema_id]:
            value = read(vals)
            if value is None:
                continue
            total = totals[place]
            if kind == "count":
                totals[place] = (total or 0) + 1
            elif kind == "seconds":
                totals[place] = gran if total is None else total + gran
            elif kind == "min":
                totals[place] = value if total is None or value < total else total
            elif kind == "max":
                totals[place] = value if total is None or value > total else total
            else:  # sum, weighted
                if kind == "weighted":
                    value = value * gran
                totals[place] = value if total is None else total + value


def _starts(dialect: str, column: Any) -> tuple[Any, Callable[[Any], datetime]]:
    """The ``period_start`` to select and how to read it as an aware UTC datetime: SQLite's
    text read by ``fromisoformat`` (through ``UTCDateTime`` a week of quarter-hours took
    2 ms more: about 3 µs a row)."""
    if dialect == "sqlite":
        return type_coerce(column, String), lambda text: datetime.fromisoformat(text + "+00:00")
    return column, lambda moment: moment


async def scan(
    conn: AsyncConnection,
    formula: Formula,
    tenant_id: int,
    periods: Sequence[tuple[datetime, datetime]],
    where: Layout,
    object_id: int,
) -> tuple[dict[str, int], Iterator[tuple[int, int, Values]]]:
    """``formula``'s pieces for one object per period with rows: the part keys' places
    among the values, and (period index, ``object_id``, values) of each."""
    plan = Plan(formula, where)
    bounds, period_of = buckets(periods)
    v = pm_values.c
    start, read_start = _starts(conn.dialect.name, v.period_start)
    rows = await conn.execute(
        select(v.schema_id, start, v.gran_s, v.vals)
        .where(
            v.tenant_id == tenant_id,
            v.object_id == object_id,
            v.schema_id.in_(sorted(plan.steps)),
            v.period_start >= bounds[0],
            v.period_start < bounds[-1],
            not_(v.suspect),
        )
        .order_by(v.schema_id, v.period_start)  # the primary key's order: no sort
    )
    found: dict[int, Values] = {}
    for schema_id, moment, gran, vals in rows:
        at = period_of.get(bisect_right(bounds, read_start(moment)))
        if at is None:
            continue  # between two periods
        totals = found.get(at)
        if totals is None:
            totals = found[at] = plan.empty()
        plan.add(totals, schema_id, gran, vals)
    return plan.columns, ((at, object_id, totals) for at, totals in found.items())
