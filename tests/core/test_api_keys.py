"""/api/api-keys: keys for machines, shown once, kept hashed, revocable."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from kpiwatch.core.clock import Clock
from kpiwatch.core.models import api_keys
from kpiwatch.core.security import sha256_hex

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
Headers = Callable[[str], dict[str, str]]
UserId = Callable[[str], int]
Rows = Callable[[Any], list[dict[str, Any]]]
Entries = Callable[[], list[dict[str, Any]]]


def create(client: TestClient, auth: dict[str, str], name: str, role: str) -> dict[str, Any]:
    response = client.post("/api/api-keys", json={"name": name, "role": role}, headers=auth)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_it_shows_the_key_once_and_keeps_its_hash(
    client: TestClient, headers: Headers, rows: Rows, user_id: UserId, audit_entries: Entries
) -> None:
    auth = headers("alice")
    created = create(client, auth, "etl", "reporter")
    key = created.pop("key")
    assert re.fullmatch(r"kpw_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", key)
    assert created == {
        "id": created["id"],
        "name": "etl",
        "prefix": key[4:16],
        "role": "reporter",
        "created_at": "2026-03-02T09:00:00Z",
        "last_used_at": None,
        "revoked_at": None,
    }
    assert rows(select(api_keys)) == [
        {
            "id": created["id"],
            "tenant_id": 1,
            "name": "etl",
            "prefix": key[4:16],
            "key_hash": sha256_hex(key),
            "role": "reporter",
            "created_by": user_id("alice"),
            "created_at": T0,
            "last_used_at": None,
            "revoked_at": None,
        }
    ]
    listed = client.get("/api/api-keys", headers=auth)
    assert listed.status_code == 200
    assert listed.json() == [created]
    assert key[17:] not in listed.text
    assert audit_entries()[-1] == {
        "tenant": "default",
        "action": "api_key.create",
        "entity": "api_key",
        "entity_id": str(created["id"]),
        "user_id": user_id("alice"),
        "username": "alice",
        "detail": {"name": "etl", "role": "reporter"},
        "ip": "203.0.113.7",
        "at": T0,
    }


def test_it_accepts_the_key_as_bearer_or_x_api_key(
    client: TestClient, clock: Clock, headers: Headers
) -> None:
    key = create(client, headers("dave"), "sync", "admin")["key"]
    clock.advance(minutes=5)
    for auth in ({"Authorization": f"Bearer {key}"}, {"X-API-Key": key}):
        response = client.get("/api/users", headers=auth)
        assert response.status_code == 200
        assert [u["username"] for u in response.json()] == ["dave", "erin"]
        # The key's tenant wins over ?tenant=.
        assert client.get("/api/tenant?tenant=default", headers=auth).json()["slug"] == "acme"
    listed = client.get("/api/api-keys", headers=headers("dave")).json()
    assert listed[0]["last_used_at"] == "2026-03-02T09:05:00Z"
    # A key is no user: it has no profile and no session to log out of.
    response = client.get("/api/auth/me", headers={"X-API-Key": key})
    assert response.status_code == 403
    response = client.post("/api/auth/logout", headers={"X-API-Key": key})
    assert response.status_code == 403
    assert response.json() == {"detail": "an API key has no session; revoke it instead"}
    # A key acts with its own role.
    reporter = create(client, headers("dave"), "etl", "reporter")["key"]
    response = client.get("/api/users", headers={"X-API-Key": reporter})
    assert response.status_code == 403
    assert response.json() == {"detail": "requires the admin role"}


def test_it_refuses_a_revoked_or_forged_key(
    client: TestClient, clock: Clock, headers: Headers, user_id: UserId, audit_entries: Entries
) -> None:
    auth = headers("alice")
    created = create(client, auth, "old", "admin")
    key = created["key"]
    clock.advance(hours=1)
    response = client.delete(f"/api/api-keys/{created['id']}", headers=auth)
    assert response.status_code == 204
    assert audit_entries()[-1] == {
        "tenant": "default",
        "action": "api_key.revoke",
        "entity": "api_key",
        "entity_id": str(created["id"]),
        "user_id": user_id("alice"),
        "username": "alice",
        "detail": None,
        "ip": "203.0.113.7",
        "at": T0 + timedelta(hours=1),
    }
    for bad in ({"Authorization": f"Bearer {key}"}, {"X-API-Key": key}):
        response = client.get("/api/users", headers=bad)
        assert response.status_code == 401
        assert response.json() == {"detail": "invalid API key"}
    listed = client.get("/api/api-keys", headers=auth).json()
    assert listed[0]["revoked_at"] == "2026-03-02T10:00:00Z"

    live = create(client, auth, "new", "admin")["key"]
    forged = live[:17] + ("A" if live[17] != "A" else "B") + live[18:]
    assert client.get("/api/users", headers={"X-API-Key": forged}).status_code == 401
    assert client.get("/api/users", headers={"X-API-Key": live}).status_code == 200


def test_it_keeps_keys_within_their_tenant(client: TestClient, headers: Headers) -> None:
    default_key = create(client, headers("alice"), "default-etl", "reporter")
    acme_key = create(client, headers("dave"), "acme-etl", "reporter")
    dave = headers("dave")
    assert [k["name"] for k in client.get("/api/api-keys", headers=dave).json()] == ["acme-etl"]
    response = client.delete(f"/api/api-keys/{default_key['id']}", headers=dave)
    assert response.status_code == 404
    assert response.json() == {"detail": f"API key {default_key['id']} not found"}
    alice = headers("alice")
    assert client.delete(f"/api/api-keys/{acme_key['id']}", headers=alice).status_code == 404
    assert client.get("/api/users", headers={"X-API-Key": default_key["key"]}).status_code == 403


def test_it_names_the_invalid_fields(client: TestClient, headers: Headers, rows: Rows) -> None:
    auth = headers("alice")
    for body, loc in (
        ({"role": "admin"}, ["body", "name"]),
        ({"name": "x", "role": "owner"}, ["body", "role"]),
        ({"name": ""}, ["body", "name"]),
    ):
        response = client.post("/api/api-keys", json=body, headers=auth)
        assert response.status_code == 422
        assert [e["loc"] for e in response.json()["detail"]] == [loc]
    assert rows(select(api_keys.c.id)) == []
