"""Bulk ingestion: validate a whole body, write it in batches, all or nothing.

Each batch is upserted as soon as it is checked: on SQLite by ``executemany``, on
PostgreSQL by ``COPY`` into a temporary table and one ``INSERT … SELECT … ON CONFLICT DO
UPDATE``; the last occurrence of an id wins. Checking the next batch runs in a worker
thread while the database takes the previous one. A bad line anywhere stops the
writing, the rest is still checked so every bad line is reported, and the transaction is
rolled back: nothing is written.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any
from zoneinfo import ZoneInfo

import asyncpg
import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core import audit, tenancy
from kpiwatch.core.context import Caller
from kpiwatch.core.db import Database
from kpiwatch.core.errors import InvalidInput, NotFound
from kpiwatch.ingest.datasets import DATASETS, Dataset
from kpiwatch.ingest.parse import RowReader

BATCH_ROWS = 20_000
MAX_LISTED_ERRORS = 100

FORMATS = {"application/x-ndjson": "ndjson", "application/json": "ndjson", "text/csv": "csv"}


@dataclass
class IngestResult:
    dataset: str
    received: int
    inserted: int
    updated: int


@dataclass
class _Checked:
    rows: list[tuple[Any, ...]]
    errors: list[dict[str, Any]]
    bad_lines: int
    done: bool


def dataset_named(name: str) -> Dataset:
    dataset = DATASETS.get(name)
    known = ", ".join(sorted(d.name for d in DATASETS.values() if d.ingestable))
    if dataset is None:
        raise NotFound(f"dataset {name!r} not found; known: {known}")
    if not dataset.ingestable:
        raise NotFound(f"dataset {name!r} is written by kpiwatch itself; ingestable: {known}")
    return dataset


class _Writer:
    """Upserts batches into the dataset's table and counts new and existing ids.

    An id seen earlier in the same body is neither new nor existing again, so
    ``inserted + updated`` is the number of distinct ids of the body.
    """

    def __init__(self, conn: AsyncConnection, dataset: Dataset, tenant_id: int) -> None:
        self.conn = conn
        self.dataset = dataset
        self.tenant_id = tenant_id
        self.sqlite = conn.dialect.name == "sqlite"
        self.names = [f.name for f in dataset.fields]
        self.columns = ", ".join(["tenant_id", *self.names])
        self.updates = ", ".join(f"{n} = excluded.{n}" for n in self.names if n != "id")
        self.temp = f"ingest_{secrets.token_hex(6)}"
        self.seen: set[str] = set()
        self.inserted = self.updated = 0

    async def create(self) -> None:
        if not self.sqlite:
            await self.conn.exec_driver_sql(
                f"CREATE TEMP TABLE {self.temp} (seq integer, LIKE {self.dataset.table.name}) "
                "ON COMMIT DROP"
            )

    async def add(self, rows: list[tuple[Any, ...]]) -> None:
        fresh = {row[0] for row in rows} - self.seen
        self.seen |= fresh
        raw = await self.conn.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        table = self.dataset.table.name
        if self.sqlite:
            async with driver.execute(
                f"SELECT count(*) FROM {table} WHERE tenant_id = ? "
                "AND id IN (SELECT value FROM json_each(?))",
                (self.tenant_id, orjson.dumps(list(fresh)).decode()),
            ) as cursor:
                (existing,) = await cursor.fetchone()
        else:
            existing = await driver.fetchval(
                f"SELECT count(*) FROM {table} WHERE tenant_id = $1 AND id = ANY($2::text[])",
                self.tenant_id,
                list(fresh),
            )
        self.inserted += len(fresh) - existing
        self.updated += existing
        if self.sqlite:
            await self._sqlite_upsert(driver, rows)
        elif existing == 0 and len(fresh) == len(rows):
            await self._postgres_insert(driver, rows)
        else:
            await self._postgres_upsert(driver, rows)

    async def _sqlite_upsert(self, driver: Any, rows: list[tuple[Any, ...]]) -> None:
        tenant = self.tenant_id
        records = [(tenant, *row) for row in rows]
        marks = ", ".join("?" * (len(self.names) + 1))
        # Rows are applied in order, so the last row of a repeated id wins.
        await driver.executemany(
            f"INSERT INTO {self.dataset.table.name} ({self.columns}) VALUES ({marks}) "
            f"ON CONFLICT (tenant_id, id) DO UPDATE SET {self.updates}",
            records,
        )

    async def _postgres_insert(self, driver: Any, rows: list[tuple[Any, ...]]) -> None:
        """Every id is new: ``COPY`` straight into the table, twice as fast as the upsert."""
        tenant = self.tenant_id
        try:
            async with driver.transaction():  # a savepoint: the race below must not abort all
                await driver.copy_records_to_table(
                    self.dataset.table.name,
                    records=[(tenant, *row) for row in rows],
                    columns=["tenant_id", *self.names],
                )
        except asyncpg.UniqueViolationError:
            # Another ingestion inserted one of these ids since they were counted.
            await self._postgres_upsert(driver, rows)

    async def _postgres_upsert(self, driver: Any, rows: list[tuple[Any, ...]]) -> None:
        tenant = self.tenant_id
        await driver.copy_records_to_table(
            self.temp,
            records=[(seq, tenant, *row) for seq, row in enumerate(rows)],
            columns=["seq", "tenant_id", *self.names],
        )
        # One statement cannot update a row twice: keep the last row of a repeated id.
        await driver.execute(
            f"INSERT INTO {self.dataset.table.name} ({self.columns}) "
            f"SELECT DISTINCT ON (id) {self.columns} FROM {self.temp} ORDER BY id, seq DESC "
            f"ON CONFLICT (tenant_id, id) DO UPDATE SET {self.updates}"
        )
        await driver.execute(f"TRUNCATE {self.temp}")


def _check_batch(
    rows_in: Iterator[tuple[int, tuple[Any, ...] | None, list[tuple[str, str]]]],
    keep_rows: bool,
    listed: int,
) -> _Checked:
    rows: list[tuple[Any, ...]] = []
    errors: list[dict[str, Any]] = []
    bad = 0
    for line, values, problems in rows_in:
        if problems:
            bad += 1
            keep_rows = False
            for field, reason in problems:
                if listed + len(errors) < MAX_LISTED_ERRORS:
                    errors.append({"line": line, "field": field, "reason": reason})
        elif keep_rows:
            assert values is not None
            rows.append(values)
        if len(rows) >= BATCH_ROWS:
            return _Checked(rows, errors, bad, done=False)
    return _Checked(rows, errors, bad, done=True)


async def ingest(
    db: Database, caller: Caller, dataset_name: str, body: IO[bytes], fmt: str
) -> IngestResult:
    dataset = dataset_named(dataset_name)
    async with db.read() as conn:
        zone = ZoneInfo((await tenancy.get_tenant(conn, caller.tenant_id))["timezone"])
    reader = RowReader(dataset, zone, sqlite_times=db.is_sqlite)
    records = reader.ndjson(body) if fmt == "ndjson" else reader.csv(body)
    errors: list[dict[str, Any]] = []
    bad_lines = received = 0
    async with db.write() as conn:
        writer = _Writer(conn, dataset, caller.tenant_id)
        await writer.create()
        pending: asyncio.Task[None] | None = None
        while True:
            checked = await asyncio.to_thread(_check_batch, records, not errors, len(errors))
            if pending is not None:
                await pending
                pending = None
            errors += checked.errors
            bad_lines += checked.bad_lines
            received += len(checked.rows) + checked.bad_lines
            if checked.rows and not errors:
                pending = asyncio.ensure_future(writer.add(checked.rows))
            if checked.done:
                break
        if pending is not None:
            await pending
        if bad_lines:
            raise InvalidInput(
                {
                    "message": f"{bad_lines} bad line(s); nothing was written",
                    "bad_lines": bad_lines,
                    "errors": errors,
                    "errors_listed": len(errors),
                }
            )
        inserted, updated = writer.inserted, writer.updated
        await audit.record(
            conn,
            caller,
            "ingest",
            dataset.name,
            None,
            {"received": received, "inserted": inserted, "updated": updated},
        )
    return IngestResult(dataset.name, received, inserted, updated)


def describe(dataset: Dataset) -> dict[str, Any]:
    return {
        "name": dataset.name,
        "description": dataset.description,
        "fields": [
            {
                "name": f.name,
                "type": f.kind,
                "required": f.required,
                **({"choices": list(f.choices)} if f.choices else {}),
                **({"description": f.description} if f.description else {}),
            }
            for f in dataset.fields
        ],
    }
