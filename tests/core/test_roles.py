"""Who may do what: user, key, tenant and audit endpoints are admin-only and tenant-bound."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

Headers = Callable[[str], dict[str, str]]
UserId = Callable[[str], int]
Entries = Callable[[], list[dict[str, Any]]]

NEW_USER = {"username": "frank", "password": "s3cret-pass"}
TENANT = {"name": "Default", "timezone": "UTC"}


def admin_only(carol: int) -> list[tuple[str, str, dict[str, Any] | None]]:
    """Every admin endpoint, with a body that an admin would get a 2xx for."""
    return [
        ("GET", "/api/users", None),
        ("POST", "/api/users", NEW_USER),
        ("GET", f"/api/users/{carol}", None),
        ("PUT", f"/api/users/{carol}", {"email": "c@example.com"}),
        ("DELETE", f"/api/users/{carol}", None),
        ("GET", "/api/api-keys", None),
        ("POST", "/api/api-keys", {"name": "etl"}),
        ("DELETE", "/api/api-keys/1", None),
        ("PUT", "/api/tenant", TENANT),
        ("GET", "/api/audit", None),
    ]


def test_it_keeps_admin_endpoints_from_everyone_else(
    client: TestClient, headers: Headers, user_id: UserId, audit_entries: Entries
) -> None:
    carol = user_id("carol")
    callers = {"anonymous": {}, "bob": headers("bob"), "carol": headers("carol")}
    before = audit_entries()
    for method, path, body in admin_only(carol):
        for name, auth in callers.items():
            response = client.request(method, path, json=body, headers=auth)
            expected = 401 if name == "anonymous" else 403
            assert response.status_code == expected, (method, path, name)
            detail = "authentication required" if expected == 401 else "requires the admin role"
            assert response.json() == {"detail": detail}
        # ?tenant= opens public reads only.
        assert client.request(method, f"{path}?tenant=acme", json=body).status_code == 401
    assert audit_entries() == before

    auth = headers("alice")
    for method, path, body in admin_only(carol):
        response = client.request(method, path, json=body, headers=auth)
        assert response.status_code in (200, 201, 204), (method, path, response.text)


def test_it_keeps_users_within_their_tenant(
    client: TestClient, headers: Headers, user_id: UserId, audit_entries: Entries
) -> None:
    dave, alice = headers("dave"), user_id("alice")
    listed = client.get("/api/users", headers=dave).json()
    assert [u["username"] for u in listed] == ["dave", "erin"]
    before = audit_entries()
    for method, body in (("GET", None), ("PUT", {"role": "viewer"}), ("DELETE", None)):
        response = client.request(method, f"/api/users/{alice}", json=body, headers=dave)
        assert response.status_code == 404, method
        assert response.json() == {"detail": f"user {alice} not found"}
    assert audit_entries() == before
    assert client.get("/api/auth/me", headers=headers("alice")).json()["role"] == "admin"
    erin = user_id("erin")
    assert client.get(f"/api/users/{erin}", headers=headers("alice")).status_code == 404
