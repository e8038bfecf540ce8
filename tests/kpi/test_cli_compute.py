from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kpiwatch.cli import app
from kpiwatch.core.config import get_settings

NDJSON = {"Content-Type": "application/x-ndjson"}


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("KPIWATCH_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_it_backfills_a_kpi_by_name(
    cli: CliRunner, client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    alice = headers("alice")
    client.post("/api/kpi/apply-template", json={"template_names": ["MTTR", "FCR"]}, headers=alice)
    rows = (
        b'{"id":"a","service":"mail","status":"done","created_at":"2026-01-05T08:00:00Z",'
        b'"resolved_at":"2026-01-05T10:00:00Z"}\n'
    )
    client.post("/api/ingest/service_requests", content=rows, headers=alice | NDJSON)

    result = cli.invoke(
        app, ["compute", "--kpi", "MTTR", "--from", "2026-01-01", "--to", "2026-01-31"]
    )
    assert result.exit_code == 0, result.output
    assert "computed 1 KPI(s)" in result.output
    kpis = {k["name"]: k for k in client.get("/api/kpi/").json()}
    assert kpis["MTTR"]["current_value"] == 2.0
    assert kpis["FCR"]["current_value"] is None

    missing = cli.invoke(app, ["compute", "--kpi", "NOPE"])
    assert missing.exit_code == 1
    assert "no active KPI named 'NOPE'" in missing.output
