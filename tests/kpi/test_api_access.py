"""Who may do what on /api/kpi, and tenant scoping."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

KPI = {
    "name": "OPEN_REQUESTS",
    "display_name": "Open requests",
    "unit": "",
    "direction": "LOWER_BETTER",
    "target": 10,
    "period": "DAILY",
    "formula": "open(service_requests from created_at to resolved_at)",
    "dimensions": ["service"],
}


@pytest.fixture
def kpi_id(client: TestClient, headers: Callable[[str], dict[str, str]]) -> int:
    response = client.post("/api/kpi/", json=KPI, headers=headers("alice"))
    assert response.status_code == 201, response.text
    kpi_id: int = response.json()["id"]
    return kpi_id


def writes(kpi_id: int) -> list[tuple[str, str, dict[str, Any] | None]]:
    return [
        ("POST", "/api/kpi/", KPI | {"name": "OTHER"}),
        ("POST", "/api/kpi/apply-template", {"template_names": ["MTTR"]}),
        ("PUT", f"/api/kpi/{kpi_id}", {"target": 5}),
        ("POST", f"/api/kpi/{kpi_id}/calculate", None),
        ("POST", f"/api/kpi/{kpi_id}/backfill", {"from": "2026-02-01", "to": "2026-02-02"}),
        ("DELETE", f"/api/kpi/{kpi_id}", None),
    ]


def test_it_lets_only_admins_write(
    client: TestClient, headers: Callable[[str], dict[str, str]], kpi_id: int
) -> None:
    for method, url, body in writes(kpi_id):
        assert client.request(method, url, json=body).status_code == 401, url
        for persona in ("carol", "bob"):
            response = client.request(method, url, json=body, headers=headers(persona))
            assert response.status_code == 403, (persona, url)
    for method, url, body in writes(kpi_id):
        response = client.request(method, url, json=body, headers=headers("alice"))
        assert response.status_code in (200, 201, 204), (url, response.text)


def test_it_lets_anyone_read_the_tenant_kpis(client: TestClient, kpi_id: int) -> None:
    assert [k["name"] for k in client.get("/api/kpi/").json()] == ["OPEN_REQUESTS"]
    assert client.get(f"/api/kpi/{kpi_id}").json()["name"] == "OPEN_REQUESTS"
    assert client.get("/api/kpi/dashboard").json()["summary"] == {
        "GREEN": 0,
        "YELLOW": 0,
        "RED": 0,
        "NO_DATA": 1,
    }
    assert client.get("/api/kpi/?tenant=acme").json() == []


def test_it_hides_other_tenants_kpis(
    client: TestClient, headers: Callable[[str], dict[str, str]], kpi_id: int
) -> None:
    dave = headers("dave")
    assert client.get(f"/api/kpi/{kpi_id}", headers=dave).status_code == 404
    assert client.get(f"/api/kpi/{kpi_id}?tenant=acme").status_code == 404
    assert client.get(f"/api/kpi/{kpi_id}/values", headers=dave).status_code == 404
    assert client.put(f"/api/kpi/{kpi_id}", json={"target": 1}, headers=dave).status_code == 404
    assert client.post(f"/api/kpi/{kpi_id}/calculate", headers=dave).status_code == 404
    assert client.delete(f"/api/kpi/{kpi_id}", headers=dave).status_code == 404
    assert client.get("/api/kpi/", headers=dave).json() == []


def test_it_audits_kpi_writes(
    client: TestClient, headers: Callable[[str], dict[str, str]], kpi_id: int
) -> None:
    alice = headers("alice")
    client.put(f"/api/kpi/{kpi_id}", json={"target": 5}, headers=alice)
    client.delete(f"/api/kpi/{kpi_id}", headers=alice)
    items = client.get("/api/audit?entity=kpi", headers=alice).json()["items"]
    assert [(i["action"], i["entity_id"]) for i in items] == [
        ("kpi.delete", str(kpi_id)),
        ("kpi.update", str(kpi_id)),
        ("kpi.create", str(kpi_id)),
    ]
    assert items[1]["detail"] == {"target": {"from": 10.0, "to": 5}}


def test_it_rejects_bad_definitions_with_the_field(
    client: TestClient, headers: Callable[[str], dict[str, str]], kpi_id: int
) -> None:
    alice = headers("alice")
    taken = client.post("/api/kpi/", json=KPI, headers=alice)
    assert taken.status_code == 409
    bad_formula = client.post(
        "/api/kpi/", json=KPI | {"name": "X", "formula": "count(tickets)"}, headers=alice
    )
    assert bad_formula.status_code == 422
    (error,) = bad_formula.json()["detail"]
    assert error["loc"] == ["body", "formula"]
    assert (error["line"], error["column"]) == (1, 7)
    bad_dimension = client.post(
        "/api/kpi/", json=KPI | {"name": "Y", "dimensions": ["colour"]}, headers=alice
    )
    assert bad_dimension.json()["detail"][0]["loc"] == ["body", "dimensions"]
    one_threshold = client.post(
        "/api/kpi/", json=KPI | {"name": "Z", "green_threshold": 3}, headers=alice
    )
    assert one_threshold.json()["detail"][0]["loc"] == ["body", "yellow_threshold"]
    unknown_template = client.post(
        "/api/kpi/apply-template", json={"template_names": ["NOPE"]}, headers=alice
    )
    assert unknown_template.status_code == 422
    assert [k["name"] for k in client.get("/api/kpi/").json()] == ["OPEN_REQUESTS"]


def test_it_validates_a_formula(client: TestClient) -> None:
    ok = client.post("/api/kpi/validate", json={"formula": KPI["formula"]})
    assert ok.status_code == 200
    assert ok.json()["valid"] is True
    assert "service" in ok.json()["dimensions_allowed"]
    bad = client.post("/api/kpi/validate", json={"formula": "count(service_requests where"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["line"] == 1
