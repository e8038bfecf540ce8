"""POST /api/auth/login and GET /api/auth/me."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from fastapi.testclient import TestClient
from sqlalchemy import select

from kpiwatch.core.clock import Clock
from kpiwatch.core.models import auth_sessions, users
from kpiwatch.core.security import sha256_hex

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
Rows = Callable[[Any], list[dict[str, Any]]]


def test_it_returns_tokens_and_the_user(
    client: TestClient, clock: Clock, rows: Rows, user_id: Callable[[str], int]
) -> None:
    clock.advance(minutes=30)
    now = T0 + timedelta(minutes=30)
    response = client.post("/api/auth/login", json={"username": "bob", "password": "password-bob"})
    assert response.status_code == 200
    body = response.json()
    assert sorted(body) == ["access_token", "expires_in", "refresh_token", "token_type", "user"]
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 24 * 3600
    assert body["user"] == {
        "id": user_id("bob"),
        "username": "bob",
        "email": "bob@example.com",
        "role": "reporter",
        "is_active": True,
        "created_at": "2026-03-02T09:00:00Z",
        "last_login_at": "2026-03-02T09:30:00Z",
    }

    # The access token is a JWT valid for 24 h that names the session.
    session_id = body["refresh_token"].split(".")[0]
    assert jwt.decode(body["access_token"], options={"verify_signature": False}) == {
        "sub": str(user_id("bob")),
        "sid": session_id,
        "typ": "access",
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + 24 * 3600,
    }
    # The refresh token is kept hashed, in a session that lasts 7 days at most.
    assert rows(select(auth_sessions)) == [
        {
            "id": session_id,
            "user_id": user_id("bob"),
            "refresh_hash": sha256_hex(body["refresh_token"]),
            "created_at": now,
            "last_seen_at": now,
            "expires_at": now + timedelta(days=7),
            "revoked_at": None,
            "ip": "203.0.113.7",
        }
    ]
    assert rows(select(users.c.username).where(users.c.last_login_at.is_not(None))) == [
        {"username": "bob"}
    ]


def test_it_refuses_wrong_credentials_alike(client: TestClient, rows: Rows) -> None:
    attempts = [
        ("alice", "password-bob"),
        ("alice", "PASSWORD-ALICE"),
        ("Alice", "password-alice"),
        ("mallory", "password-mallory"),
    ]
    for username, password in attempts:
        response = client.post("/api/auth/login", json={"username": username, "password": password})
        assert response.status_code == 401, username
        assert response.json() == {"detail": "incorrect username or password"}
        assert response.headers["www-authenticate"] == "Bearer"
    assert rows(select(auth_sessions)) == []
    assert rows(select(users.c.username).where(users.c.last_login_at.is_not(None))) == []


def test_it_names_the_missing_field(client: TestClient) -> None:
    cases = [
        ({"password": "password-alice"}, ["body", "username"]),
        ({"username": "alice"}, ["body", "password"]),
        ({"username": "", "password": "password-alice"}, ["body", "username"]),
        ({"username": "alice", "password": ""}, ["body", "password"]),
    ]
    for body, loc in cases:
        response = client.post("/api/auth/login", json=body)
        assert response.status_code == 422
        assert [error["loc"] for error in response.json()["detail"]] == [loc]


def test_it_tells_who_is_logged_in(
    client: TestClient, headers: Callable[[str], dict[str, str]], user_id: Callable[[str], int]
) -> None:
    response = client.get("/api/auth/me", headers=headers("erin"))
    assert response.status_code == 200
    assert response.json() == {
        "id": user_id("erin"),
        "username": "erin",
        "email": "erin@example.com",
        "role": "viewer",
        "is_active": True,
        "created_at": "2026-03-02T09:00:00Z",
        "last_login_at": "2026-03-02T09:00:00Z",
    }

    response = client.get("/api/auth/me")
    assert response.status_code == 401
    assert response.json() == {"detail": "authentication required"}
    assert response.headers["www-authenticate"] == "Bearer"
