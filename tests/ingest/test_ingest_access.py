from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

NDJSON = {"Content-Type": "application/x-ndjson"}
LINE = b'{"id":"SR-1","service":"mail","status":"open","created_at":"2026-02-01T08:00:00Z"}\n'
URL = "/api/ingest/service_requests"


def test_it_needs_a_reporter(client: TestClient, headers: Callable[[str], dict[str, str]]) -> None:
    assert client.post(URL, content=LINE, headers=NDJSON).status_code == 401
    assert client.post(URL, content=LINE, headers=headers("carol") | NDJSON).status_code == 403
    assert client.post(URL, content=LINE, headers=headers("bob") | NDJSON).status_code == 200
    assert client.post(URL, content=LINE, headers=headers("alice") | NDJSON).status_code == 200


def test_it_accepts_an_api_key_in_either_header(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    created = client.post(
        "/api/api-keys", json={"name": "collector", "role": "reporter"}, headers=headers("alice")
    )
    key = created.json()["key"]
    bearer = client.post(URL, content=LINE, headers={"Authorization": f"Bearer {key}"} | NDJSON)
    assert bearer.json()["inserted"] == 1
    header = client.post(URL, content=LINE, headers={"X-API-Key": key} | NDJSON)
    assert header.json()["updated"] == 1
    viewer_key = client.post(
        "/api/api-keys", json={"name": "reader", "role": "viewer"}, headers=headers("alice")
    ).json()["key"]
    assert (
        client.post(URL, content=LINE, headers={"X-API-Key": viewer_key} | NDJSON).status_code
        == 403
    )
    assert (
        client.post(URL, content=LINE, headers={"X-API-Key": key + "x"} | NDJSON).status_code == 401
    )


def test_it_lists_datasets_publicly(client: TestClient) -> None:
    names = [d["name"] for d in client.get("/api/ingest").json()]
    assert names == ["service_requests", "deployments"]
