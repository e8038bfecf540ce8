"""Status fixtures: the ``kpiwatch`` command on the test database, rows read outside the
app, and files to apply."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Executable
from typer.testing import CliRunner

from kpiwatch.cli import app
from kpiwatch.core.config import get_settings
from kpiwatch.core.db import make_engine

Invoke = Callable[..., tuple[int, str]]
Rows = Callable[[Executable], list[dict[str, Any]]]


@pytest.fixture
def kpiwatch(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    """Run the ``kpiwatch`` command on the test database: (exit code, output)."""
    monkeypatch.setenv("KPIWATCH_DATABASE_URL", database_url)
    get_settings.cache_clear()
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, list(args))
        return result.exit_code, result.output

    yield invoke
    get_settings.cache_clear()


async def _fetch(url: str, statement: Executable) -> list[dict[str, Any]]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return [dict(r._mapping) for r in await conn.execute(statement)]
    finally:
        await engine.dispose()


@pytest.fixture
def rows(database_url: str) -> Rows:
    """Run a ``select`` on the test database (outside the app) and return its rows."""
    return lambda statement: asyncio.run(_fetch(database_url, statement))


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[[str], str]:
    """Write a config file (a new one each call) and return its path."""
    counter = itertools.count()

    def write(text: str) -> str:
        path = tmp_path / f"kpiwatch-{next(counter)}.yaml"
        path.write_text(text)
        return str(path)

    return write
