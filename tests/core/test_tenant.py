"""/api/tenant: anyone reads a tenant's name and time zone; its admin changes them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from kpiwatch.core.models import tenants

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
Headers = Callable[[str], dict[str, str]]
UserId = Callable[[str], int]
Rows = Callable[[Any], list[dict[str, Any]]]
Entries = Callable[[], list[dict[str, Any]]]


def test_it_shows_a_tenant_to_anyone(client: TestClient, headers: Headers) -> None:
    default = {"slug": "default", "name": "Default", "timezone": "UTC"}
    acme = {"slug": "acme", "name": "Acme", "timezone": "Asia/Seoul"}
    assert client.get("/api/tenant").json() == default
    assert client.get("/api/tenant?tenant=acme").json() == acme
    response = client.get("/api/tenant?tenant=nope")
    assert response.status_code == 404
    assert response.json() == {"detail": "tenant 'nope' not found"}
    assert client.get("/api/health").status_code == 200
    # A logged-in caller reads their own tenant, whatever ?tenant= says.
    assert client.get("/api/tenant?tenant=default", headers=headers("erin")).json() == acme


def test_it_lets_only_the_admin_rename_the_tenant_and_change_its_zone(
    client: TestClient, headers: Headers, user_id: UserId, audit_entries: Entries
) -> None:
    body = {"name": "Acme Korea", "timezone": "Europe/Berlin"}
    assert client.put("/api/tenant?tenant=acme", json=body).status_code == 401
    assert client.put("/api/tenant", json=body, headers=headers("erin")).status_code == 403
    response = client.put("/api/tenant", json=body, headers=headers("dave"))
    assert response.status_code == 200
    assert response.json() == {"slug": "acme", "name": "Acme Korea", "timezone": "Europe/Berlin"}
    assert client.get("/api/tenant?tenant=acme").json()["timezone"] == "Europe/Berlin"
    assert client.get("/api/tenant").json()["timezone"] == "UTC"
    assert audit_entries()[-1] == {
        "tenant": "acme",
        "action": "tenant.update",
        "entity": "tenant",
        "entity_id": "acme",
        "user_id": user_id("dave"),
        "username": "dave",
        "detail": {
            "name": {"from": "Acme", "to": "Acme Korea"},
            "timezone": {"from": "Asia/Seoul", "to": "Europe/Berlin"},
        },
        "ip": "203.0.113.7",
        "at": T0,
    }


def test_it_refuses_an_unknown_time_zone_and_changes_nothing(
    client: TestClient, headers: Headers, rows: Rows, audit_entries: Entries
) -> None:
    auth = headers("alice")
    before = audit_entries()
    for zone in ("Mars/Olympus", "KST", "../../etc/passwd", "/etc/localtime", "+09:00"):
        response = client.put("/api/tenant", json={"name": "X", "timezone": zone}, headers=auth)
        assert response.status_code == 422, zone
        assert response.json() == {
            "detail": [
                {
                    "loc": ["body", "timezone"],
                    "msg": f"unknown time zone {zone!r}: use an IANA name such as 'Asia/Seoul'",
                    "type": "value_error",
                }
            ]
        }, zone
    response = client.put("/api/tenant", json={"name": ""}, headers=auth)
    assert [e["loc"] for e in response.json()["detail"]] == [["body", "name"], ["body", "timezone"]]
    assert audit_entries() == before
    assert rows(select(tenants.c.name, tenants.c.timezone).order_by(tenants.c.id)) == [
        {"name": "Default", "timezone": "UTC"},
        {"name": "Acme", "timezone": "Asia/Seoul"},
    ]
