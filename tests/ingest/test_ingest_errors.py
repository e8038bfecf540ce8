from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

NDJSON = {"Content-Type": "application/x-ndjson"}
GOOD = b'{"id":"SR-1","service":"mail","status":"open","created_at":"2026-02-01T08:00:00Z"}\n'


def test_it_lists_every_bad_line_and_writes_nothing(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    body = (
        GOOD
        + b'{"id":"SR-2","service":"mail","status":"closed","created_at":"2026-02-01T08:00:00Z"}\n'
        + b"\n"
        + b'{"id":"SR-3","status":"open","created_at":"yesterday"}\n'
        + b"not json\n"
        + b'{"id":"SR-5","service":"mail","status":"done","created_at":"2026-02-01T08:00:00Z",'
        + b'"resolved_at":"2026-01-31T08:00:00Z","reassignment_count":-1}\n'
        + b"[1, 2]\n"
    )
    response = client.post(
        "/api/ingest/service_requests", content=body, headers=headers("bob") | NDJSON
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail["bad_lines"] == 5
    assert detail["message"] == "5 bad line(s); nothing was written"
    errors = detail["errors"]
    assert errors[0] == {
        "line": 2,
        "field": "status",
        "reason": "must be one of open, in_progress, done, cancelled",
    }
    assert errors[1] == {"line": 4, "field": "service", "reason": "is required"}
    assert errors[2] == {
        "line": 4,
        "field": "created_at",
        "reason": "is not an ISO 8601 timestamp: 'yesterday'",
    }
    assert errors[3]["line"] == 5 and errors[3]["reason"].startswith("invalid JSON")
    assert errors[4] == {"line": 6, "field": "reassignment_count", "reason": "must be ≥ 0"}
    assert errors[5] == {"line": 7, "field": "", "reason": "each line must be a JSON object"}

    # Nothing of the good first line was written: sending it alone inserts it.
    retry = client.post(
        "/api/ingest/service_requests", content=GOOD, headers=headers("bob") | NDJSON
    )
    assert retry.json()["inserted"] == 1


def test_it_checks_rules_across_fields(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    body = (
        b'{"id":"D1","service":"erp","status":"succeeded","started_at":"2026-02-01T10:00:00Z"}\n'
        b'{"id":"D2","service":"erp","status":"failed","started_at":"2026-02-01T10:00:00Z",'
        b'"finished_at":"2026-02-01T09:00:00Z"}\n'
        b'{"id":"D3","service":"erp","status":"in_progress","started_at":"2026-02-01T10:00:00Z",'
        b'"finished_at":"2026-02-01T11:00:00Z"}\n'
    )
    response = client.post("/api/ingest/deployments", content=body, headers=headers("bob") | NDJSON)
    assert response.json()["detail"]["errors"] == [
        {"line": 1, "field": "finished_at", "reason": "is required when status is succeeded"},
        {"line": 2, "field": "finished_at", "reason": "is before started_at"},
        {"line": 3, "field": "finished_at", "reason": "must be empty when status is in_progress"},
    ]


def test_it_lists_at_most_100_errors(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    body = b'{"id":"x"}\n' * 150
    response = client.post(
        "/api/ingest/service_requests", content=body, headers=headers("bob") | NDJSON
    )
    detail = response.json()["detail"]
    assert detail["bad_lines"] == 150
    assert len(detail["errors"]) == 100
    assert detail["errors_listed"] == 100


def test_it_rejects_unknown_fields_and_datasets(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    body = GOOD.replace(b"}", b',"colour":"red"}')
    response = client.post(
        "/api/ingest/service_requests", content=body, headers=headers("bob") | NDJSON
    )
    assert response.json()["detail"]["errors"] == [
        {"line": 1, "field": "colour", "reason": "is not a field of this dataset"}
    ]
    missing = client.post("/api/ingest/tickets", content=GOOD, headers=headers("bob") | NDJSON)
    assert missing.status_code == 404


def test_it_refuses_other_media_types(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    response = client.post(
        "/api/ingest/service_requests",
        content=GOOD,
        headers=headers("bob") | {"Content-Type": "application/xml"},
    )
    assert response.status_code == 415
