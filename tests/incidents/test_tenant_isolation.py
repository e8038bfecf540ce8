"""A tenant never sees, changes or counts another tenant's incidents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

Headers = Callable[[str], dict[str, str]]


def test_it_keeps_incidents_within_their_tenant(
    client: TestClient,
    headers: Headers,
    open_incident: Callable[..., dict[str, Any]],
    services: tuple[str, ...],
) -> None:
    ours = open_incident(affected_services=["id-recognition"])
    dave = headers("dave")
    base = f"/api/incidents/{ours['id']}"
    for method, path, body in (
        ("GET", base, None),
        ("PUT", base, {"version": 1, "title": "mine now"}),
        ("POST", f"{base}/updates", {"status": "resolved", "description": "x"}),
        ("POST", f"{base}/comments", {"message": "x"}),
        ("DELETE", base, None),
    ):
        response = client.request(method, path, json=body, headers=dave)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json() == {"detail": f"incident {ours['id']!r} not found"}
    assert client.get("/api/incidents", headers=dave).json()["incidents"] == []
    assert client.get("/api/incidents?tenant=acme").json()["pagination"]["total"] == 0
    assert client.get(base, headers=headers("carol")).json()["incident"]["title"] == ours["title"]


def test_it_numbers_incidents_per_tenant(
    client: TestClient, open_incident: Callable[..., dict[str, Any]]
) -> None:
    assert open_incident()["id"] == "inc-2026-001"
    assert open_incident("dave")["id"] == "inc-2026-001"
    assert open_incident("dave")["id"] == "inc-2026-002"
    assert client.get("/api/incidents/inc-2026-002").status_code == 404
    assert client.get("/api/incidents/inc-2026-002?tenant=acme").status_code == 200


def test_it_refuses_services_of_another_tenant(
    client: TestClient, headers: Headers, services: tuple[str, ...]
) -> None:
    body = {"title": "t", "severity": "low", "affected_services": ["id-recognition"]}
    response = client.post("/api/incidents", json=body, headers=headers("dave"))
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "affected_services", 0],
            "msg": "no service 'id-recognition' in this tenant",
            "type": "value_error",
        }
    ]
