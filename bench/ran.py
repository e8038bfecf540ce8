"""RAN: parse, import and query TS 32.435 PM files for 1,000 cells × 40 counters × a week.

Generates one file per NE per 15-minute period (``bench/ran_files.py``: 1,000 cells over
NEs of 3–12 cells, 672 periods, ≈ 27 M values), then prints:

- the parse rate of ``ran.parse.parse_pm`` on one core (files already in memory);
- per database (a SQLite file, then a scratch PostgreSQL database), through the import
  service (``ran.files``, 1,000 files per transaction): the ingest rate with parsing
  excluded (every file parsed first, then the parsed batches stored) and included
  (``import_files`` reading the files from disk, parsing the next batch in a thread while
  the database writes the previous one), each into a fresh database;
- the database bytes per stored value (on PostgreSQL ``pg_total_relation_size`` of the PM
  tables, indexes included, after ``VACUUM ANALYZE``; on SQLite the file's size);
- the time of ``POST /api/kpi/query`` in-process (httpx ``ASGITransport``): the network's
  daily RRC setup success rate over the week, and one cell's 15-minute series for the week.

Targets: parse ≥ 1,000,000 values/s; ingest ≥ 250,000 values/s on PostgreSQL; ≤ 40 bytes
per value on PostgreSQL with indexes; network query ≤ 1 s; one-cell query ≤ 50 ms.

    .venv/bin/python bench/ran.py [--cells 1000] [--days 7] [--only sqlite|postgresql]
                                  [--keep DIR]

``--keep DIR`` keeps each engine's database of the parse-included import (a SQLite file in
DIR, a PostgreSQL database), named after the sizes, and when they are there next time
only times the queries again: no generation, parse or import.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from kpiwatch.app import create_app
from kpiwatch.core import tenancy, users
from kpiwatch.core.clock import Clock
from kpiwatch.core.config import Settings
from kpiwatch.core.context import Caller
from kpiwatch.core.db import Database
from kpiwatch.core.errors import Conflict
from kpiwatch.core.migrate import upgrade
from kpiwatch.ran import files
from ran_files import START, PmFileSet, parse_rate, write_pm_files
from support import pg_database, pg_url

PG_NAMES = ("kpiwatch_bench_ran_a", "kpiwatch_bench_ran_b")
PM_TABLES = (
    "pm_values",
    "pm_days",
    "pm_day_zones",
    "pm_objects",
    "pm_schemas",
    "pm_object_schemas",
    "pm_counters",
    "pm_files",
)
NOW = datetime(2026, 3, 9, tzinfo=UTC)


def sources(paths: list[Path]) -> Iterator[files.Source]:
    for path in paths:
        yield path.name, path.read_bytes()


async def fresh(url: str) -> tuple[Database, Caller]:
    db = Database(url)
    await upgrade(db.engine)
    async with db.read() as conn:
        tenant_id = await tenancy.tenant_id_by_slug(conn, "default")
    return db, Caller(tenant_id, "default", NOW, name="bench")


Parsed = list[list[files.ParsedFile]]


async def parse_all(db: Database, paths: list[Path]) -> Parsed:
    """Every file parsed (in batches, as the service does), nothing stored."""
    parsed: Parsed = []
    for batch in files.batches(sources(paths), files.PER_TRANSACTION):
        parsed.append(await files.parse_batch(db, 1, batch))
        # Millions of parsed values stay alive until stored: out of the collector's sight,
        # or each full collection would walk them all, measured as parse or ingest time.
        gc.freeze()
    return parsed


async def store_all(db: Database, caller: Caller, parsed: Parsed) -> int:
    stored = 0
    for batch in parsed:
        results = await files.store_batch(db, caller, batch)
        stored += sum(r.values for r in results if r.status == "imported")
    return stored


async def import_all(db: Database, caller: Caller, paths: list[Path]) -> int:
    results = await files.import_files(db, caller, sources(paths))
    assert all(r.status == "imported" for r in results)
    return sum(r.values for r in results)


def rate(values: int, seconds: float) -> str:
    return f"{values:,} values in {seconds:.1f} s = {values / seconds:,.0f} values/s"


async def pg_bytes(url: str, values: int) -> None:
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
            sizes = {
                table: (
                    await conn.execute(text(f"SELECT pg_total_relation_size('{table}')"))
                ).scalar_one()
                for table in PM_TABLES
            }
    finally:
        await db.dispose()
    total = sum(sizes.values())
    print(
        f"  bytes per value: {total / values:.2f} with indexes, all PM tables "
        f"({total / 1e6:,.0f} MB); pm_values alone {sizes['pm_values'] / values:.2f}"
    )
    print("    " + ", ".join(f"{t} {s / 1e6:,.1f} MB" for t, s in sizes.items()))


async def query_times(url: str, cell: str, last: date) -> None:
    """``POST /api/kpi/query`` in-process: the first call, then the median of 5."""
    app = create_app(Settings(database_url=url, scheduler_enabled=False), Clock())
    async with app.router.lifespan_context(app):
        db: Database = app.state.db
        try:
            async with db.write() as conn:
                await users.insert_user(
                    conn,
                    1,
                    username="bench",
                    password="bench-pass",
                    role="viewer",
                    email=None,
                    now=NOW,
                )
        except Conflict:
            pass  # a kept database (--keep) has the user from its first run
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            login = {"username": "bench", "password": "bench-pass"}
            token = (await client.post("/api/auth/login", json=login)).json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            week = {"start_date": START.date().isoformat(), "end_date": last.isoformat()}
            asks = {
                "network daily RRC setup SR": {
                    **week,
                    "kpi_types": ["RRC_SETUP_SR"],
                    "grain": "day",
                },
                f"cell {cell} 15-min RRC setup SR": {
                    **week,
                    "kpi_types": ["RRC_SETUP_SR"],
                    "grain": "15min",
                    "cellid": cell,
                },
            }
            for label, body in asks.items():
                times = []
                for _ in range(6):
                    began = time.perf_counter()
                    response = await client.post("/api/kpi/query", json=body, headers=auth)
                    times.append(time.perf_counter() - began)
                    assert response.status_code == 200, response.text
                points = _points(response.json())
                print(
                    f"  {label}: first {times[0] * 1000:,.1f} ms, median of 5 "
                    f"{statistics.median(times[1:]) * 1000:,.1f} ms ({points} points)"
                )


def _points(answer: Any) -> int:
    """Points with a value in a query answer, whatever nesting the answer uses."""
    if isinstance(answer, dict):
        if "value" in answer and "period_start" in answer:
            return int(answer["value"] is not None)
        return sum(_points(v) for v in answer.values())
    if isinstance(answer, list):
        return sum(_points(v) for v in answer)
    return 0


async def timed(label: str, work: Awaitable[int]) -> None:
    """Print ``work``'s values per second, and the CPU seconds this process spent."""
    began, cpu = time.perf_counter(), time.process_time()
    stored = await work
    took, cpu = time.perf_counter() - began, time.process_time() - cpu
    print(f"  {label}: {rate(stored, took)} (this process: {cpu:.1f} CPU s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=1000)
    parser.add_argument("--days", type=float, default=7)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--keep", metavar="DIR", help="keep the imported databases and reuse them")
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    cell = "ENB0001-1"
    last = (START + int(args.days * 24 * 4) * timedelta(minutes=15) - timedelta(minutes=1)).date()
    kept = Kept(Path(args.keep), args.cells, args.days) if args.keep else None
    if kept is not None and kept.ready(args.only):
        asyncio.run(kept.queries(cell, last, args.only))
    else:
        with tempfile.TemporaryDirectory(prefix="kpiwatch-ran-") as tmp:
            began = time.perf_counter()
            made = write_pm_files(Path(tmp) / "pm", cells=args.cells, days=args.days)
            size = sum(p.stat().st_size for p in made.files)
            print(
                f"generated {made.values:,} values: {len(made.files):,} files, {made.nes} NEs, "
                f"{made.cells} cells, {made.periods} periods, {size / 1e6:,.0f} MB, "
                f"in {time.perf_counter() - began:.0f} s"
            )
            values, wall, cpu = parse_rate(made.files)
            print(
                f"parse, one core: {rate(values, wall)}; {values / cpu:,.0f} values per CPU second"
            )
            asyncio.run(run(Path(tmp), made, cell, last, args.only, kept))
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


class Kept:
    """The databases ``--keep`` holds for one size: their URLs, and a mark per engine
    written once its import is complete."""

    def __init__(self, folder: Path, cells: int, days: float) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.tag = f"{cells}c_{days:g}d".replace(".", "_")
        self.urls = {
            "SQLite (WAL)": f"sqlite+aiosqlite:///{folder / f'ran_{self.tag}.db'}",
            "PostgreSQL": pg_url(f"kpiwatch_bench_ran_{self.tag}"),
        }

    def _mark(self, label: str) -> Path:
        engine = "sqlite" if label.startswith("SQLite") else "postgresql"
        return self.folder / f"ran_{self.tag}.{engine}.imported"

    def _wanted(self, only: str | None) -> list[str]:
        return [label for label in self.urls if only is None or label.lower().startswith(only)]

    def ready(self, only: str | None) -> bool:
        return all(self._mark(label).exists() for label in self._wanted(only))

    async def empty(self, label: str) -> str:
        """The engine's kept database, emptied for a new import: its URL."""
        self._mark(label).unlink(missing_ok=True)
        url = self.urls[label]
        if url.startswith("sqlite"):
            for path in self.folder.glob(f"ran_{self.tag}.db*"):
                path.unlink()
        else:
            await pg_database(url.rsplit("/", 1)[1], create=True)
        return url

    def imported(self, label: str) -> None:
        self._mark(label).touch()

    async def queries(self, cell: str, last: date, only: str | None) -> None:
        for label in self._wanted(only):
            print(f"{label} (kept in {self.folder}, queries only):")
            await query_times(self.urls[label], cell, last)


async def run(
    tmp: Path, made: PmFileSet, cell: str, last: date, only: str | None, kept: Kept | None
) -> None:
    paths = made.files
    engines: dict[str, tuple[str, str]] = {}
    if only != "postgresql":
        engines["SQLite (WAL)"] = (
            f"sqlite+aiosqlite:///{tmp}/a.db",
            f"sqlite+aiosqlite:///{tmp}/b.db",
        )
    if only != "sqlite":
        try:
            for name in PG_NAMES:
                await pg_database(name, create=True)
            engines["PostgreSQL"] = (pg_url(PG_NAMES[0]), pg_url(PG_NAMES[1]))
        except OSError as exc:
            print(f"PostgreSQL unreachable, skipped: {exc}", file=sys.stderr)
    if kept is not None:
        for label, (first, _) in engines.items():
            engines[label] = (first, await kept.empty(label))
    try:
        values = await excluded(tmp, paths, engines)
        for label, (_, url) in engines.items():
            print(f"{label}:")
            db, caller = await fresh(url)
            try:
                work = import_all(db, caller, paths)
                await timed("ingest, parse included (a parse thread)", work)
            finally:
                await db.dispose()
            if url.startswith("sqlite"):
                size = Path(url.split("///", 1)[1]).stat().st_size
                print(f"  bytes per value: {size / values:.2f} (file)")
            else:
                await pg_bytes(url, values)
            if kept is not None:
                kept.imported(label)
            await query_times(url, cell, last)
    finally:
        if "PostgreSQL" in engines:
            for name in PG_NAMES:
                await pg_database(name, create=False)


async def excluded(tmp: Path, paths: list[Path], engines: dict[str, tuple[str, str]]) -> int:
    """Parse every file first (as the service does, in batches), then store the parsed
    batches into each engine's first database, dropped afterwards (so that its autovacuum
    does not run during the next measurement). Returns the number of values."""
    scratch = Database(f"sqlite+aiosqlite:///{tmp}/parse.db")
    await upgrade(scratch.engine)
    began = time.perf_counter()
    parsed = await parse_all(scratch, paths)
    took = time.perf_counter() - began
    await scratch.dispose()
    values = sum(p.pm.values_count for batch in parsed for p in batch if p.pm)
    print(f"parse through the service (read, hash, look up, parse): {rate(values, took)}")
    for label, (url, _) in engines.items():
        print(f"{label}:")
        db, caller = await fresh(url)
        try:
            await timed("ingest, parse excluded", store_all(db, caller, parsed))
        finally:
            await db.dispose()
        if url.startswith("sqlite"):
            for path in tmp.glob("a.db*"):
                path.unlink()
        else:
            await pg_database(PG_NAMES[0], create=False)
    del parsed
    gc.unfreeze()
    gc.collect()
    return values


if __name__ == "__main__":
    main()
