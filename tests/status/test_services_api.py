from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

SERVICE = {
    "id": "id-recognition",
    "name": "ID Recognition",
    "description": "OCR of ID cards",
    "endpoint_url": "https://verify.example.com/id",
    "group": "Verify",
    "order": 1,
}


def test_it_lists_services_in_the_prd_shape(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    admin = headers("alice")
    assert client.post("/api/services", json=SERVICE, headers=admin).status_code == 201
    second = {"id": "face-liveness", "name": "Face Liveness", "group": "Verify", "order": 0}
    assert client.post("/api/services", json=second, headers=admin).status_code == 201
    body = client.get("/api/services").json()
    assert [(s["id"], s["name"]) for s in body["services"]] == [
        ("all-systems", "All Systems"),
        ("face-liveness", "Face Liveness"),
        ("id-recognition", "ID Recognition"),
    ]
    assert body["services"][2] == SERVICE


def test_it_updates_and_deletes_a_service_with_audit_entries(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    admin = headers("alice")
    client.post("/api/services", json=SERVICE, headers=admin)
    changed = {k: v for k, v in SERVICE.items() if k != "id"} | {"name": "ID OCR"}
    response = client.put("/api/services/id-recognition", json=changed, headers=admin)
    assert response.json()["service"]["name"] == "ID OCR"
    assert client.delete("/api/services/id-recognition", headers=admin).json()["success"] is True
    assert client.get("/api/services/id-recognition").status_code == 404
    audit = client.get("/api/audit", params={"entity": "service"}, headers=admin).json()
    items = audit["items"] if isinstance(audit, dict) else audit
    assert [e["action"] for e in items] == ["service.delete", "service.update", "service.create"]


@pytest.mark.parametrize(("who", "status"), [(None, 401), ("carol", 403), ("bob", 403)])
def test_it_lets_only_admins_write_services(
    client: TestClient, headers: Callable[[str], dict[str, str]], who: str | None, status: int
) -> None:
    sent = headers(who) if who else {}
    assert client.post("/api/services", json=SERVICE, headers=sent).status_code == status


def test_it_rejects_bad_fields_with_their_paths(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    bad = SERVICE | {"id": "Not A Slug", "order": "first"}
    response = client.post("/api/services", json=bad, headers=headers("alice"))
    assert response.status_code == 422
    assert {tuple(e["loc"]) for e in response.json()["detail"]} == {
        ("body", "id"),
        ("body", "order"),
    }
    reserved = SERVICE | {"id": "all-systems"}
    response = client.post("/api/services", json=reserved, headers=headers("alice"))
    assert response.json()["detail"][0]["loc"] == ["body", "id"]


def test_it_hides_another_tenants_services(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    client.post("/api/services", json=SERVICE, headers=headers("alice"))
    dave = headers("dave")
    assert client.get("/api/services/id-recognition", headers=dave).status_code == 404
    changed = {k: v for k, v in SERVICE.items() if k != "id"}
    assert client.put("/api/services/id-recognition", json=changed, headers=dave).status_code == 404
    assert client.post("/api/services", json=SERVICE, headers=dave).status_code == 201
    assert client.post("/api/services", json=SERVICE, headers=dave).status_code == 409
