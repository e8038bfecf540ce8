from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

CSV = {"Content-Type": "text/csv; charset=utf-8"}

BODY = (
    "id,service,status,created_at,resolved_at,sla_due_at,reassignment_count,category\r\n"
    "SR-1,mail,done,2026-02-01T08:00:00Z,2026-02-01T09:00:00Z,,0,access\r\n"
    'SR-2,vpn,open,2026-02-01T08:30:00Z,,,,"quoted, with comma"\r\n'
    'SR-3,vpn,open,2026-02-01T08:40:00Z,,,1,"two\nlines"\r\n'
)


def test_it_inserts_then_upserts_csv(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    auth = headers("bob") | CSV
    first = client.post("/api/ingest/service_requests", content=BODY.encode(), headers=auth)
    assert first.status_code == 200, first.text
    assert first.json() == {
        "dataset": "service_requests",
        "received": 3,
        "inserted": 3,
        "updated": 0,
    }
    again = BODY.replace("SR-3,vpn,open", "SR-4,vpn,open")
    second = client.post("/api/ingest/service_requests", content=again.encode(), headers=auth)
    assert second.json() == {
        "dataset": "service_requests",
        "received": 3,
        "inserted": 1,
        "updated": 2,
    }


def test_it_numbers_lines_after_a_multiline_cell(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    body = BODY + "SR-5,vpn,done,2026-02-01T08:00:00Z,,,0,\r\n"
    response = client.post(
        "/api/ingest/service_requests", content=body.encode(), headers=headers("bob") | CSV
    )
    assert response.status_code == 422
    # Header is line 1; SR-3 spans lines 4-5, so SR-5 starts on line 6.
    assert response.json()["detail"]["errors"] == [
        {"line": 6, "field": "resolved_at", "reason": "is required when status is done"}
    ]


def test_it_rejects_an_unknown_column(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    body = "id,service,status,created_at,colour\r\nSR-1,mail,open,2026-02-01T08:00:00Z,red\r\n"
    response = client.post(
        "/api/ingest/service_requests", content=body.encode(), headers=headers("bob") | CSV
    )
    assert response.status_code == 422
    assert response.json()["detail"]["errors"] == [
        {"line": 1, "field": "colour", "reason": "is not a field of this dataset"}
    ]


def test_it_rejects_a_row_with_the_wrong_number_of_cells(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    body = "id,service,status,created_at\r\nSR-1,mail,open\r\n"
    response = client.post(
        "/api/ingest/service_requests", content=body.encode(), headers=headers("bob") | CSV
    )
    assert response.json()["detail"]["errors"] == [
        {"line": 2, "field": "", "reason": "has 3 cells, the header has 4"}
    ]
