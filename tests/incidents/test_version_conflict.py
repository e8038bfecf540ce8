"""Optimistic concurrency: an edit from a stale version answers 409 with the current one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

Headers = Callable[[str], dict[str, str]]


def test_it_answers_409_with_the_current_incident_on_a_stale_version(
    client: TestClient, headers: Headers, open_incident: Callable[..., dict[str, Any]]
) -> None:
    incident = open_incident()
    path = f"/api/incidents/{incident['id']}"
    first = client.put(path, json={"version": 1, "title": "bob's title"}, headers=headers("bob"))
    assert first.status_code == 200
    stale = client.put(
        path, json={"version": 1, "title": "alice's title"}, headers=headers("alice")
    )
    assert stale.status_code == 409
    detail = stale.json()["detail"]
    assert detail["msg"] == "version 1 is stale: the incident is at version 2"
    assert (detail["incident"]["title"], detail["incident"]["version"]) == ("bob's title", 2)
    assert client.get(path).json()["incident"]["title"] == "bob's title"


def test_it_checks_the_version_of_an_update_when_one_is_sent(
    client: TestClient, headers: Headers, open_incident: Callable[..., dict[str, Any]]
) -> None:
    incident = open_incident()
    path = f"/api/incidents/{incident['id']}/updates"
    bob = headers("bob")
    assert (
        client.post(path, json={"description": "a", "version": 1}, headers=bob).status_code == 201
    )
    stale = client.post(path, json={"description": "b", "version": 1}, headers=bob)
    assert stale.status_code == 409
    assert stale.json()["detail"]["incident"]["version"] == 2
    assert client.post(path, json={"description": "c"}, headers=bob).status_code == 201


def test_it_bumps_the_version_on_every_change_but_comments(
    client: TestClient, headers: Headers, open_incident: Callable[..., dict[str, Any]]
) -> None:
    incident = open_incident()
    base = f"/api/incidents/{incident['id']}"
    bob = headers("bob")
    client.post(f"{base}/comments", json={"message": "hi"}, headers=bob)
    assert client.get(base).json()["incident"]["version"] == 1
    client.put(base, json={"version": 1, "severity": "low"}, headers=bob)
    client.post(f"{base}/updates", json={"description": "n"}, headers=bob)
    assert client.get(base).json()["incident"]["version"] == 3
    unchanged = client.put(base, json={"version": 3, "severity": "low"}, headers=bob)
    assert unchanged.json()["incident"]["version"] == 3
