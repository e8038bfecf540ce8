"""The PRD §6.2 matrix for every endpoint: anyone reads, reporters create, update and
comment, only admins delete (and opt services into automatic incidents)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kpiwatch.core.models import audit_log

Headers = Callable[[str], dict[str, str]]
PERSONAS = ("anonymous", "carol", "bob", "alice")
REFUSALS = ("authentication required", "requires the reporter role", "requires the admin role")
Request = tuple[str, str, dict[str, Any] | None, dict[str, int]]


def _requests(incident_id: str) -> list[Request]:
    """Each endpoint with the status every persona gets (anonymous, viewer, reporter, admin)."""
    read = dict.fromkeys(PERSONAS, 200)
    write = {"anonymous": 401, "carol": 403, "bob": 201, "alice": 201}
    base = f"/api/incidents/{incident_id}"
    return [
        ("GET", "/api/incidents", None, read),
        ("GET", "/api/incidents/past", None, read),
        ("GET", base, None, read),
        ("GET", "/api/services/face-compare/auto-incidents", None, read),
        ("POST", "/api/incidents", {"title": "t", "severity": "low"}, write),
        ("PUT", base, {"version": 0, "title": "t2"}, {**write, "bob": 200, "alice": 200}),
        ("POST", f"{base}/updates", {"description": "note"}, write),
        ("POST", f"{base}/comments", {"message": "hello"}, write),
        (
            "PUT",
            "/api/services/face-compare/auto-incidents",
            {"enabled": True},
            {"anonymous": 401, "carol": 403, "bob": 403, "alice": 200},
        ),
        ("DELETE", base, None, {"anonymous": 401, "carol": 403, "bob": 403, "alice": 200}),
    ]


def test_it_applies_the_role_matrix_to_every_endpoint(
    client: TestClient,
    headers: Headers,
    open_incident: Callable[..., dict[str, Any]],
    services: tuple[str, ...],
    rows: Callable[..., list[dict[str, Any]]],
) -> None:
    auth = {name: {} if name == "anonymous" else headers(name) for name in PERSONAS}
    checked = 0
    for name in PERSONAS:
        incident = open_incident("alice")
        for method, path, body, expected in _requests(incident["id"]):
            if body is not None and "version" in body:  # the current one: PUTs succeed
                current = client.get(f"/api/incidents/{incident['id']}").json()["incident"]
                body = {**body, "version": current["version"]}
            audits = rows(select(func.count()).select_from(audit_log))[0]
            response = client.request(method, path, json=body, headers=auth[name])
            assert response.status_code == expected[name], (method, path, name, response.text)
            if expected[name] in (401, 403):
                assert response.json()["detail"] in REFUSALS
                assert rows(select(func.count()).select_from(audit_log))[0] == audits
            checked += 1
    assert checked == 4 * 10


def test_it_hides_comments_from_anonymous_readers(
    client: TestClient, headers: Headers, open_incident: Callable[..., dict[str, Any]]
) -> None:
    incident = open_incident()
    path = f"/api/incidents/{incident['id']}"
    client.post(f"{path}/comments", json={"message": "internal"}, headers=headers("bob"))
    public = client.get(path).json()
    assert "comments" not in public["incident"]
    assert [e["type"] for e in public["timeline"]] == ["update"]
    signed_in = client.get(path, headers=headers("carol")).json()
    assert [c["message"] for c in signed_in["incident"]["comments"]] == ["internal"]
