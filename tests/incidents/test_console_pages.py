"""The incident console pages: login cookie, CSRF, per-field errors, create → detail."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from tests.conftest import password_of


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def _log_in(client: TestClient, name: str) -> None:
    form = client.get("/login")
    answer = client.post(
        "/login",
        data={
            "username": name,
            "password": password_of(name),
            "csrf_token": _csrf(form.text),
            "next": "/incidents",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/incidents"


def test_it_sets_an_httponly_strict_cookie_at_login(client: TestClient) -> None:
    form = client.get("/login")
    answer = client.post(
        "/login",
        data={"username": "bob", "password": password_of("bob"), "csrf_token": _csrf(form.text)},
        follow_redirects=False,
    )
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("kpiwatch_session=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    page = client.get("/incidents")
    assert page.status_code == 200 and "bob (reporter)" in page.text


def test_it_refuses_a_wrong_password_and_a_login_without_its_token(client: TestClient) -> None:
    form = client.get("/login")
    wrong = {"username": "bob", "password": "nope", "csrf_token": _csrf(form.text)}
    assert client.post("/login", data=wrong).status_code == 401
    forged = {"username": "bob", "password": password_of("bob"), "csrf_token": "x"}
    assert client.post("/login", data=forged, follow_redirects=False).status_code == 403


def test_it_redirects_to_login_without_the_cookie(client: TestClient) -> None:
    for path in ("/incidents", "/incidents/new", "/incidents/history", "/incidents/inc-2026-001"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/login?next={path}"


def test_it_keeps_viewers_out_of_the_console(client: TestClient) -> None:
    _log_in(client, "carol")
    assert client.get("/incidents").status_code == 403


def test_it_rejects_a_post_without_the_csrf_token(
    client: TestClient, open_incident: Callable[..., dict[str, Any]]
) -> None:
    incident = open_incident()
    _log_in(client, "bob")
    body = {"title": "x", "severity": "low"}
    assert client.post("/incidents/new", data=body).status_code == 403
    note = {"status": "resolved", "note": "fixed", "csrf_token": "forged"}
    assert client.post(f"/incidents/{incident['id']}/updates", data=note).status_code == 403
    assert client.get("/api/incidents").json()["pagination"]["total"] == 1


def test_it_shows_errors_per_field(client: TestClient) -> None:
    _log_in(client, "bob")
    token = _csrf(client.get("/incidents/new").text)
    body = {
        "csrf_token": token,
        "title": "  ",
        "severity": "urgent",
        "affected_services": "no-such-service",
        "description": "kept as typed",
    }
    answer = client.post("/incidents/new", data=body)
    assert answer.status_code == 422
    html = answer.text
    assert 'id="title-error"' in html and 'id="severity-error"' in html
    assert 'aria-invalid="true"' in html
    assert "kept as typed" in html
    fixed = body | {"title": "Slow", "severity": "high"}
    answer = client.post("/incidents/new", data=fixed)
    assert answer.status_code == 422
    assert "no service &#39;no-such-service&#39; in this tenant" in answer.text


def test_it_creates_an_incident_and_moves_it_to_resolved(
    client: TestClient, services: tuple[str, ...]
) -> None:
    _log_in(client, "bob")
    token = _csrf(client.get("/incidents/new").text)
    body = {
        "csrf_token": token,
        "title": "ID Recognition 응답 지연",
        "severity": "high",
        "priority": "",
        "affected_services": ["id-recognition", "face-liveness"],
        "reporter": "",
        "detection_criteria": "3 consecutive responses over 7 s",
        "note": "Looking into it",
    }
    created = client.post("/incidents/new", data=body, follow_redirects=False)
    assert created.status_code == 303
    assert created.headers["location"] == "/incidents/inc-2026-001"
    detail = client.get("/incidents/inc-2026-001")
    assert "ID Recognition 응답 지연" in detail.text and "Looking into it" in detail.text
    assert "severity-high" in detail.text

    missing = client.post(
        "/incidents/inc-2026-001/updates", data={"csrf_token": token, "status": "resolved"}
    )
    assert missing.status_code == 422 and 'id="note-error"' in missing.text
    resolved = client.post(
        "/incidents/inc-2026-001/updates",
        data={"csrf_token": token, "status": "resolved", "note": "Pool enlarged"},
    )
    assert resolved.status_code == 200
    incident = client.get("/api/incidents/inc-2026-001").json()["incident"]
    assert incident["status"] == "resolved" and incident["priority"] == "P2"
    assert incident["reporter"] == "bob"
    assert "inc-2026-001" in client.get("/incidents/history").text


def test_it_shows_a_save_conflict_instead_of_overwriting(
    client: TestClient,
    headers: Callable[[str], dict[str, str]],
    open_incident: Callable[..., dict[str, Any]],
) -> None:
    incident = open_incident()
    client.put(
        f"/api/incidents/{incident['id']}",
        json={"version": 1, "title": "theirs"},
        headers=headers("alice"),
    )
    _log_in(client, "bob")
    token = _csrf(client.get("/incidents/new").text)
    mine = {"csrf_token": token, "version": "1", "title": "mine", "severity": "high"}
    answer = client.post(f"/incidents/{incident['id']}/edit", data=mine)
    assert answer.status_code == 409
    assert "Someone else saved this incident meanwhile" in answer.text
    assert 'value="mine"' in answer.text
    api = client.get(f"/api/incidents/{incident['id']}").json()["incident"]
    assert api["title"] == "theirs"
    reopened = client.get(f"/incidents/{incident['id']}")
    assert 'value="mine"' in reopened.text and "Someone else saved" in reopened.text


def test_it_logs_out(client: TestClient) -> None:
    _log_in(client, "bob")
    token = _csrf(client.get("/incidents").text)
    answer = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303
    assert client.get("/incidents", follow_redirects=False).status_code == 303
