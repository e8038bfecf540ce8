"""Daily rollups of the counter values (``pm_days``), kept up to date by every import.

Per (object, counter list, local day of the tenant) and per position of the list, over the
day's rows that are not suspect: the sum of the values, how many there were, the seconds
they cover (Σ ``gran_s``) and Σ(value × ``gran_s``). A KPI over whole local days whose
parts are sums, time-weighted means, or counts and seconds of one position each is
answered from these rows (``counter_sql.day_statement``): 96 times fewer than quarter-hours.

``update()`` runs in the import's transaction, after its rows are written. Rows after (or
before) every stored period of their (object, counter list) are new: their totals are
added to the stored day. A row inside that span may have replaced a stored one, so its day
is counted again from ``pm_values``. The days are those of the tenant's zone when they
were built (``pm_day_zones``): when it differs from the tenant's zone now (or there is no
row yet, as after the migration), queries read ``pm_values`` and the next import rebuilds
the tenant's days from them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import mul
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Float, Text, bindparam, cast, delete, not_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core.db import upsert_into
from kpiwatch.kpi.calculate import tenant_zone
from kpiwatch.kpi.periods import local_midnight
from kpiwatch.ran.models import pm_day_zones, pm_days, pm_values

Vector = list[float | None]
Key = tuple[int, int, datetime]  # object id, schema id, local day's start (UTC)
Row = tuple[Any, ...]  # as stored: tenant, object, schema, start, gran_s, suspect, file, vals
Span = tuple[datetime, datetime]  # first and last period start stored for (object, schema)
_VECTORS = ("sums", "counts", "seconds", "weighted")
_CHUNK = 500  # object ids per IN (...)
_WRITE_ROWS = 2000


@dataclass(frozen=True)
class Totals:
    """One day of one (object, schema): per position, None where there is no value."""

    sums: Vector
    counts: Vector
    seconds: Vector
    weighted: Vector


def totals(rows: Sequence[tuple[int, Sequence[float | None]]]) -> Totals:
    """The totals of (gran_s, values) rows of one schema."""
    grans = [gran for gran, _ in rows]
    all_seconds = sum(grans)
    sums: Vector = []
    counts: Vector = []
    seconds: Vector = []
    weighted: Vector = []
    for column in zip(*(values for _, values in rows), strict=True):
        if None in column:
            pairs = [(x, g) for x, g in zip(column, grans, strict=True) if x is not None]
            present = [x for x, _ in pairs]
            counts.append(len(present))
            if not present:
                sums.append(None)
                seconds.append(None)
                weighted.append(None)
                continue
            sums.append(sum(present))
            seconds.append(sum(g for _, g in pairs))
            weighted.append(sum(x * g for x, g in pairs))
            continue
        counts.append(len(column))
        sums.append(sum(column))
        seconds.append(all_seconds)
        weighted.append(sum(map(mul, column, grans)))
    return Totals(sums, counts, seconds, weighted)


def _add(a: Vector, b: Vector) -> Vector:
    return [y if x is None else x if y is None else x + y for x, y in zip(a, b, strict=True)]


def merged(a: Totals, b: Totals) -> Totals:
    return Totals(
        _add(a.sums, b.sums),
        _add(a.counts, b.counts),
        _add(a.seconds, b.seconds),
        _add(a.weighted, b.weighted),
    )


class DayOf:
    """The start (UTC) of the local day of ``zone`` holding an instant; memoised, as a
    batch repeats the same few period starts for every object."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._known: dict[datetime, datetime] = {}

    def __call__(self, at: datetime) -> datetime:
        day = self._known.get(at)
        if day is None:
            day = self._known[at] = local_midnight(at.astimezone(self.zone).date(), self.zone)
        return day

    def end(self, day_start: datetime) -> datetime:
        return local_midnight(day_start.astimezone(self.zone).date() + timedelta(days=1), self.zone)


async def complete_zone(conn: AsyncConnection, tenant_id: int) -> ZoneInfo | None:
    """The tenant's zone when its ``pm_days`` hold its days, else None."""
    built = (
        await conn.execute(select(pm_day_zones.c.zone).where(pm_day_zones.c.tenant_id == tenant_id))
    ).scalar_one_or_none()
    zone = await tenant_zone(conn, tenant_id)
    return zone if built == zone.key else None


def whole_days(periods: Sequence[tuple[datetime, datetime]], zone: ZoneInfo) -> bool:
    """Whether every period is one local day of ``zone``."""
    day_of = DayOf(zone)
    return all(day_of(start) == start and day_of.end(start) == end for start, end in periods)


async def update(
    conn: AsyncConnection, tenant_id: int, rows: Sequence[Row], stored: dict[tuple[int, int], Span]
) -> None:
    """Bring the days of ``rows`` (just written to ``pm_values``) up to date; ``stored`` is
    the span of periods each (object, schema) had before."""
    zone = await complete_zone(conn, tenant_id)
    if zone is None:
        await rebuild(conn, tenant_id, await tenant_zone(conn, tenant_id))
        return
    day_of = DayOf(zone)
    recount: set[Key] = set()
    added: dict[Key, list[tuple[int, Sequence[float | None]]]] = {}
    for _, object_id, schema_id, start, gran, suspect, _, values in rows:
        key = (object_id, schema_id, day_of(start))
        span = stored.get((object_id, schema_id))
        if span is not None and span[0] <= start <= span[1]:
            recount.add(key)
        elif not suspect:
            added.setdefault(key, []).append((gran, values))
    fresh = {key: totals(day) for key, day in added.items() if key not in recount}
    for key, before in (await _stored(conn, tenant_id, fresh)).items():
        fresh[key] = merged(before, fresh[key])
    counted = await _recount(conn, tenant_id, recount, day_of)
    await _write(conn, tenant_id, {**fresh, **counted}, [k for k in recount if k not in counted])


