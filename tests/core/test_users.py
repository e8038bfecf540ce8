"""/api/users: an admin manages the users of their tenant."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from kpiwatch.core.models import users

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
Headers = Callable[[str], dict[str, str]]
UserId = Callable[[str], int]
Rows = Callable[[Any], list[dict[str, Any]]]
Entries = Callable[[], list[dict[str, Any]]]


def persona(user_id: int, name: str, role: str, last_login_at: str | None = None) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": name,
        "email": f"{name}@example.com",
        "role": role,
        "is_active": True,
        "created_at": "2026-03-02T09:00:00Z",
        "last_login_at": last_login_at,
    }


def log_in(client: TestClient, username: str, password: str) -> int:
    body = {"username": username, "password": password}
    return client.post("/api/auth/login", json=body).status_code


def actions(entries: Entries) -> list[str]:
    return [e["action"] for e in entries()]


def test_it_lists_the_users_of_the_tenant(
    client: TestClient, headers: Headers, user_id: UserId
) -> None:
    response = client.get("/api/users", headers=headers("alice"))
    assert response.status_code == 200
    assert response.json() == [
        persona(user_id("alice"), "alice", "admin", "2026-03-02T09:00:00Z"),
        persona(user_id("bob"), "bob", "reporter"),
        persona(user_id("carol"), "carol", "viewer"),
    ]
    auth = headers("alice")
    response = client.get(f"/api/users/{user_id('bob')}", headers=auth)
    assert response.status_code == 200
    assert response.json() == persona(user_id("bob"), "bob", "reporter")
    assert client.get("/api/users/999", headers=auth).json() == {"detail": "user 999 not found"}
    assert client.put("/api/users/999", json={"role": "viewer"}, headers=auth).status_code == 404
    assert client.delete("/api/users/999", headers=auth).status_code == 404


def test_it_creates_a_user_who_can_log_in(
    client: TestClient, headers: Headers, user_id: UserId, audit_entries: Entries
) -> None:
    body = {
        "username": "frank",
        "password": "s3cret-pass",
        "role": "reporter",
        "email": "frank@example.com",
    }
    response = client.post("/api/users", json=body, headers=headers("alice"))
    assert response.status_code == 201
    frank = user_id("frank")
    assert response.json() == {
        "id": frank,
        "username": "frank",
        "email": "frank@example.com",
        "role": "reporter",
        "is_active": True,
        "created_at": "2026-03-02T09:00:00Z",
        "last_login_at": None,
    }
    assert audit_entries()[-1] == {
        "tenant": "default",
        "action": "user.create",
        "entity": "user",
        "entity_id": str(frank),
        "user_id": user_id("alice"),
        "username": "alice",
        "detail": {"username": "frank", "role": "reporter"},
        "ip": "203.0.113.7",
        "at": T0,
    }
    assert log_in(client, "frank", "s3cret-pass") == 200

    # Without a role, a viewer; without an e-mail, none.
    body = {"username": "grace", "password": "s3cret-pass"}
    response = client.post("/api/users", json=body, headers=headers("dave"))
    assert response.status_code == 201
    assert (response.json()["role"], response.json()["email"]) == ("viewer", None)
    names = [u["username"] for u in client.get("/api/users", headers=headers("dave")).json()]
    assert names == ["dave", "erin", "grace"]


def test_it_refuses_a_taken_username_and_changes_nothing(
    client: TestClient, headers: Headers, rows: Rows, audit_entries: Entries
) -> None:
    auth = headers("dave")
    before = actions(audit_entries)
    # Usernames are unique across tenants: they are what a user logs in with.
    for name in ("erin", "alice"):
        body = {"username": name, "password": "s3cret-pass", "role": "admin"}
        response = client.post("/api/users", json=body, headers=auth)
        assert response.status_code == 409
        assert response.json() == {"detail": f"username {name!r} is taken"}
    assert actions(audit_entries) == before
    assert rows(select(users.c.username, users.c.role).where(users.c.role == "admin")) == [
        {"username": "alice", "role": "admin"},
        {"username": "dave", "role": "admin"},
    ]


def test_it_names_the_invalid_fields_and_changes_nothing(
    client: TestClient, headers: Headers, user_id: UserId, rows: Rows, audit_entries: Entries
) -> None:
    auth = headers("alice")
    before = actions(audit_entries)
    cases = [
        ({"username": "ab", "password": "s3cret-pass"}, [["body", "username"]]),
        ({"username": "has space", "password": "s3cret-pass"}, [["body", "username"]]),
        ({"username": "grace", "password": "short"}, [["body", "password"]]),
        ({"username": "grace", "password": "s3cret-pass", "role": "root"}, [["body", "role"]]),
        ({"username": "grace", "password": "s3cret-pass", "email": "nope"}, [["body", "email"]]),
        (
            {"password": "short", "role": "root"},
            [["body", "username"], ["body", "password"], ["body", "role"]],
        ),
    ]
    for body, locs in cases:
        response = client.post("/api/users", json=body, headers=auth)
        assert response.status_code == 422, body
        assert [error["loc"] for error in response.json()["detail"]] == locs, body
    bob = user_id("bob")
    for body, locs in (
        ({"role": None}, [["body", "role"]]),
        ({"password": None}, [["body", "password"]]),
        ({"is_active": None}, [["body", "is_active"]]),
        ({"role": "root", "password": "short"}, [["body", "password"], ["body", "role"]]),
    ):
        response = client.put(f"/api/users/{bob}", json=body, headers=auth)
        assert response.status_code == 422, body
        assert [error["loc"] for error in response.json()["detail"]] == locs, body
    assert actions(audit_entries) == before
    assert len(rows(select(users.c.id))) == 5
    assert rows(select(users.c.role).where(users.c.id == bob)) == [{"role": "reporter"}]


def test_it_updates_a_user_and_logs_a_role_change_on_its_own(
    client: TestClient, headers: Headers, user_id: UserId, audit_entries: Entries
) -> None:
    bob = user_id("bob")
    body = {"role": "admin", "email": "robert@example.com"}
    response = client.put(f"/api/users/{bob}", json=body, headers=headers("alice"))
    assert response.status_code == 200
    assert response.json() == persona(bob, "bob", "admin") | {"email": "robert@example.com"}
    common = {
        "tenant": "default",
        "entity": "user",
        "entity_id": str(bob),
        "user_id": user_id("alice"),
        "username": "alice",
        "ip": "203.0.113.7",
        "at": T0,
    }
    assert audit_entries()[-2:] == [
        common
        | {
            "action": "user.update",
            "detail": {
                "role": {"from": "reporter", "to": "admin"},
                "email": {"from": "bob@example.com", "to": "robert@example.com"},
            },
        },
        common | {"action": "user.role_change", "detail": {"from": "reporter", "to": "admin"}},
    ]


def test_it_keeps_the_last_admin_of_the_tenant(
    client: TestClient, headers: Headers, user_id: UserId, rows: Rows, audit_entries: Entries
) -> None:
    auth, alice = headers("alice"), user_id("alice")
    before = actions(audit_entries)
    for change in (
        {"role": "reporter"},
        {"is_active": False},
        {"role": "viewer", "is_active": False},
    ):
        response = client.put(f"/api/users/{alice}", json=change, headers=auth)
        assert response.status_code == 409
        assert response.json() == {
            "detail": "cannot demote or deactivate the last admin of the tenant"
        }
    response = client.delete(f"/api/users/{alice}", headers=auth)
    assert response.status_code == 409
    assert response.json() == {"detail": "cannot delete the last admin of the tenant"}
    assert actions(audit_entries) == before
    assert rows(select(users.c.role, users.c.is_active).where(users.c.id == alice)) == [
        {"role": "admin", "is_active": True}
    ]
    # Sending role "admin" again is not a demotion.
    assert (
        client.put(f"/api/users/{alice}", json={"role": "admin"}, headers=auth).status_code == 200
    )
    # alice is an admin too, but of another tenant: dave is acme's last.
    response = client.put(
        f"/api/users/{user_id('dave')}", json={"role": "viewer"}, headers=headers("dave")
    )
    assert response.status_code == 409


def test_it_lets_an_admin_step_down_once_there_is_another(
    client: TestClient, headers: Headers, user_id: UserId
) -> None:
    auth = headers("alice")
    bob, alice = user_id("bob"), user_id("alice")
    assert client.put(f"/api/users/{bob}", json={"role": "admin"}, headers=auth).status_code == 200
    response = client.put(f"/api/users/{alice}", json={"role": "viewer"}, headers=auth)
    assert response.status_code == 200
    assert response.json()["role"] == "viewer"
    # alice's token now carries a viewer: the role is read on every request.
    assert client.get("/api/users", headers=auth).status_code == 403
    # bob is now the last admin.
    bob_auth = headers("bob")
    assert client.delete(f"/api/users/{bob}", headers=bob_auth).status_code == 409


def test_it_ends_the_sessions_of_a_user_whose_password_changes(
    client: TestClient, headers: Headers, user_id: UserId, login: Callable[[str], Any]
) -> None:
    tokens = login("bob")
    bob_auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    response = client.put(
        f"/api/users/{user_id('bob')}", json={"password": "new-password"}, headers=headers("alice")
    )
    assert response.status_code == 200
    assert client.get("/api/auth/me", headers=bob_auth).status_code == 401
    refreshed = client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401
    assert log_in(client, "bob", "password-bob") == 401
    assert log_in(client, "bob", "new-password") == 200


def test_it_ends_the_sessions_of_a_deactivated_user(
    client: TestClient,
    headers: Headers,
    user_id: UserId,
    login: Callable[[str], Any],
    audit_entries: Entries,
) -> None:
    tokens = login("carol")
    carol_auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    auth, carol = headers("alice"), user_id("carol")
    response = client.put(f"/api/users/{carol}", json={"is_active": False}, headers=auth)
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert audit_entries()[-1]["detail"] == {"is_active": {"from": True, "to": False}}
    assert client.get("/api/auth/me", headers=carol_auth).status_code == 401
    refreshed = client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401
    assert log_in(client, "carol", "password-carol") == 401

    # Reactivated, carol can log in again; the ended sessions stay ended.
    assert (
        client.put(f"/api/users/{carol}", json={"is_active": True}, headers=auth).status_code == 200
    )
    assert log_in(client, "carol", "password-carol") == 200
    assert client.get("/api/auth/me", headers=carol_auth).status_code == 401


def test_it_deletes_a_user_and_their_sessions(
    client: TestClient,
    headers: Headers,
    user_id: UserId,
    login: Callable[[str], Any],
    audit_entries: Entries,
) -> None:
    tokens = login("bob")
    auth, bob, alice = headers("alice"), user_id("bob"), user_id("alice")
    response = client.delete(f"/api/users/{bob}", headers=auth)
    assert response.status_code == 204
    assert audit_entries()[-1] == {
        "tenant": "default",
        "action": "user.delete",
        "entity": "user",
        "entity_id": str(bob),
        "user_id": alice,
        "username": "alice",
        "detail": {"username": "bob"},
        "ip": "203.0.113.7",
        "at": T0,
    }
    assert client.get(f"/api/users/{bob}", headers=auth).status_code == 404
    assert client.delete(f"/api/users/{bob}", headers=auth).status_code == 404
    bob_auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get("/api/auth/me", headers=bob_auth).status_code == 401
    assert log_in(client, "bob", "password-bob") == 401


def test_it_lets_an_admin_delete_their_own_account(
    client: TestClient, headers: Headers, user_id: UserId, audit_entries: Entries
) -> None:
    auth, bob, alice = headers("alice"), user_id("bob"), user_id("alice")
    assert client.put(f"/api/users/{bob}", json={"role": "admin"}, headers=auth).status_code == 200
    response = client.delete(f"/api/users/{alice}", headers=auth)
    assert response.status_code == 204
    entry = audit_entries()[-1]
    # The entry outlives its author: it keeps the username, the user id is gone.
    assert (entry["action"], entry["entity_id"], entry["username"], entry["user_id"]) == (
        "user.delete",
        str(alice),
        "alice",
        None,
    )
    assert client.get("/api/auth/me", headers=auth).status_code == 401


def test_it_keeps_an_admin_when_two_demotions_race(
    client: TestClient, headers: Headers, user_id: UserId, rows: Rows
) -> None:
    auth = headers("alice")
    bob, alice = user_id("bob"), user_id("alice")
    assert client.put(f"/api/users/{bob}", json={"role": "admin"}, headers=auth).status_code == 200
    key = client.post("/api/api-keys", json={"name": "ops", "role": "admin"}, headers=auth)
    by_key = {"X-API-Key": key.json()["key"]}

    def demote(target: int) -> int:
        body = {"role": "viewer"}
        return client.put(f"/api/users/{target}", json=body, headers=by_key).status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        codes = list(pool.map(demote, [alice, bob]))
    assert sorted(codes) == [200, 409]
    admins = rows(select(users.c.username).where(users.c.role == "admin", users.c.tenant_id == 1))
    assert len(admins) == 1
