from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

HTTP = {
    "service_id": "api",
    "name": "health",
    "type": "http",
    "url": "https://api.example.com/h",
    "method": "POST",
    "headers": {"Authorization": "Bearer s3cret"},
    "body": "{}",
    "expected_status": [200, 204],
    "keyword": "ok",
    "json_path": "data.ok",
    "json_expected": "true",
    "interval_s": 30,
    "timeout_s": 5,
}


@pytest.fixture
def admin(client: TestClient, headers: Callable[[str], dict[str, str]]) -> dict[str, str]:
    sent = headers("alice")
    client.post("/api/services", json={"id": "api", "name": "API"}, headers=sent)
    return sent


def test_it_creates_a_monitor_with_defaults_and_audits_it(
    client: TestClient, admin: dict[str, str]
) -> None:
    response = client.post("/api/monitors", json=HTTP, headers=admin)
    assert response.status_code == 201, response.text
    monitor: dict[str, Any] = response.json()["monitor"]
    assert (monitor["failures_before_down"], monitor["successes_before_up"]) == (3, 1)
    assert (monitor["degraded_ms"], monitor["active"], monitor["state"]) == (7000, True, None)
    audit = client.get("/api/audit", params={"entity": "monitor"}, headers=admin).json()
    [entry] = audit["items"]
    assert entry["action"] == "monitor.create"
    assert entry["detail"]["headers"] == "(set)"


def test_it_replaces_and_deletes_a_monitor(client: TestClient, admin: dict[str, str]) -> None:
    monitor_id = client.post("/api/monitors", json=HTTP, headers=admin).json()["monitor"]["id"]
    replaced = client.put(
        f"/api/monitors/{monitor_id}", json=HTTP | {"interval_s": 60}, headers=admin
    )
    assert replaced.json()["monitor"]["interval_s"] == 60
    assert client.delete(f"/api/monitors/{monitor_id}", headers=admin).status_code == 200
    assert client.get(f"/api/monitors/{monitor_id}", headers=admin).status_code == 404


def test_it_shows_credentials_to_admins_only(
    client: TestClient, admin: dict[str, str], headers: Callable[[str], dict[str, str]]
) -> None:
    client.post("/api/monitors", json=HTTP, headers=admin)
    [seen] = client.get("/api/monitors", headers=headers("carol")).json()["monitors"]
    assert seen["headers"] == {"Authorization": "***"}
    [full] = client.get("/api/monitors", headers=admin).json()["monitors"]
    assert full["headers"] == {"Authorization": "Bearer s3cret"}
    assert client.get("/api/monitors").status_code == 401


@pytest.mark.parametrize(("who", "status"), [(None, 401), ("carol", 403), ("bob", 403)])
def test_it_lets_only_admins_write_monitors(
    client: TestClient,
    admin: dict[str, str],
    headers: Callable[[str], dict[str, str]],
    who: str | None,
    status: int,
) -> None:
    sent = headers(who) if who else {}
    assert client.post("/api/monitors", json=HTTP, headers=sent).status_code == status


@pytest.mark.parametrize(
    ("change", "paths"),
    [
        ({"url": "ftp://x"}, {("body", "url")}),
        (
            {"type": "tcp", "url": None, "keyword": None, "json_path": None, "json_expected": None},
            {("body", "host")},
        ),
        ({"interval_s": 0.5}, {("body", "interval_s")}),
        ({"json_path": "data..ok"}, {("body", "json_path")}),
        ({"expected_status": [200, 700]}, {("body", "expected_status")}),
        ({"service_id": "nope"}, {("body", "service_id")}),
        (
            {"failures_before_down": 0, "type": "icmp"},
            {("body", "failures_before_down"), ("body", "type")},
        ),
    ],
)
def test_it_rejects_bad_monitors_with_field_paths(
    client: TestClient, admin: dict[str, str], change: dict[str, Any], paths: set[tuple[str, ...]]
) -> None:
    response = client.post("/api/monitors", json=HTTP | change, headers=admin)
    assert response.status_code == 422
    assert {tuple(e["loc"]) for e in response.json()["detail"]} == paths


def test_it_hides_another_tenants_monitors(
    client: TestClient, admin: dict[str, str], headers: Callable[[str], dict[str, str]]
) -> None:
    monitor_id = client.post("/api/monitors", json=HTTP, headers=admin).json()["monitor"]["id"]
    dave = headers("dave")
    assert client.get(f"/api/monitors/{monitor_id}", headers=dave).status_code == 404
    assert client.delete(f"/api/monitors/{monitor_id}", headers=dave).status_code == 404
    assert client.get("/api/monitors", headers=dave).json() == {"monitors": []}
