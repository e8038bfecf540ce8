"""Autosaved drafts: saved per user and incident, restored, and a conflict when the incident
moved on since the draft's base version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

Headers = Callable[[str], dict[str, str]]


def test_it_saves_and_restores_a_draft_per_user(
    client: TestClient, headers: Headers, open_incident: Callable[..., dict[str, Any]]
) -> None:
    incident = open_incident()
    url = f"/api/incidents/{incident['id']}/draft"
    bob = headers("bob")
    data = {"title": "DB pool exhausted", "affected_services": ["id-recognition"], "x": 1}
    saved = client.put(url, json={"data": data, "base_version": 1}, headers=bob)
    assert saved.status_code == 200, saved.text
    expected = {
        "draft": {
            "incidentId": incident["id"],
            "data": {"title": "DB pool exhausted", "affected_services": ["id-recognition"]},
            "baseVersion": 1,
            "savedAt": "2026-03-02T09:00:00Z",
        },
        "currentVersion": 1,
        "conflict": False,
    }
    assert saved.json() == expected
    assert client.get(url, headers=bob).json() == expected
    assert client.get(url, headers=headers("alice")).status_code == 404
    assert client.get(url, headers=headers("carol")).status_code == 403

    new = client.put("/api/incidents/new/draft", json={"data": {"title": "t"}}, headers=bob)
    assert new.json()["conflict"] is False and new.json()["currentVersion"] is None
    assert client.delete(url, headers=bob).status_code == 204
    assert client.get(url, headers=bob).status_code == 404


def test_it_reports_a_conflict_when_the_incident_moved_on(
    client: TestClient, headers: Headers, open_incident: Callable[..., dict[str, Any]]
) -> None:
    incident = open_incident()
    base = f"/api/incidents/{incident['id']}"
    bob = headers("bob")
    client.put(f"{base}/draft", json={"data": {"title": "mine"}, "base_version": 1}, headers=bob)
    edited = client.put(base, json={"version": 1, "title": "theirs"}, headers=headers("alice"))
    assert edited.json()["incident"]["version"] == 2

    restored = client.get(f"{base}/draft", headers=bob).json()
    assert restored["conflict"] is True
    assert restored["currentVersion"] == 2
    assert restored["draft"]["baseVersion"] == 1
    assert restored["draft"]["data"] == {"title": "mine"}
    # Autosaving again keeps the draft's base: the conflict stays until the user decides.
    again = client.put(f"{base}/draft", json={"data": {"title": "mine!"}}, headers=bob).json()
    assert again["conflict"] is True and again["draft"]["baseVersion"] == 1
    # Saving the stale draft is refused, not applied over the other edit.
    stale = client.put(base, json={"version": 1, "title": "mine!"}, headers=bob)
    assert stale.status_code == 409
    assert stale.json()["detail"]["incident"]["title"] == "theirs"


def test_it_refuses_drafts_of_unknown_incidents(client: TestClient, headers: Headers) -> None:
    body = {"data": {"title": "t"}}
    for key in ("inc-2026-999", "nonsense"):
        answer = client.put(f"/api/incidents/{key}/draft", json=body, headers=headers("bob"))
        assert answer.status_code == 404
