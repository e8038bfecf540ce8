"""The periodic refresh computes the current and previous period of every active KPI."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from kpiwatch.core.clock import Clock
from kpiwatch.kpi import scheduler

NDJSON = {"Content-Type": "application/x-ndjson"}
KPI = {
    "name": "DONE_TODAY",
    "display_name": "Requests done",
    "direction": "HIGHER_BETTER",
    "target": 1,
    "period": "DAILY",
    "formula": "count(service_requests where status = 'done' by resolved_at)",
}


def test_it_refreshes_the_current_and_previous_period(
    client: TestClient, headers: Callable[[str], dict[str, str]], clock: Clock
) -> None:
    alice = headers("alice")
    kpi_id = client.post("/api/kpi/", json=KPI, headers=alice).json()["id"]
    client.post("/api/kpi/", json=KPI | {"name": "IDLE", "is_active": False}, headers=alice)
    rows = (
        b'{"id":"a","service":"mail","status":"done","created_at":"2026-03-01T08:00:00Z",'
        b'"resolved_at":"2026-03-01T09:00:00Z"}\n'
        b'{"id":"b","service":"mail","status":"done","created_at":"2026-03-02T08:00:00Z",'
        b'"resolved_at":"2026-03-02T08:30:00Z"}\n'
        b'{"id":"c","service":"mail","status":"done","created_at":"2026-03-02T08:00:00Z",'
        b'"resolved_at":"2026-03-02T08:45:00Z"}\n'
    )
    client.post("/api/ingest/service_requests", content=rows, headers=alice | NDJSON)

    db = client.app.state.db  # type: ignore[attr-defined]
    assert client.portal.call(scheduler.refresh_all, db, clock) == (1, 0)  # type: ignore[union-attr]

    values = client.get(f"/api/kpi/{kpi_id}/values").json()
    assert [(v["period_start"], v["value"]) for v in values] == [
        ("2026-03-01T00:00:00+00:00", 1.0),
        ("2026-03-02T00:00:00+00:00", 2.0),  # to date: the clock stands at 09:00
    ]
    card = client.get(f"/api/kpi/{kpi_id}").json()
    assert (card["current_value"], card["status"]) == (2.0, "GREEN")
