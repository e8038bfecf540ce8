from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.ingest.support import NDJSON, ndjson, stored

from kpiwatch.ingest import service

URL = "/api/ingest/service_requests"


def full(n: int, **extra: Any) -> dict[str, Any]:
    """A request with every field present, so a batch takes the all-fields path."""
    row = {
        "id": f"SR-{n}",
        "service": "mail",
        "category": "access",
        "priority": "P2",
        "status": "done",
        "created_at": "2026-01-31T11:00:00Z",
        "first_response_at": None,
        "resolved_at": "2026-01-31T12:00:00+00:00",
        "sla_due_at": "2026-01-31T21:00:00+09:00",
        "assignee": "kim",
        "reassignment_count": 1,
    }
    return row | extra


def test_it_converts_a_batch_with_every_field_present(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    body = ndjson(full(1), full(2, priority=3, created_at="2026-01-31T10:00:00.5"))
    # bob's tenant is in UTC, so the time without an offset is UTC too.
    response = client.post(URL, content=body, headers=headers("bob") | NDJSON)
    assert response.json()["inserted"] == 2, response.text
    first, second = stored(client)
    assert first["created_at"] == datetime(2026, 1, 31, 11, 0, tzinfo=UTC)
    assert first["first_response_at"] is None
    assert first["sla_due_at"] == datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
    assert (first["category"], first["assignee"], first["reassignment_count"]) == (
        "access",
        "kim",
        1,
    )
    assert second["priority"] == "3"
    assert second["created_at"] == datetime(2026, 1, 31, 10, 0, 0, 500000, tzinfo=UTC)


def test_it_counts_ids_across_batches(
    client: TestClient, headers: Callable[[str], dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "BATCH_ROWS", 2)
    auth = headers("bob") | NDJSON
    assert client.post(URL, content=ndjson(full(1)), headers=auth).json()["inserted"] == 1
    # Batches: [2, 3] new; [2, 1]: 2 again, 1 stored; [4, 4]: new, repeated in its batch.
    body = ndjson(
        full(2),
        full(3),
        full(2, assignee="again"),
        full(1, assignee="updated"),
        full(4, assignee="first"),
        full(4, assignee="last"),
    )
    response = client.post(URL, content=body, headers=auth)
    assert response.json() == {
        "dataset": "service_requests",
        "received": 6,
        "inserted": 3,
        "updated": 1,
    }
    assignees = {r["id"]: r["assignee"] for r in stored(client)}
    assert assignees == {"SR-1": "updated", "SR-2": "again", "SR-3": "kim", "SR-4": "last"}


def test_it_reports_bad_lines_of_every_batch(
    client: TestClient, headers: Callable[[str], dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "BATCH_ROWS", 2)
    body = ndjson(full(1), full(2), full(3, status="closed"), full(4), full(5, resolved_at=None))
    response = client.post(URL, content=body, headers=headers("bob") | NDJSON)
    assert response.status_code == 422
    assert response.json()["detail"]["errors"] == [
        {
            "line": 3,
            "field": "status",
            "reason": "must be one of open, in_progress, done, cancelled",
        },
        {"line": 5, "field": "resolved_at", "reason": "is required when status is done"},
    ]
    assert stored(client) == []
