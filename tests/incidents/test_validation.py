"""Bad input answers 422 naming the field; nothing is stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

Headers = Callable[[str], dict[str, str]]
GOOD = {"title": "t", "severity": "low"}


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"title": ""}, ["body", "title"]),
        ({"title": "   "}, ["body", "title"]),
        ({"title": "x" * 256}, ["body", "title"]),
        ({"severity": "urgent"}, ["body", "severity"]),
        ({"priority": "P0"}, ["body", "priority"]),
        ({"status": "closed"}, ["body", "status"]),
        ({"affected_services": ["nope"]}, ["body", "affected_services", 0]),
        ({"affected_services": "id-recognition"}, ["body", "affected_services"]),
        ({"colour": "red"}, ["body", "colour"]),
    ],
)
def test_it_names_the_bad_field_of_a_new_incident(
    client: TestClient,
    headers: Headers,
    services: tuple[str, ...],
    change: dict[str, Any],
    loc: list[Any],
) -> None:
    response = client.post("/api/incidents", json={**GOOD, **change}, headers=headers("bob"))
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == loc
    assert client.get("/api/incidents").json()["pagination"]["total"] == 0


def test_it_names_the_bad_field_of_an_edit_and_a_listing(
    client: TestClient, headers: Headers, open_incident: Callable[..., dict[str, Any]]
) -> None:
    incident = open_incident()
    path = f"/api/incidents/{incident['id']}"
    for body, loc in (
        ({"title": "x"}, ["body", "version"]),
        ({"version": 1, "title": None}, ["body", "title"]),
        ({"version": 1, "severity": None}, ["body", "severity"]),
    ):
        response = client.put(path, json=body, headers=headers("bob"))
        assert response.status_code == 422, body
        assert response.json()["detail"][0]["loc"] == loc
    for query, loc in (("status=open", ["query", "status"]), ("limit=0", ["query", "limit"])):
        response = client.get(f"/api/incidents?{query}")
        assert response.status_code == 422 and response.json()["detail"][0]["loc"] == loc
    assert client.get("/api/incidents/inc-2026-999").status_code == 404


def test_it_filters_the_list(
    client: TestClient,
    headers: Headers,
    clock: Any,
    services: tuple[str, ...],
    open_incident: Callable[..., dict[str, Any]],
) -> None:
    a = open_incident(severity="critical", affected_services=["id-recognition"])["id"]
    clock.advance(hours=1)
    b = open_incident(severity="low", affected_services=["face-liveness"])["id"]
    client.post(
        f"/api/incidents/{b}/updates",
        json={"status": "resolved", "description": "ok"},
        headers=headers("bob"),
    )

    def ids(query: str) -> list[str]:
        return [i["id"] for i in client.get(f"/api/incidents?{query}").json()["incidents"]]

    assert ids("") == [b, a]
    assert ids("status=resolved") == [b]
    assert ids("status=investigating,identified") == [a]
    assert ids("priority=P1") == [a]
    assert ids("severity=low&severity=high") == [b]
    assert ids("service=id-recognition") == [a]
    assert ids("from=2026-03-02T09:30:00Z") == [b]
    assert ids("to=2026-03-02T09:30:00Z") == [a]
    assert ids("limit=1&page=2") == [a]
