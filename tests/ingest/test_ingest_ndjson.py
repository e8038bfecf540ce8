from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from tests.ingest.support import NDJSON, ndjson, stored


def request(n: int, **extra: Any) -> dict[str, Any]:
    row = {
        "id": f"SR-{n}",
        "service": "mail",
        "status": "done",
        "created_at": "2026-01-31T20:00:00+09:00",
        "resolved_at": "2026-01-31T23:30:00+09:00",
        "sla_due_at": "2026-02-01T00:00:00+09:00",
        "reassignment_count": 0,
    }
    return row | extra


def test_it_inserts_then_upserts_by_id(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    auth = headers("bob") | NDJSON
    first = client.post(
        "/api/ingest/service_requests", content=ndjson(request(1), request(2)), headers=auth
    )
    assert first.status_code == 200, first.text
    assert first.json() == {
        "dataset": "service_requests",
        "received": 2,
        "inserted": 2,
        "updated": 0,
    }

    second = client.post(
        "/api/ingest/service_requests",
        content=ndjson(request(2, assignee="kim", reassignment_count=2), request(3)),
        headers=auth,
    )
    assert second.json() == {
        "dataset": "service_requests",
        "received": 2,
        "inserted": 1,
        "updated": 1,
    }
    rows = stored(client)
    assert [r["id"] for r in rows] == ["SR-1", "SR-2", "SR-3"]
    assert rows[1]["assignee"] == "kim"
    assert rows[1]["reassignment_count"] == 2


def test_it_stores_times_in_utc(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    response = client.post(
        "/api/ingest/service_requests",
        content=ndjson(request(1, first_response_at="2026-01-31T11:05:00Z")),
        headers=headers("bob") | NDJSON,
    )
    assert response.status_code == 200
    (row,) = stored(client)
    # 23:30 in Seoul (UTC+9) is 14:30 UTC.
    assert row["resolved_at"] == datetime(2026, 1, 31, 14, 30, tzinfo=UTC)
    assert row["created_at"] == datetime(2026, 1, 31, 11, 0, tzinfo=UTC)
    assert row["first_response_at"] == datetime(2026, 1, 31, 11, 5, tzinfo=UTC)
    assert row["tenant_id"] == 1


def test_it_keeps_fractions_of_seconds(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    row = request(
        1,
        created_at="2026-01-31T11:00:00.1234Z",
        first_response_at="2026-01-31T11:05:00.5+00:00",
        resolved_at="2026-01-31T11:30:00Z",
        sla_due_at="2026-01-31T21:00:00.000001+09:00",
    )
    response = client.post(
        "/api/ingest/service_requests", content=ndjson(row), headers=headers("bob") | NDJSON
    )
    assert response.status_code == 200, response.text
    (stored_row,) = stored(client)
    assert stored_row["created_at"] == datetime(2026, 1, 31, 11, 0, 0, 123400, tzinfo=UTC)
    assert stored_row["first_response_at"] == datetime(2026, 1, 31, 11, 5, 0, 500000, tzinfo=UTC)
    assert stored_row["resolved_at"] == datetime(2026, 1, 31, 11, 30, tzinfo=UTC)
    assert stored_row["sla_due_at"] == datetime(2026, 1, 31, 12, 0, 0, 1, tzinfo=UTC)


def test_it_reads_times_without_offset_in_the_tenant_zone(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    # dave's tenant "acme" is in Asia/Seoul: 09:00 there is 00:00 UTC.
    row = request(7, created_at="2026-03-01T09:00:00", resolved_at="2026-03-01T10:00:00")
    response = client.post(
        "/api/ingest/service_requests", content=ndjson(row), headers=headers("dave") | NDJSON
    )
    assert response.status_code == 200, response.text
    (stored_row,) = stored(client)
    assert stored_row["created_at"] == datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    assert stored_row["tenant_id"] == 2


def test_it_keeps_the_last_row_of_a_repeated_id(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    body = ndjson(request(1, assignee="first"), request(1, assignee="last"))
    response = client.post(
        "/api/ingest/service_requests", content=body, headers=headers("bob") | NDJSON
    )
    assert response.json() == {
        "dataset": "service_requests",
        "received": 2,
        "inserted": 1,
        "updated": 0,
    }
    assert [r["assignee"] for r in stored(client)] == ["last"]


def test_it_keeps_tenants_apart(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    client.post(
        "/api/ingest/service_requests", content=ndjson(request(1)), headers=headers("bob") | NDJSON
    )
    response = client.post(
        "/api/ingest/service_requests", content=ndjson(request(1)), headers=headers("dave") | NDJSON
    )
    # The same id in another tenant is another row.
    assert response.json()["inserted"] == 1
    assert sorted(r["tenant_id"] for r in stored(client)) == [1, 2]


def test_it_ingests_deployments(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    body = ndjson(
        {
            "id": "D1",
            "service": "erp",
            "status": "succeeded",
            "started_at": "2026-02-01T10:00:00Z",
            "finished_at": "2026-02-01T10:12:00Z",
        },
        {
            "id": "D2",
            "service": "erp",
            "status": "in_progress",
            "started_at": "2026-02-01T11:00:00Z",
        },
    )
    response = client.post("/api/ingest/deployments", content=body, headers=headers("bob") | NDJSON)
    assert response.json() == {"dataset": "deployments", "received": 2, "inserted": 2, "updated": 0}


def test_it_audits_an_ingestion(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    client.post(
        "/api/ingest/service_requests", content=ndjson(request(1)), headers=headers("bob") | NDJSON
    )
    audit = client.get("/api/audit?entity=service_requests", headers=headers("alice")).json()
    (entry,) = audit["items"]
    assert entry["action"] == "ingest"
    assert entry["username"] == "bob"
    assert entry["detail"] == {"received": 1, "inserted": 1, "updated": 0}
