"""The dashboard kept between requests changes as soon as its KPIs or values change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from fastapi.testclient import TestClient

from kpiwatch.core.clock import Clock
from kpiwatch.core.db import Database
from kpiwatch.kpi import calculate, definitions

NDJSON = {"Content-Type": "application/x-ndjson"}
KPI = {
    "name": "DONE",
    "display_name": "Requests done",
    "direction": "HIGHER_BETTER",
    "target": 2,
    "period": "DAILY",
    "formula": "count(service_requests where status = 'done' by resolved_at)",
}
ROW = (
    '{{"id":"{id}","service":"mail","status":"done","created_at":"2026-03-02T08:00:00Z",'
    '"resolved_at":"2026-03-02T08:{minute}:00Z"}}'
)


def card(client: TestClient, name: str) -> dict[str, object]:
    kpis = client.get("/api/kpi/dashboard").json()["kpis"]
    found: dict[str, object] = next(k for k in kpis if k["name"] == name)
    return found


def test_it_shows_values_another_process_computed(
    client: TestClient, headers: Callable[[str], dict[str, str]], clock: Clock
) -> None:
    alice = headers("alice")
    kpi_id = client.post("/api/kpi/", json=KPI, headers=alice).json()["id"]
    rows = "\n".join(ROW.format(id=f"r{i}", minute=10 + i) for i in range(3))
    client.post("/api/ingest/service_requests", content=rows, headers=alice | NDJSON)
    assert card(client, "DONE")["current_value"] is None

    url = client.app.state.db.engine.url.render_as_string(hide_password=False)  # type: ignore[attr-defined]

    async def compute_elsewhere() -> None:
        worker = Database(url)  # the scheduler of another process, on the same database
        try:
            async with worker.read() as conn:
                kpi = await definitions.get(conn, 1, kpi_id)
            await calculate.calculate(worker, kpi, date(2026, 3, 2), date(2026, 3, 2), clock.now())
        finally:
            await worker.dispose()

    client.portal.call(compute_elsewhere)  # type: ignore[union-attr]
    shown = card(client, "DONE")
    assert (shown["current_value"], shown["status"]) == (3.0, "GREEN")


def test_it_shows_a_changed_target_at_once(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    alice = headers("alice")
    kpi_id = client.post("/api/kpi/", json=KPI, headers=alice).json()["id"]
    client.post(
        "/api/ingest/service_requests",
        content=ROW.format(id="a", minute=10),
        headers=alice | NDJSON,
    )
    client.post(f"/api/kpi/{kpi_id}/calculate", headers=alice)
    assert card(client, "DONE")["status"] == "RED"  # 1 of a target of 2: 50 %

    client.put(f"/api/kpi/{kpi_id}", json={"target": 1}, headers=alice)  # same clock instant
    assert card(client, "DONE")["status"] == "GREEN"
    client.delete(f"/api/kpi/{kpi_id}", headers=alice)
    assert client.get("/api/kpi/dashboard").json()["kpis"] == []
