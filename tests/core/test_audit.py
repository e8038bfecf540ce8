"""The audit log: every write, login and logout; GET /api/audit for the tenant's admins."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from kpiwatch.core.clock import Clock

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

Headers = Callable[[str], dict[str, str]]
UserId = Callable[[str], int]
Login = Callable[[str], dict[str, Any]]


def entry(
    at: str,
    username: str | None,
    user_id: int | None,
    action: str,
    entity: str,
    entity_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "at": at,
        "username": username,
        "user_id": user_id,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "detail": detail,
        "ip": "203.0.113.7",
    }


def items(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return [{k: v for k, v in item.items() if k != "id"} for item in response.json()["items"]]


def test_it_records_every_write_login_and_logout(
    client: TestClient, clock: Clock, login: Login, headers: Headers, user_id: UserId
) -> None:
    alice = user_id("alice")
    tokens = login("alice")
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    clock.advance(minutes=1)
    body = {"username": "frank", "password": "s3cret-pass", "role": "viewer"}
    frank = client.post("/api/users", json=body, headers=auth).json()["id"]
    clock.advance(minutes=1)
    client.put(
        f"/api/users/{frank}", json={"role": "reporter", "password": "0ther-pass"}, headers=auth
    )
    clock.advance(minutes=1)
    key = client.post("/api/api-keys", json={"name": "etl"}, headers=auth).json()["id"]
    clock.advance(minutes=1)
    client.delete(f"/api/api-keys/{key}", headers=auth)
    clock.advance(minutes=1)
    client.put("/api/tenant", json={"name": "Default", "timezone": "Europe/Paris"}, headers=auth)
    clock.advance(minutes=1)
    client.delete(f"/api/users/{frank}", headers=auth)
    clock.advance(minutes=1)
    client.post("/api/auth/login", json={"username": "bob", "password": "nope"})
    client.post("/api/auth/login", json={"username": "mallory", "password": "nope"})
    clock.advance(minutes=1)
    assert client.post("/api/auth/logout", headers=auth).status_code == 204

    response = client.get("/api/audit", headers=headers("alice"))
    assert response.json()["total"] == 12
    assert items(response) == [
        entry(
            "2026-03-02T09:08:00Z",
            "alice",
            alice,
            "auth.login",
            "session",
            detail={"username": "alice"},
        ),
        entry("2026-03-02T09:08:00Z", "alice", alice, "auth.logout", "session"),
        entry(
            "2026-03-02T09:07:00Z",
            "mallory",
            None,
            "auth.login_failed",
            "session",
            detail={"username": "mallory"},
        ),
        entry(
            "2026-03-02T09:07:00Z",
            "bob",
            user_id("bob"),
            "auth.login_failed",
            "session",
            detail={"username": "bob"},
        ),
        entry(
            "2026-03-02T09:06:00Z",
            "alice",
            alice,
            "user.delete",
            "user",
            str(frank),
            {"username": "frank"},
        ),
        entry(
            "2026-03-02T09:05:00Z",
            "alice",
            alice,
            "tenant.update",
            "tenant",
            "default",
            {"timezone": {"from": "UTC", "to": "Europe/Paris"}},
        ),
        entry("2026-03-02T09:04:00Z", "alice", alice, "api_key.revoke", "api_key", str(key)),
        entry(
            "2026-03-02T09:03:00Z",
            "alice",
            alice,
            "api_key.create",
            "api_key",
            str(key),
            {"name": "etl", "role": "reporter"},
        ),
        entry(
            "2026-03-02T09:02:00Z",
            "alice",
            alice,
            "user.role_change",
            "user",
            str(frank),
            {"from": "viewer", "to": "reporter"},
        ),
        entry(
            "2026-03-02T09:02:00Z",
            "alice",
            alice,
            "user.update",
            "user",
            str(frank),
            {"role": {"from": "viewer", "to": "reporter"}, "password": {"changed": True}},
        ),
        entry(
            "2026-03-02T09:01:00Z",
            "alice",
            alice,
            "user.create",
            "user",
            str(frank),
            {"username": "frank", "role": "viewer"},
        ),
        entry(
            "2026-03-02T09:00:00Z",
            "alice",
            alice,
            "auth.login",
            "session",
            detail={"username": "alice"},
        ),
    ]


def _spread_entries(client: TestClient, clock: Clock, headers: Headers) -> dict[str, str]:
    """alice logs in at 09:00, bob fails at 10:00, alice creates a key at 11:00 and a user at
    12:00; dave (acme) logs in at 12:00."""
    auth = headers("alice")
    clock.advance(hours=1)
    client.post("/api/auth/login", json={"username": "bob", "password": "nope"})
    client.get("/api/auth/me", headers=auth)  # reads are not logged; they keep the session
    clock.advance(hours=1)
    client.post("/api/api-keys", json={"name": "etl"}, headers=auth)
    clock.advance(hours=1)
    client.post("/api/users", json={"username": "frank", "password": "s3cret-pass"}, headers=auth)
    headers("dave")
    return auth


def test_it_filters_and_pages_newest_first_within_the_tenant(
    client: TestClient, clock: Clock, headers: Headers, user_id: UserId
) -> None:
    auth = _spread_entries(client, clock, headers)

    def actions(query: str) -> list[tuple[str, str]]:
        response = client.get(f"/api/audit?{query}", headers=auth)
        assert response.status_code == 200, response.text
        return [(i["action"], i["at"][11:16]) for i in response.json()["items"]]

    assert actions("entity=user") == [("user.create", "12:00")]
    assert actions("entity=session") == [("auth.login_failed", "10:00"), ("auth.login", "09:00")]
    assert actions("user=bob") == [("auth.login_failed", "10:00")]
    assert actions("user=alice&entity=api_key") == [("api_key.create", "11:00")]
    # "from" is inclusive, "to" exclusive; both need a UTC offset.
    assert actions("from=2026-03-02T10:00:00Z&to=2026-03-02T12:00:00Z") == [
        ("api_key.create", "11:00"),
        ("auth.login_failed", "10:00"),
    ]
    assert actions("from=2026-03-02T20:00:00%2B09:00") == [
        ("user.create", "12:00"),
        ("api_key.create", "11:00"),
    ]
    assert actions("user=nobody") == []
    response = client.get("/api/audit?from=2026-03-02T10:00:00", headers=auth)
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "loc": ["query", "from"],
                "msg": "needs a UTC offset, e.g. 2026-01-01T00:00Z",
                "type": "value_error",
            }
        ]
    }

    def page(query: str) -> dict[str, Any]:
        response = client.get(f"/api/audit?{query}", headers=auth)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body | {"items": [i["action"] for i in body["items"]]}

    assert page("limit=3") == {
        "items": ["user.create", "api_key.create", "auth.login_failed"],
        "total": 4,
        "page": 1,
        "limit": 3,
    }
    assert page("limit=3&page=2") == {
        "items": ["auth.login"],
        "total": 4,
        "page": 2,
        "limit": 3,
    }
    assert page("limit=3&page=3") == {"items": [], "total": 4, "page": 3, "limit": 3}
    assert page("") | {"items": None} == {"items": None, "total": 4, "page": 1, "limit": 50}
    for bad in ("page=0", "limit=0", "limit=501", "page=x"):
        assert client.get(f"/api/audit?{bad}", headers=auth).status_code == 422, bad

    # acme's admin sees acme's entries only: his two logins.
    response = client.get("/api/audit", headers=headers("dave"))
    assert (
        items(response)
        == [
            entry(
                "2026-03-02T12:00:00Z",
                "dave",
                user_id("dave"),
                "auth.login",
                "session",
                detail={"username": "dave"},
            ),
        ]
        * 2
    )


def test_it_shows_the_log_to_admins_only(client: TestClient, headers: Headers) -> None:
    assert client.get("/api/audit").status_code == 401
    assert client.get("/api/audit?tenant=default").status_code == 401
    assert client.get("/api/audit", headers=headers("bob")).status_code == 403
    assert client.get("/api/audit", headers=headers("erin")).status_code == 403


def test_it_records_a_blocked_login(
    client: TestClient, user_id: UserId, audit_entries: Callable[[], list[dict[str, Any]]]
) -> None:
    for _ in range(5):
        client.post("/api/auth/login", json={"username": "carol", "password": "nope"})
    response = client.post("/api/auth/login", json={"username": "carol", "password": "nope"})
    assert response.status_code == 429
    common = {
        "tenant": "default",
        "entity": "session",
        "entity_id": None,
        "user_id": user_id("carol"),
        "username": "carol",
        "detail": {"username": "carol"},
        "ip": "203.0.113.7",
        "at": T0,
    }
    assert audit_entries() == [common | {"action": "auth.login_failed"}] * 5 + [
        common | {"action": "auth.login_blocked"}
    ]
