"""Bulk ingestion: validate a whole body, write it in batches, all or nothing.

Each batch is checked (see ``parse``) in a worker thread while the database writes the
previous one, so parsing and writing overlap: PostgreSQL is another process, and sqlite3
releases the GIL while it steps. On SQLite a batch is upserted by ``executemany``; on
PostgreSQL it is sent as binary ``COPY`` (packed in the thread by ``core.pgcopy``):
straight into the table while every id is new, else into a temporary table and one
``INSERT … SELECT … ON CONFLICT DO UPDATE``. The last occurrence of an id wins. A bad
line anywhere stops the writing, the rest is still checked so every bad line is
reported, and the transaction is rolled back: nothing is written.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import compress
from typing import IO, Any
from zoneinfo import ZoneInfo

import asyncpg
import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core import audit, pgcopy, tenancy
from kpiwatch.core.context import Caller
from kpiwatch.core.db import Database
from kpiwatch.core.errors import InvalidInput, NotFound
from kpiwatch.ingest.datasets import DATASETS, Dataset
from kpiwatch.ingest.parse import Batch, RowReader

BATCH_ROWS = 20_000
MAX_LISTED_ERRORS = 100

FORMATS = {"application/x-ndjson": "ndjson", "application/json": "ndjson", "text/csv": "csv"}
_COPY_KINDS = {"str": "text", "enum": "text", "int": "int4", "timestamp": "int8"}


@dataclass
class IngestResult:
    dataset: str
    received: int
    inserted: int
    updated: int


@dataclass
class _Ready:
    """A checked batch as the writer takes it: its rows for the database, and its ids."""

    rows: Any
    ids: int
    """How many distinct ids the batch has."""
    fresh: list[str]
    """Its ids not seen in an earlier batch of the body."""
    repeated: bool
    """An id appears twice in the batch."""


def dataset_named(name: str) -> Dataset:
    dataset = DATASETS.get(name)
    known = ", ".join(sorted(d.name for d in DATASETS.values() if d.ingestable))
    if dataset is None:
        raise NotFound(f"dataset {name!r} not found; known: {known}")
    if not dataset.ingestable:
        raise NotFound(f"dataset {name!r} is written by kpiwatch itself; ingestable: {known}")
    return dataset


def _last_of_each_id(columns: list[Sequence[Any]]) -> list[Sequence[Any]]:
    """The columns without the earlier rows of a repeated id (one statement cannot
    update a row twice)."""
    last = {row_id: i for i, row_id in enumerate(columns[0])}
    keep = [False] * len(columns[0])
    for i in last.values():
        keep[i] = True
    return [list(compress(column, keep)) for column in columns]


class _Writer:
    """Upserts batches into the dataset's table and counts new and existing ids.

    An id seen earlier in the same body is neither new nor existing again, so
    ``inserted + updated`` is the number of distinct ids of the body.
    """

    def __init__(self, conn: AsyncConnection, dataset: Dataset, tenant_id: int) -> None:
        assert dataset.fields[0].name == "id"
        self.conn = conn
        self.dataset = dataset
        self.table = dataset.table.name
        self.tenant_id = tenant_id
        self.sqlite = conn.dialect.name == "sqlite"
        self.names = ["tenant_id", *(f.name for f in dataset.fields)]
        self.kinds = ["int4", *(_COPY_KINDS[f.kind] for f in dataset.fields)]
        self.columns = ", ".join(self.names)
        self.updates = ", ".join(f"{n} = excluded.{n}" for n in self.names[2:])
        self.temp = f"ingest_{secrets.token_hex(6)}"
        self.seen: set[str] = set()
        """The ids of the earlier batches (``prepare`` keeps it)."""
        self.inserted = self.updated = 0
        self.all_new = True
        """No id of the body was found stored yet: try ``COPY`` straight into the table."""

    def prepare(self, columns: list[Sequence[Any]]) -> _Ready:
        """The batch ready to write: CPU work for the worker thread, done for the batches
        in their order."""
        ids = set(columns[0])
        fresh = list(ids - self.seen)
        self.seen |= ids
        repeated = len(ids) < len(columns[0])
        tenant = [self.tenant_id] * len(columns[0])
        if self.sqlite:
            return _Ready(list(zip(tenant, *columns, strict=True)), len(ids), fresh, repeated)
        if repeated:
            columns = _last_of_each_id(columns)
            tenant = tenant[: len(ids)]
        fields = [
            pgcopy.encode_fields(k, c) for k, c in zip(self.kinds, [tenant, *columns], strict=True)
        ]
        return _Ready(memoryview(pgcopy.encode_columns(fields)), len(ids), fresh, repeated)

    async def create(self) -> None:
        if not self.sqlite:
            await self.conn.exec_driver_sql(
                f"CREATE TEMP TABLE {self.temp} (LIKE {self.table}) ON COMMIT DROP"
            )

    async def add(self, batch: _Ready) -> None:
        raw = await self.conn.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        if self.sqlite:
            await self._sqlite_count(driver, batch.fresh)
            await self._sqlite_upsert(driver, batch.rows)
        elif not (self.all_new and len(batch.fresh) == batch.ids and not batch.repeated):
            await self._postgres_upsert(driver, batch)
        elif await self._postgres_insert(driver, batch.rows):
            self.inserted += batch.ids
        else:
            self.all_new = False
            await self._postgres_upsert(driver, batch)

    def _counted(self, fresh: int, existing: int) -> None:
        self.all_new = self.all_new and existing == 0
        self.inserted += fresh - existing
        self.updated += existing

    async def _sqlite_count(self, driver: Any, fresh: list[str]) -> None:
        async with driver.execute(
            f"SELECT count(*) FROM {self.table} WHERE tenant_id = ? "
            "AND id IN (SELECT value FROM json_each(?))",
            (self.tenant_id, orjson.dumps(fresh).decode()),
        ) as cursor:
            (existing,) = await cursor.fetchone()
        self._counted(len(fresh), existing)

    async def _sqlite_upsert(self, driver: Any, rows: list[tuple[Any, ...]]) -> None:
        marks = ", ".join("?" * len(self.names))
        # Rows are applied in order, so the last row of a repeated id wins.
        await driver.executemany(
            f"INSERT INTO {self.table} ({self.columns}) VALUES ({marks}) "
            f"ON CONFLICT (tenant_id, id) DO UPDATE SET {self.updates}",
            rows,
        )

    async def _postgres_insert(self, driver: Any, stream: memoryview) -> bool:
        """``COPY`` straight into the table, twice as fast as the upsert; False when an
        id is stored already (nothing of the batch is then written)."""
        try:
            async with driver.transaction():  # a savepoint: a clash must not abort all
                await driver.copy_to_table(
                    self.table, source=stream, columns=self.names, format="binary"
                )
        except asyncpg.UniqueViolationError:
            return False
        return True

    async def _postgres_upsert(self, driver: Any, batch: _Ready) -> None:
        await driver.copy_to_table(
            self.temp, source=batch.rows, columns=self.names, format="binary"
        )
        # The batch's ids stored already, less those an earlier batch of the body wrote.
        stored = await driver.fetchval(
            f"SELECT count(*) FROM {self.temp} JOIN {self.table} USING (tenant_id, id)"
        )
        self._counted(len(batch.fresh), stored - (batch.ids - len(batch.fresh)))
        await driver.execute(
            f"INSERT INTO {self.table} ({self.columns}) SELECT {self.columns} FROM {self.temp} "
            f"ON CONFLICT (tenant_id, id) DO UPDATE SET {self.updates}"
        )
        await driver.execute(f"TRUNCATE {self.temp}")


def _next_batch(
    batches: Iterator[Batch], writer: _Writer, keep: bool
) -> tuple[Batch, _Ready | None] | None:
    """The next checked batch, and with ``keep`` it ready to write (None at the end)."""
    batch = next(batches, None)
    if batch is None:
        return None
    ready = writer.prepare(batch.columns) if keep and batch.rows else None
    return batch, ready


async def ingest(
    db: Database, caller: Caller, dataset_name: str, body: IO[bytes], fmt: str
) -> IngestResult:
    dataset = dataset_named(dataset_name)
    async with db.read() as conn:
        zone = ZoneInfo((await tenancy.get_tenant(conn, caller.tenant_id))["timezone"])
    reader = RowReader(dataset, zone, sqlite_times=db.is_sqlite)
    batches = (reader.ndjson if fmt == "ndjson" else reader.csv)(body, BATCH_ROWS)
    errors: list[dict[str, Any]] = []
    bad_lines = received = 0
    async with db.write() as conn:
        writer = _Writer(conn, dataset, caller.tenant_id)
        await writer.create()
        pending: asyncio.Task[None] | None = None
        while next_one := await asyncio.to_thread(_next_batch, batches, writer, not errors):
            batch, ready = next_one
            if pending is not None:
                await pending
                pending = None
            room = MAX_LISTED_ERRORS - len(errors)
            errors += [{"line": n, "field": f, "reason": r} for n, f, r in batch.errors[:room]]
            bad_lines += batch.bad_lines
            received += batch.rows + batch.bad_lines
            if ready is not None and not errors:
                pending = asyncio.ensure_future(writer.add(ready))
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
