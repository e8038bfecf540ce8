"""Writing measurement blocks: objects, counter schemas, values, and the PEG master.

``write_blocks()`` runs inside the caller's transaction. A block whose object, schema and
period are already stored replaces the stored row (a corrected file wins), so importing
the same data twice leaves the same rows. PostgreSQL gets the values by ``COPY`` (through a
temporary table and ``INSERT … ON CONFLICT`` when some rows exist), SQLite by
``executemany``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import asyncpg
import orjson
from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core.db import sqlite_timestamp
from kpiwatch.ran.measurements import MeasBlock
from kpiwatch.ran.models import (
    pm_counters,
    pm_object_schemas,
    pm_objects,
    pm_schemas,
)

_CHUNK = 500  # names per IN (...) lookup, under every driver's parameter limit
_VALUE_COLUMNS = [
    "tenant_id",
    "object_id",
    "schema_id",
    "period_start",
    "gran_s",
    "suspect",
    "file_id",
    "vals",
]
_KEY = ("tenant_id", "object_id", "schema_id", "period_start")


def schema_digest(group: str, counters: Sequence[str]) -> str:
    return hashlib.sha1(orjson.dumps([group, list(counters)])).hexdigest()


def _insert_ignore(conn: AsyncConnection, table: Any, keys: Sequence[str]) -> Any:
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    return dialect_insert(table).on_conflict_do_nothing(index_elements=list(keys))


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for first in range(0, len(items), _CHUNK):
        yield items[first : first + _CHUNK]


async def _object_ids(
    conn: AsyncConnection, tenant_id: int, blocks: Sequence[MeasBlock]
) -> dict[str, int]:
    wanted = {b.object: b for b in blocks}
    names = list(wanted)
    found: dict[str, int] = {}

    async def lookup(batch: Sequence[str]) -> None:
        result = await conn.execute(
            select(pm_objects.c.name, pm_objects.c.id).where(
                pm_objects.c.tenant_id == tenant_id, pm_objects.c.name.in_(batch)
            )
        )
        found.update({name: id_ for name, id_ in result})

    for batch in _chunks(names):
        await lookup(batch)
    missing = [wanted[name] for name in names if name not in found]
    if missing:
        await conn.execute(
            _insert_ignore(conn, pm_objects, ["tenant_id", "name"]),
            [
                {
                    "tenant_id": tenant_id,
                    "name": b.object,
                    "ne": b.ne,
                    "cell": b.cell,
                    "object_class": b.object_class,
                }
                for b in missing
            ],
        )
        for batch in _chunks([b.object for b in missing]):
            await lookup(batch)
    return found


async def _schema_ids(
    conn: AsyncConnection, tenant_id: int, blocks: Sequence[MeasBlock]
) -> dict[tuple[str, tuple[str, ...]], int]:
    wanted = {(b.group, b.counters): schema_digest(b.group, b.counters) for b in blocks}
    by_digest = {digest: key for key, digest in wanted.items()}
    query = select(pm_schemas.c.digest, pm_schemas.c.id).where(
        pm_schemas.c.tenant_id == tenant_id, pm_schemas.c.digest.in_(list(by_digest))
    )
    found = dict((await conn.execute(query)).all())
    missing = [digest for digest in by_digest if digest not in found]
    if missing:
        await conn.execute(
            _insert_ignore(conn, pm_schemas, ["tenant_id", "digest"]),
            [
                {
                    "tenant_id": tenant_id,
                    "digest": digest,
                    "group_name": by_digest[digest][0],
                    "counters": list(by_digest[digest][1]),
                }
                for digest in missing
            ],
        )
        found = dict((await conn.execute(query)).all())
    return {key: found[digest] for key, digest in wanted.items()}


async def write_blocks(
    conn: AsyncConnection, tenant_id: int, file_id: int, blocks: Sequence[MeasBlock]
) -> None:
    """Store the blocks of one file (the last of repeated keys wins) and refresh the PEG
    master."""
    if not blocks:
        return
    objects = await _object_ids(conn, tenant_id, blocks)
    schemas = await _schema_ids(conn, tenant_id, blocks)
    rows: dict[tuple[int, int, datetime], tuple[Any, ...]] = {}
    for b in blocks:
        object_id = objects[b.object]
        schema_id = schemas[b.group, b.counters]
        start = b.period_start
        rows[object_id, schema_id, start] = (
            tenant_id,
            object_id,
            schema_id,
            start,
            b.gran_s,
            b.suspect,
            file_id,
            b.values,
        )
    if conn.dialect.name == "postgresql":
        await _postgres_values(conn, list(rows.values()))
    else:
        await _sqlite_values(conn, list(rows.values()))
    await _seen(conn, tenant_id, rows)
    await refresh_counters(conn, tenant_id)


async def _sqlite_values(conn: AsyncConnection, rows: list[tuple[Any, ...]]) -> None:
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    columns = ", ".join(_VALUE_COLUMNS)
    marks = ", ".join("?" * len(_VALUE_COLUMNS))
    updates = ", ".join(f"{c} = excluded.{c}" for c in _VALUE_COLUMNS if c not in _KEY)
    await driver.executemany(
        f"INSERT INTO pm_values ({columns}) VALUES ({marks}) "
        f"ON CONFLICT ({', '.join(_KEY)}) DO UPDATE SET {updates}",
        [
            (t, o, s, sqlite_timestamp(start), g, int(sus), f, orjson.dumps(vals).decode())
            for t, o, s, start, g, sus, f, vals in rows
        ],
    )


async def _postgres_values(conn: AsyncConnection, rows: list[tuple[Any, ...]]) -> None:
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    try:
        async with driver.transaction():  # a savepoint: a clash must not abort the rest
            await driver.copy_records_to_table("pm_values", records=rows, columns=_VALUE_COLUMNS)
        return
    except asyncpg.UniqueViolationError:
        pass  # some rows are stored already: replace them
    await driver.execute(
        "CREATE TEMP TABLE IF NOT EXISTS pm_values_in (LIKE pm_values) ON COMMIT DROP"
    )
    await driver.copy_records_to_table("pm_values_in", records=rows, columns=_VALUE_COLUMNS)
    columns = ", ".join(_VALUE_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in _VALUE_COLUMNS if c not in _KEY)
    await driver.execute(
        f"INSERT INTO pm_values ({columns}) SELECT {columns} FROM pm_values_in "
        f"ON CONFLICT ({', '.join(_KEY)}) DO UPDATE SET {updates}"
    )
    await driver.execute("TRUNCATE pm_values_in")


async def _seen(
    conn: AsyncConnection, tenant_id: int, rows: dict[tuple[int, int, datetime], Any]
) -> None:
    """Widen each (object, schema)'s first/last seen to the periods just written."""
    spans: dict[tuple[int, int], tuple[datetime, datetime]] = {}
    for object_id, schema_id, start in rows:
        first, last = spans.get((object_id, schema_id), (start, start))
        spans[object_id, schema_id] = (min(first, start), max(last, start))
    postgres = conn.dialect.name == "postgresql"
    statement = (pg_insert if postgres else sqlite_insert)(pm_object_schemas)
    lower, upper = (func.least, func.greatest) if postgres else (func.min, func.max)
    statement = statement.on_conflict_do_update(
        index_elements=["tenant_id", "object_id", "schema_id"],
        set_={
            "first_seen": lower(pm_object_schemas.c.first_seen, statement.excluded.first_seen),
            "last_seen": upper(pm_object_schemas.c.last_seen, statement.excluded.last_seen),
        },
    )
    await conn.execute(
        statement,
        [
            {
                "tenant_id": tenant_id,
                "object_id": object_id,
                "schema_id": schema_id,
                "first_seen": first,
                "last_seen": last,
            }
            for (object_id, schema_id), (first, last) in spans.items()
        ],
    )


