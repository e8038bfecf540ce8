from __future__ import annotations

from collections.abc import Callable, Iterator

from fastapi.testclient import TestClient

from kpiwatch.core.config import Settings

NDJSON = {"Content-Type": "application/x-ndjson"}
LINE = b'{"id":"SR-1","service":"mail","status":"open","created_at":"2026-02-01T08:00:00Z"}\n'


def test_it_answers_413_to_a_body_over_the_limit(
    settings: Settings, client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    settings.ingest_max_bytes = 1000
    body = LINE * 20  # 1,640 bytes
    response = client.post(
        "/api/ingest/service_requests", content=body, headers=headers("bob") | NDJSON
    )
    assert response.status_code == 413


def test_it_answers_413_to_a_chunked_body_over_the_limit(
    settings: Settings, client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    settings.ingest_max_bytes = 1000

    def chunks() -> Iterator[bytes]:  # no Content-Length: the size is counted while reading
        for _ in range(20):
            yield LINE

    response = client.post(
        "/api/ingest/service_requests", content=chunks(), headers=headers("bob") | NDJSON
    )
    assert response.status_code == 413
    under = client.post(
        "/api/ingest/service_requests", content=LINE, headers=headers("bob") | NDJSON
    )
    assert under.json()["inserted"] == 1