async def rebuild(conn: AsyncConnection, tenant_id: int, zone: ZoneInfo) -> None:
    """Every day of the tenant again from ``pm_values``, in ``zone``."""
    await conn.execute(delete(pm_days).where(pm_days.c.tenant_id == tenant_id))
    v = pm_values.c
    result = await conn.stream(
        select(v.object_id, v.schema_id, v.period_start, v.gran_s, v.vals)
        .where(v.tenant_id == tenant_id, not_(v.suspect))
        .order_by(v.object_id, v.schema_id, v.period_start)
    )
    day_of = DayOf(zone)
    pending: dict[Key, Totals] = {}
    key: Key | None = None
    day: list[tuple[int, Sequence[float | None]]] = []
    async for object_id, schema_id, start, gran, values in result:
        at = (object_id, schema_id, day_of(start))
        if at != key:
            if key is not None:
                pending[key] = totals(day)
            if len(pending) >= _WRITE_ROWS:
                await _write(conn, tenant_id, pending, [])
                pending = {}
            key, day = at, []
        day.append((gran, values))
    if key is not None:
        pending[key] = totals(day)
    await _write(conn, tenant_id, pending, [])
    marker = upsert_into(conn, pm_day_zones).values(tenant_id=tenant_id, zone=zone.key)
    await conn.execute(
        marker.on_conflict_do_update(index_elements=["tenant_id"], set_={"zone": zone.key})
    )


def _chunks(keys: Iterable[Key]) -> Iterable[tuple[list[int], datetime, datetime]]:
    """(object ids, first day, last day) of ``keys``, a few hundred objects at a time."""
    ordered = sorted(keys)
    for first in range(0, len(ordered), _CHUNK):
        part = ordered[first : first + _CHUNK]
        days = [day for _, _, day in part]
        yield sorted({o for o, _, _ in part}), min(days), max(days)


async def _stored(conn: AsyncConnection, tenant_id: int, keys: Iterable[Key]) -> dict[Key, Totals]:
    d = pm_days.c
    wanted = set(keys)
    out: dict[Key, Totals] = {}
    for objects, first, last in _chunks(wanted):
        result = await conn.execute(
            select(d.object_id, d.schema_id, d.day_start, d.sums, d.counts, d.seconds, d.weighted)
            .where(d.tenant_id == tenant_id, d.object_id.in_(objects))
            .where(d.day_start >= first, d.day_start <= last)
        )
        for object_id, schema_id, day, *vectors in result:
            if (object_id, schema_id, day) in wanted:
                out[object_id, schema_id, day] = Totals(*vectors)
    return out


async def _recount(
    conn: AsyncConnection, tenant_id: int, keys: set[Key], day_of: DayOf
) -> dict[Key, Totals]:
    """The days of ``keys`` from ``pm_values``; a day left without rows is not in it."""
    v = pm_values.c
    days: dict[Key, list[tuple[int, Sequence[float | None]]]] = {}
    for objects, first, last in _chunks(keys):
        result = await conn.execute(
            select(v.object_id, v.schema_id, v.period_start, v.gran_s, v.vals)
            .where(v.tenant_id == tenant_id, v.object_id.in_(objects), not_(v.suspect))
            .where(v.period_start >= first, v.period_start < day_of.end(last))
            .order_by(v.object_id, v.schema_id, v.period_start)
        )
        for object_id, schema_id, start, gran, values in result:
            key = (object_id, schema_id, day_of(start))
            if key in keys:
                days.setdefault(key, []).append((gran, values))
    return {key: totals(rows) for key, rows in days.items()}


async def _write(
    conn: AsyncConnection, tenant_id: int, days: dict[Key, Totals], emptied: Sequence[Key]
) -> None:
    d = pm_days.c
    if emptied:
        await conn.execute(
            delete(pm_days).where(
                d.tenant_id == tenant_id,
                d.object_id == bindparam("o"),
                d.schema_id == bindparam("s"),
                d.day_start == bindparam("day", type_=d.day_start.type),
            ),
            [{"o": o, "s": s, "day": day} for o, s, day in emptied],
        )
    if not days:
        return
    postgres = conn.dialect.name == "postgresql"
    statement = upsert_into(conn, pm_days)
    if postgres:
        array = ARRAY(Float(precision=53))
        statement = statement.values(
            {name: cast(bindparam(f"{name}_text", type_=Text()), array) for name in _VECTORS}
        )
    statement = statement.on_conflict_do_update(
        index_elements=["tenant_id", "object_id", "schema_id", "day_start"],
        set_={name: statement.excluded[name] for name in _VECTORS},
    )
    rows = []
    for (object_id, schema_id, day), t in days.items():
        row: dict[str, Any] = {
            "tenant_id": tenant_id,
            "object_id": object_id,
            "schema_id": schema_id,
            "day_start": day,
        }
        for name, vector in zip(_VECTORS, (t.sums, t.counts, t.seconds, t.weighted), strict=True):
            if postgres:
                row[f"{name}_text"] = _pg_array(vector)
            else:
                row[name] = vector
        rows.append(row)
    await conn.execute(statement, rows)


def _pg_array(vector: Vector) -> str:
    """A ``float8[]`` literal. asyncpg checks the type of every element of an array it
    encodes (about 1.5 µs each, bench/RESULTS.md): sent as text, PostgreSQL parses it."""
    if None in vector:
        return "{" + ",".join("NULL" if x is None else repr(x) for x in vector) + "}"
    return "{" + ",".join(map(repr, vector)) + "}"
