"""The import service: a file stored between parsing and writing answers duplicate."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from tests.ran.pm_samples import CSV_FILE, rrc_file

from kpiwatch.core.context import Caller
from kpiwatch.core.db import Database
from kpiwatch.ran import files

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def _race(url: str) -> tuple[list[files.FileResult], files.FileResult]:
    db = Database(url)
    caller = Caller(1, "default", NOW, name="test")
    try:
        parsed = await files.parse_batch(db, 1, [("late.xml", rrc_file()), ("b.csv", CSV_FILE)])
        first = await files.import_file(db, caller, rrc_file(), "first.xml")
        return await files.store_batch(db, caller, parsed), first
    finally:
        await db.dispose()


def test_it_answers_duplicate_for_a_file_stored_since_parsing(database_url: str) -> None:
    (late, csv), first = asyncio.run(_race(database_url))
    assert (first.status, late.status, late.file_id) == ("imported", "duplicate", first.file_id)
    assert (late.name, late.values) == ("late.xml", 6)
    assert (csv.status, csv.values) == ("imported", 2)  # the rest of the batch is stored


async def _twice(url: str) -> list[files.FileResult]:
    db = Database(url)
    try:
        caller = Caller(1, "default", NOW, name="test")
        sources = [("a.xml", rrc_file()), ("b.xml", rrc_file(att=3)), ("c.xml", rrc_file())]
        return await files.import_files(db, caller, sources, per_transaction=1)
    finally:
        await db.dispose()


def test_it_finds_a_duplicate_in_a_later_transaction(database_url: str) -> None:
    a, b, c = asyncio.run(_twice(database_url))
    assert [r.status for r in (a, b, c)] == ["imported", "imported", "duplicate"]
    assert c.file_id == a.file_id
