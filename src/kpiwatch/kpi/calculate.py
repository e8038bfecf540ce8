"""Computing a KPI over periods and storing the values (replacing what was there).

For every period, one row per combination of the KPI's dimensions and one total row
(``dims_key = ''``). Totals of additive formulas are Σ parts of the dimension rows; those
of percentiles and ``count_distinct`` are recomputed from the events.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from itertools import chain
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core.db import Database, sqlite_timestamp
from kpiwatch.core.models import tenants
from kpiwatch.kpi import periods as kpi_periods
from kpiwatch.kpi.formula import parse
from kpiwatch.kpi.formula.compute import KpiRow, compute
from kpiwatch.kpi.models import kpi_definitions, kpi_values
from kpiwatch.kpi.revisions import raise_revision

# Connections a PostgreSQL backfill computes on at once: the server's cores (this machine
# kind has two).
CORES = 2


@dataclass(frozen=True)
class Computed:
    periods: list[tuple[datetime, datetime]]
    totals: list[KpiRow]
    by_dims: list[KpiRow]


def dims_key(dims: dict[str, Any]) -> str:
    return orjson.dumps(dims, option=orjson.OPT_SORT_KEYS).decode() if dims else ""


async def tenant_zone(conn: AsyncConnection, tenant_id: int) -> ZoneInfo:
    name = (
        await conn.execute(select(tenants.c.timezone).where(tenants.c.id == tenant_id))
    ).scalar_one()
    return ZoneInfo(name)


async def _compute(
    conn: AsyncConnection,
    kpi: dict[str, Any],
    periods: list[tuple[datetime, datetime]],
    spare: list[AsyncConnection],
) -> Computed:
    formula = parse(kpi["formula"])
    dims = list(kpi["dimensions"])
    if not dims:
        totals = await compute(conn, formula, kpi["tenant_id"], periods)
        return Computed(periods, totals, [])
    rows = await compute(conn, formula, kpi["tenant_id"], periods, dims, spare=spare)
    if not formula.additive:
        totals = await compute(conn, formula, kpi["tenant_id"], periods)
        return Computed(periods, totals, rows)
    # ``rows`` hold every period × the same combinations, in period order.
    width = len(rows) // len(periods)
    totals = []
    for i, (start, end) in enumerate(periods):
        parts = formula.combine([r.parts for r in rows[i * width : (i + 1) * width]])
        totals.append(KpiRow(start, end, {}, formula.value(parts), parts))
    return Computed(periods, totals, rows)


_COLUMNS = (
    "kpi_id",
    "period_start",
    "period_end",
    "dims_key",
    "dims",
    "value",
    "parts",
    "computed_at",
)
# Rows per SQLite INSERT: one statement step stores many rows (a two-year daily backfill's
# 37 k rows took 0.13–0.17 s by one row per step, 0.11 s by 100; 800 parameters, far under
# SQLite's limit of 32,766).
_SQLITE_ROWS = 100


def _sqlite_insert(rows: int) -> str:
    one = f"({', '.join('?' for _ in _COLUMNS)})"
    return f"INSERT INTO kpi_values ({', '.join(_COLUMNS)}) VALUES {', '.join([one] * rows)}"


async def _store(
    conn: AsyncConnection, kpi: dict[str, Any], computed: Computed, now: datetime
) -> None:
    kpi_id = kpi["id"]
    # Held until commit, so the KPI cannot be deleted under its new values (there is no
    # foreign key to refuse them: migration kpi_0013).
    still_there = select(kpi_definitions.c.id).where(kpi_definitions.c.id == kpi_id)
    if (await conn.execute(still_there.with_for_update(key_share=True))).first() is None:
        return
    await raise_revision(conn, kpi["tenant_id"])
    first, last = computed.periods[0][0], computed.periods[-1][1]
    await conn.execute(
        delete(kpi_values).where(
            kpi_values.c.kpi_id == kpi_id,
            kpi_values.c.period_start >= first,
            kpi_values.c.period_start < last,
        )
    )
    rows = [*computed.totals, *computed.by_dims]
    if not rows:
        return
    # A two-year daily backfill per service writes ~37 k rows: SQLAlchemy's executemany of
    # dicts (type processing, JSON per value) took 1.5–2.5 s of it, the driver's own bulk
    # path with JSON encoded by orjson a tenth of that.
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    if conn.dialect.name == "postgresql":
        records = _records(kpi_id, rows, {}, now)
        await driver.copy_records_to_table("kpi_values", records=records, columns=_COLUMNS)
        return
    stamps: dict[datetime, Any] = {}
    for start, end in computed.periods:
        stamps[start], stamps[end] = sqlite_timestamp(start), sqlite_timestamp(end)
    records = _records(kpi_id, rows, stamps, sqlite_timestamp(now))
    whole = len(records) - len(records) % _SQLITE_ROWS
    if whole:
        await driver.executemany(
            _sqlite_insert(_SQLITE_ROWS),
            [
                list(chain.from_iterable(records[i : i + _SQLITE_ROWS]))
                for i in range(0, whole, _SQLITE_ROWS)
            ],
        )
    if whole < len(records):
        await driver.executemany(_sqlite_insert(1), records[whole:])


def _records(
    kpi_id: int, rows: list[KpiRow], stamps: dict[datetime, Any], computed_at: Any
) -> list[tuple[Any, ...]]:
    """Rows in ``_COLUMNS`` order, times through ``stamps`` where given, JSON as text.

    Rows share their dims and, often, their parts objects (``compute``): each is turned
    into text once, found again by identity (the rows keep them alive meanwhile).
    """
    dims_text: dict[int, tuple[str, str]] = {}
    parts_text: dict[int, str] = {}
    out = []
    for row in rows:
        dims = dims_text.get(id(row.dims))
        if dims is None:
            dims = dims_text[id(row.dims)] = (
                dims_key(row.dims),
                orjson.dumps(row.dims).decode(),
            )
        parts = parts_text.get(id(row.parts))
        if parts is None:
            parts = parts_text[id(row.parts)] = orjson.dumps(row.parts).decode()
        start, end = row.period_start, row.period_end
        out.append(
            (
                kpi_id,
                stamps.get(start, start),
                stamps.get(end, end),
                *dims,
                row.value,
                parts,
                computed_at,
            )
        )
    return out


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the duration.

    A backfill makes a few hundred thousand short-lived objects (rows, parts, values), and
    the collections they set off walk every object of the process, a web app's included:
    0.2–0.6 s of a two-year daily backfill, half its Python time. The rows hold no
    reference cycles; reference counting frees them. Another coroutine that pauses it at
    the same time finds it off and leaves it to the first one to turn back on.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


async def calculate(
    db: Database, kpi: dict[str, Any], first_day: date, last_day: date, now: datetime
) -> Computed:
    """Compute and store every period of the KPI that overlaps the local dates given.

    The period holding ``now`` is computed to date; periods after it are left out.
    """
    with _collector_paused():
        return await _calculate(db, kpi, first_day, last_day, now)


async def _calculate(
    db: Database, kpi: dict[str, Any], first_day: date, last_day: date, now: datetime
) -> Computed:
    async with db.read() as conn:
        if not db.is_sqlite:
            # One snapshot for every statement of the computation (the totals of a
            # percentile are a statement of their own), shared with the spare connections.
            conn = await conn.execution_options(isolation_level="REPEATABLE READ")
        zone = await tenant_zone(conn, kpi["tenant_id"])
        periods = [
            p for p in kpi_periods.periods(kpi["period"], first_day, last_day, zone) if p[0] <= now
        ]
        if not periods:
            return Computed([], [], [])
        async with AsyncExitStack() as stack:
            spare = []
            if len(periods) > 1 and not db.is_sqlite:
                # A backfill: the database server's cores share the statement's work. (On
                # SQLite, inside this process, a second connection cost more CPU than it
                # saved time.)
                snapshot = (await conn.exec_driver_sql("SELECT pg_export_snapshot()")).scalar_one()
                for _ in range(CORES - 1):
                    other = await stack.enter_async_context(db.read())
                    spare.append(await _in_snapshot(other, snapshot))
            computed = await _compute(conn, kpi, periods, spare)
    async with db.write() as conn:
        await _store(conn, kpi, computed, now)
    return computed


_SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9]+)?")


async def _in_snapshot(conn: AsyncConnection, snapshot: str) -> AsyncConnection:
    """``conn`` in a transaction that sees what the one which exported ``snapshot`` sees."""
    # SET TRANSACTION SNAPSHOT takes no parameter; the id comes from the server, and is
    # checked to be one before it is written into the statement.
    if not _SNAPSHOT_ID.fullmatch(snapshot):
        raise ValueError(f"not a PostgreSQL snapshot id: {snapshot!r}")
    conn = await conn.execution_options(isolation_level="REPEATABLE READ")
    await conn.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
    return conn


async def calculate_current(db: Database, kpi: dict[str, Any], now: datetime) -> KpiRow:
    """The period holding ``now``, to date; returns its total row."""
    async with db.read() as conn:
        zone = await tenant_zone(conn, kpi["tenant_id"])
    today = now.astimezone(zone).date()
    computed = await calculate(db, kpi, today, today, now)
    return computed.totals[-1]
