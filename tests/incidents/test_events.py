"""Every change is published once on the event bus, to its tenant's room, after commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from kpiwatch.core.clock import Clock
from kpiwatch.core.context import Caller
from kpiwatch.realtime.rooms import may_join

Headers = Callable[[str], dict[str, str]]


def test_it_publishes_created_updated_comment_and_deleted(
    client: TestClient,
    headers: Headers,
    open_incident: Callable[..., dict[str, Any]],
    published: list[tuple[str, dict[str, Any], str | None]],
) -> None:
    incident = open_incident()
    base = f"/api/incidents/{incident['id']}"
    bob = headers("bob")
    update = client.post(
        f"{base}/updates", json={"status": "identified", "description": "found"}, headers=bob
    ).json()
    edited = client.put(base, json={"version": 2, "title": "renamed"}, headers=bob).json()
    comment = client.post(f"{base}/comments", json={"message": "hi"}, headers=bob).json()
    client.delete(base, headers=headers("alice"))
    ours = [(e, d, r) for e, d, r in published if e.startswith("incident")]
    assert [(e, r) for e, _, r in ours] == [
        ("incident-created", "1:incidents"),
        ("incident-updated", "1:incidents"),
        ("incident-updated", "1:incidents"),
        ("incident-comment", f"1:incident:{incident['id']}"),
        ("incident-deleted", "1:incidents"),
    ]
    assert ours[0][1] == {"incident": incident}
    assert ours[1][1] == {"incidentId": incident["id"], **update}
    assert ours[2][1] == {"incidentId": incident["id"], "update": None, **edited}
    assert ours[3][1] == {"incidentId": incident["id"], **comment}
    assert ours[4][1] == {"incidentId": incident["id"]}


def test_it_publishes_nothing_for_a_refused_change(
    client: TestClient,
    headers: Headers,
    open_incident: Callable[..., dict[str, Any]],
    published: list[tuple[str, dict[str, Any], str | None]],
) -> None:
    incident = open_incident()
    published.clear()
    base = f"/api/incidents/{incident['id']}"
    client.put(base, json={"version": 9, "title": "x"}, headers=headers("bob"))
    client.post(f"{base}/updates", json={"description": ""}, headers=headers("bob"))
    client.delete(base, headers=headers("bob"))
    assert published == []


def test_it_lets_only_signed_in_users_join_an_incident_room(
    client: TestClient, run: Callable[..., Any]
) -> None:
    now = Clock().now()
    anonymous = Caller(1, "default", now)
    viewer = Caller(1, "default", now, user_id=3, name="carol", role="viewer")
    assert run(may_join, anonymous, "incident:inc-2026-001") is not None
    assert run(may_join, viewer, "incident:inc-2026-001") is None
    assert run(may_join, viewer, "incident:not-an-id") is not None
    assert run(may_join, anonymous, "incidents") is None
