"""Sessions: refresh with rotation, logout, 2 h idle expiry, token lifetimes, bad tokens."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import jwt
from fastapi.testclient import TestClient

from kpiwatch.core.clock import Clock

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
Login = Callable[[str], dict[str, Any]]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def me(client: TestClient, token: str) -> int:
    return client.get("/api/auth/me", headers=bearer(token)).status_code


def refresh(client: TestClient, token: str) -> Any:
    return client.post("/api/auth/refresh", json={"refresh_token": token})


def test_it_rotates_the_refresh_token(client: TestClient, clock: Clock, login: Login) -> None:
    first = login("bob")
    clock.advance(minutes=10)
    response = refresh(client, first["refresh_token"])
    assert response.status_code == 200
    second = response.json()
    assert second["token_type"] == "bearer"
    assert second["expires_in"] == 24 * 3600
    assert second["user"]["username"] == "bob"
    assert second["refresh_token"] != first["refresh_token"]
    assert jwt.decode(second["access_token"], options={"verify_signature": False})["iat"] == int(
        T0.timestamp() + 600
    )
    assert me(client, second["access_token"]) == 200

    reused = refresh(client, first["refresh_token"])
    assert reused.status_code == 401
    assert reused.json() == {"detail": "refresh token expired or revoked"}
    assert refresh(client, second["refresh_token"]).status_code == 200


def test_it_rotates_a_refresh_token_once_under_concurrent_use(
    client: TestClient, login: Login
) -> None:
    token = login("bob")["refresh_token"]
    with ThreadPoolExecutor(max_workers=5) as pool:
        codes = list(pool.map(lambda _: refresh(client, token).status_code, range(5)))
    assert sorted(codes) == [200] + [401] * 4


def test_it_ends_the_session_on_logout(client: TestClient, login: Login) -> None:
    laptop, phone = login("carol"), login("carol")
    response = client.post("/api/auth/logout", headers=bearer(laptop["access_token"]))
    assert response.status_code == 204

    response = client.get("/api/auth/me", headers=bearer(laptop["access_token"]))
    assert response.status_code == 401
    assert response.json() == {"detail": "session ended; log in again"}
    assert refresh(client, laptop["refresh_token"]).status_code == 401
    # The other session of the same user lives on.
    assert me(client, phone["access_token"]) == 200
    assert refresh(client, phone["refresh_token"]).status_code == 200
    assert client.post("/api/auth/logout").status_code == 401


def test_it_ends_a_session_idle_for_2_hours(client: TestClient, clock: Clock, login: Login) -> None:
    idle, busy = login("bob"), login("bob")
    clock.advance(hours=2, seconds=-1)
    assert refresh(client, busy["refresh_token"]).status_code == 200
    clock.advance(seconds=1)
    response = client.get("/api/auth/me", headers=bearer(idle["access_token"]))
    assert response.status_code == 401
    assert response.json() == {"detail": "session ended; log in again"}
    response = refresh(client, idle["refresh_token"])
    assert response.status_code == 401
    assert response.json() == {"detail": "refresh token expired or revoked"}
    assert me(client, busy["access_token"]) == 200


def test_it_counts_idle_time_from_the_last_request(
    client: TestClient, clock: Clock, login: Login
) -> None:
    by_request, by_refresh = login("bob"), login("bob")
    token = by_refresh["refresh_token"]
    for _ in range(3):
        clock.advance(hours=1, minutes=59)
        assert me(client, by_request["access_token"]) == 200
        response = refresh(client, token)
        assert response.status_code == 200
        token = response.json()["refresh_token"]
    clock.advance(hours=2)
    assert me(client, by_request["access_token"]) == 401
    assert refresh(client, token).status_code == 401


def test_it_expires_the_access_token_after_24_hours_of_use(
    client: TestClient, clock: Clock, login: Login
) -> None:
    tokens = login("bob")
    for _ in range(23):
        clock.advance(hours=1)
        assert me(client, tokens["access_token"]) == 200
    clock.advance(minutes=59, seconds=59)
    assert me(client, tokens["access_token"]) == 200
    clock.advance(seconds=1)
    response = client.get("/api/auth/me", headers=bearer(tokens["access_token"]))
    assert response.status_code == 401
    assert response.json() == {"detail": "token expired"}

    # The session outlives its access token: a refresh gives a working one.
    response = refresh(client, tokens["refresh_token"])
    assert response.status_code == 200
    assert me(client, response.json()["access_token"]) == 200


def test_it_expires_the_refresh_token_after_7_days(
    client: TestClient, clock: Clock, login: Login
) -> None:
    token = login("bob")["refresh_token"]
    # Refreshing every 1 h 55 min keeps the session from going idle: 87 × 115 min = 10,005 min.
    for _ in range(87):
        clock.advance(minutes=115)
        response = refresh(client, token)
        assert response.status_code == 200
        token = response.json()["refresh_token"]
    clock.advance(minutes=74, seconds=59)  # 7 days less a second after the login
    response = refresh(client, token)
    assert response.status_code == 200
    token = response.json()["refresh_token"]
    clock.advance(seconds=1)
    response = refresh(client, token)
    assert response.status_code == 401
    assert response.json() == {"detail": "refresh token expired or revoked"}


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _tampered(token: str, how: str) -> str:
    header, payload, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    if how == "signature":
        flipped = "A" if signature[0] != "A" else "B"
        return f"{header}.{payload}.{flipped}{signature[1:]}"
    if how == "payload":
        return f"{header}.{_b64(claims | {'exp': claims['exp'] + 3600})}.{signature}"
    if how == "other key":
        return jwt.encode(claims, "not-the-server-key-but-long-enough-for-hs256", "HS256")
    if how == "alg none":
        return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}."
    if how == "truncated":
        return token[:-5]
    raise AssertionError(how)


def test_it_refuses_a_tampered_access_token(
    client: TestClient, login: Login, user_id: Callable[[str], int]
) -> None:
    token = login("alice")["access_token"]
    for how in ("signature", "payload", "other key", "alg none", "truncated"):
        response = client.get("/api/auth/me", headers=bearer(_tampered(token, how)))
        assert response.status_code == 401, how
        assert response.json() == {"detail": "invalid token"}, how
        assert response.headers["www-authenticate"] == "Bearer"
    assert me(client, token) == 200

    # Even signed with the server's key, a token naming bob in alice's session is refused.
    key = client.app.state.secret_key  # type: ignore[attr-defined]
    claims = jwt.decode(token, key, algorithms=["HS256"], options={"verify_exp": False})
    forged = jwt.encode(claims | {"sub": str(user_id("bob"))}, key, "HS256")
    assert me(client, forged) == 401


GARBAGE_AUTHORIZATION = [
    "Bearer",
    "Bearer ",
    "Basic YWxpY2U6cGFzc3dvcmQtYWxpY2U=",
    "Token abc",
    "garbage",
    "Bearer garbage",
    "Bearer a.b.c",
    "Bearer kpw_",
    "Bearer kpw_abc_def",
]


def test_it_refuses_a_garbage_authorization_header(client: TestClient) -> None:
    for value in GARBAGE_AUTHORIZATION:
        response = client.get("/api/auth/me", headers={"Authorization": value})
        assert response.status_code == 401, value
        assert response.headers["www-authenticate"] == "Bearer"

    # Credentials, when sent, must be valid even where none are needed.
    response = client.get("/api/tenant", headers={"Authorization": "Bearer garbage"})
    assert response.status_code == 401
    assert response.json() == {"detail": "invalid token"}
    response = client.get("/api/tenant", headers={"X-API-Key": "kpw_abc_def"})
    assert response.status_code == 401
    assert response.json() == {"detail": "invalid API key"}


def test_it_refuses_a_garbage_refresh_token(client: TestClient, login: Login) -> None:
    session_id = login("bob")["refresh_token"].split(".")[0]
    for value in ("garbage", "abc.def", ".def", "abc.", f"{session_id}.wrong-secret"):
        response = refresh(client, value)
        assert response.status_code == 401, value
        assert response.headers["www-authenticate"] == "Bearer"
    assert refresh(client, "a" * 513).status_code == 422

    tokens = login("bob")
    assert refresh(client, tokens["access_token"]).status_code == 401
    assert me(client, tokens["refresh_token"]) == 401
