"""A KPI's stored values go with the KPI, and with its tenant (a trigger, not a foreign key)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select

from kpiwatch.core.models import tenants
from kpiwatch.kpi.models import kpi_values

if TYPE_CHECKING:
    from conftest import Ingest

KPI = {
    "name": "OPEN_REQUESTS",
    "display_name": "Open requests",
    "unit": "",
    "direction": "LOWER_BETTER",
    "target": 10,
    "period": "DAILY",
    "formula": "open(service_requests from created_at to resolved_at)",
}
OPEN = {"id": "SR-1", "service": "mail", "status": "open", "created_at": "2026-01-31T08:00:00Z"}


def create_and_backfill(client: TestClient, auth: dict[str, str], name: str) -> int:
    response = client.post("/api/kpi/", json=KPI | {"name": name}, headers=auth)
    assert response.status_code == 201, response.text
    kpi_id: int = response.json()["id"]
    span = {"from": "2026-02-01", "to": "2026-02-03"}
    response = client.post(f"/api/kpi/{kpi_id}/backfill", json=span, headers=auth)
    assert response.json() == {"kpi_id": kpi_id, "periods": 3, "values": 3}
    return kpi_id


def stored(client: TestClient) -> dict[int, int]:
    async def count() -> dict[int, int]:
        async with client.app.state.db.read() as conn:  # type: ignore[attr-defined]
            query = select(kpi_values.c.kpi_id, func.count()).group_by(kpi_values.c.kpi_id)
            return {kpi: n for kpi, n in (await conn.execute(query)).all()}

    return client.portal.call(count)  # type: ignore[union-attr]


def test_deleting_a_kpi_deletes_its_values(
    client: TestClient, headers: Callable[[str], dict[str, str]], ingest: Ingest
) -> None:
    ingest("alice", "service_requests", [OPEN])
    gone = create_and_backfill(client, headers("alice"), "GONE")
    kept = create_and_backfill(client, headers("alice"), "KEPT")
    assert stored(client) == {gone: 3, kept: 3}

    assert client.delete(f"/api/kpi/{gone}", headers=headers("alice")).status_code == 204

    assert stored(client) == {kept: 3}


def test_deleting_a_tenant_deletes_its_kpi_values(
    client: TestClient, headers: Callable[[str], dict[str, str]], ingest: Ingest
) -> None:
    ingest("alice", "service_requests", [OPEN])
    ingest("dave", "service_requests", [OPEN])
    ours = create_and_backfill(client, headers("alice"), "OURS")
    theirs = create_and_backfill(client, headers("dave"), "THEIRS")
    assert stored(client) == {ours: 3, theirs: 3}

    async def delete_acme() -> None:
        async with client.app.state.db.write() as conn:  # type: ignore[attr-defined]
            await conn.execute(delete(tenants).where(tenants.c.slug == "acme"))

    client.portal.call(delete_acme)  # type: ignore[union-attr]
    assert stored(client) == {ours: 3}