async def refresh_counters(conn: AsyncConnection, tenant_id: int) -> None:
    """Rebuild the tenant's PEG master from which objects report which schemas."""
    result = await conn.execute(
        select(
            pm_schemas.c.group_name,
            pm_schemas.c.counters,
            pm_objects.c.object_class,
            pm_object_schemas.c.object_id,
            pm_object_schemas.c.first_seen,
            pm_object_schemas.c.last_seen,
        )
        .join(pm_schemas, pm_schemas.c.id == pm_object_schemas.c.schema_id)
        .join(pm_objects, pm_objects.c.id == pm_object_schemas.c.object_id)
        .where(pm_object_schemas.c.tenant_id == tenant_id)
    )
    pegs: dict[tuple[str, str, str], tuple[datetime, datetime, set[int]]] = {}
    for group, counters, object_class, object_id, first, last in result:
        for name in counters:
            key = (name, group, object_class)
            if key in pegs:
                lo, hi, objects = pegs[key]
                pegs[key] = (min(lo, first), max(hi, last), objects)
            else:
                objects = set()
                pegs[key] = (first, last, objects)
            objects.add(object_id)
    await conn.execute(delete(pm_counters).where(pm_counters.c.tenant_id == tenant_id))
    if pegs:
        await conn.execute(
            insert(pm_counters),
            [
                {
                    "tenant_id": tenant_id,
                    "name": name,
                    "group_name": group,
                    "object_class": object_class,
                    "first_seen": first,
                    "last_seen": last,
                    "objects": len(objects),
                }
                for (name, group, object_class), (first, last, objects) in pegs.items()
            ],
        )
