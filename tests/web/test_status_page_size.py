"""50 services with 90 day bars each: under 100 KB on the wire."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

LIMIT = 100 * 1024


def test_it_sends_50_services_in_under_100_kb(
    client: TestClient, seed_service: Callable[..., int]
) -> None:
    days = {f"2026-02-{d:02d}": (86400.0, 60.0 * (d % 3), 0.0) for d in range(1, 29)}
    for n in range(50):
        seed_service(f"service-{n:02d}", group=f"Group {n // 10}", days=days)

    response = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.text.count('<li class="svc"') == 50
    assert response.text.count("tabindex=0") == 50 * 90
    sent = int(response.headers["content-length"])  # the compressed body
    assert sent < LIMIT, f"{sent} bytes sent ({len(response.content)} bytes of HTML)"


def test_it_sends_plain_html_to_clients_without_gzip(client: TestClient) -> None:
    response = client.get("/", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in response.headers
    assert response.text.startswith("<!doctype html>")
