from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kpiwatch.cli import app
from kpiwatch.core.config import get_settings


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("KPIWATCH_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_it_ingests_a_file_then_upserts_it(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "requests.csv"
    path.write_text(
        "id,service,status,created_at\n"
        "SR-1,mail,open,2026-02-01T08:00:00Z\n"
        "SR-2,vpn,open,2026-02-01T09:00:00Z\n"
    )
    first = cli.invoke(app, ["ingest", "service_requests", str(path)])
    assert first.exit_code == 0, first.output
    assert "service_requests: received 2, inserted 2, updated 0" in first.output
    second = cli.invoke(app, ["ingest", "service_requests", str(path), "--tenant", "acme"])
    assert "received 2, inserted 2, updated 0" in second.output
    third = cli.invoke(app, ["ingest", "service_requests", str(path)])
    assert "received 2, inserted 0, updated 2" in third.output


def test_it_prints_bad_lines_and_fails(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "requests.ndjson"
    path.write_text('{"id": "SR-1", "service": "mail", "status": "open"}\n')
    result = cli.invoke(app, ["ingest", "service_requests", str(path)])
    assert result.exit_code == 1
    assert "line 1: created_at is required" in result.output
    assert "1 bad line(s); nothing was written" in result.output
