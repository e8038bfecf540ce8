"""A PostgreSQL backfill shares its work between connections that see the same data.

The services are shared out between the connections (``calculate.CORES``): here ``alpha``
on the first, ``zulu`` on the second. A request committed after the first connection took
its snapshot, before the second one starts, must not be counted by either. (A backfill of
more than one period: one period is computed on one connection.)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.kpi.test_dashboard_cache import KPI as DONE

from kpiwatch.ingest.models import service_requests
from kpiwatch.kpi import calculate

NDJSON = {"Content-Type": "application/x-ndjson"}
KPI = DONE | {"dimensions": ["service"]}  # requests done, per day
ROW = (
    '{{"id":"{id}","service":"{service}","status":"done",'
    '"created_at":"2026-03-01T08:00:00Z","resolved_at":"2026-03-01T09:00:00Z"}}'
)


def test_the_connections_of_a_backfill_count_from_one_snapshot(
    client: TestClient,
    headers: Callable[[str], dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = client.app.state.db  # type: ignore[attr-defined]
    if db.is_sqlite:
        pytest.skip("a SQLite backfill runs on one connection")
    alice = headers("alice")
    rows = [ROW.format(id=f"a{i}", service="alpha") for i in range(2)]
    rows += [ROW.format(id=f"z{i}", service="zulu") for i in range(3)]
    ingested = client.post(
        "/api/ingest/service_requests", content="\n".join(rows), headers=alice | NDJSON
    )
    assert ingested.status_code == 200, ingested.text
    kpi_id = client.post("/api/kpi/", json=KPI, headers=alice).json()["id"]

    late: list[str] = []
    joined = calculate._in_snapshot

    async def commit_late_request_first(conn: AsyncConnection, snapshot: str) -> Any:
        async with db.write() as other:
            values = {
                "tenant_id": 1,
                "id": "z-late",
                "service": "zulu",
                "status": "done",
                "created_at": datetime.fromisoformat("2026-03-01T08:30:00+00:00"),
                "resolved_at": datetime.fromisoformat("2026-03-01T09:30:00+00:00"),
            }
            await other.execute(insert(service_requests).values(**values))
        late.append(snapshot)
        return await joined(conn, snapshot)

    monkeypatch.setattr(calculate, "_in_snapshot", commit_late_request_first)
    backfill = client.post(
        f"/api/kpi/{kpi_id}/backfill",
        json={"from": "2026-03-01", "to": "2026-03-02"},
        headers=alice,
    )
    assert backfill.status_code == 200, backfill.text
    assert len(late) == 1  # the second connection joined the first one's snapshot once

    url = f"/api/kpi/{kpi_id}/values?from=2026-03-01&to=2026-03-01"  # the day of the rows
    by_service = client.get(url + "&by=service").json()
    assert {r["dims"]["service"]: r["value"] for r in by_service} == {"alpha": 2.0, "zulu": 3.0}
    assert [r["value"] for r in client.get(url).json()] == [5.0]
