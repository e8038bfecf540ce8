"""Every transition of the workflow: forward moves (skips included) and reopening pass,
moves back from an open state answer 422 with the allowed next states."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from kpiwatch.incidents.workflow import allowed_next

Headers = Callable[[str], dict[str, str]]
ORDER = ["investigating", "identified", "monitoring", "resolved"]
VALID = [
    (a, b) for a in ORDER for b in ORDER if ORDER.index(b) >= ORDER.index(a) or a == "resolved"
]
INVALID = [(a, b) for a in ORDER for b in ORDER if (a, b) not in VALID]


def test_it_lists_the_invalid_transitions() -> None:
    assert INVALID == [
        ("identified", "investigating"),
        ("monitoring", "investigating"),
        ("monitoring", "identified"),
    ]
    assert allowed_next("monitoring") == ["monitoring", "resolved"]
    assert allowed_next("resolved") == ORDER


def _at(client: TestClient, bob: dict[str, str], status: str) -> str:
    body = {"title": "t", "severity": "low", "status": status}
    response = client.post("/api/incidents", json=body, headers=bob)
    assert response.status_code == 201, response.text
    incident_id: str = response.json()["incident"]["id"]
    return incident_id


@pytest.mark.parametrize(("current", "target"), INVALID)
def test_it_refuses_moving_back_with_the_allowed_states(
    client: TestClient, headers: Headers, current: str, target: str
) -> None:
    bob = headers("bob")
    incident_id = _at(client, bob, current)
    for method, path, body in (
        ("POST", f"/api/incidents/{incident_id}/updates", {"status": target, "description": "x"}),
        ("PUT", f"/api/incidents/{incident_id}", {"version": 1, "status": target, "note": "x"}),
    ):
        response = client.request(method, path, json=body, headers=bob)
        assert response.status_code == 422, (method, response.text)
        [error] = response.json()["detail"]
        assert error["loc"] == ["body", "status"]
        assert error["ctx"] == {"from": current, "to": target, "allowed": allowed_next(current)}
        assert f"allowed next states: {', '.join(allowed_next(current))}" in error["msg"]
    after = client.get(f"/api/incidents/{incident_id}").json()["incident"]
    assert (after["status"], after["version"], len(after["updates"])) == (current, 1, 1)


@pytest.mark.parametrize(("current", "target"), VALID)
def test_it_allows_forward_moves_notes_and_reopening(
    client: TestClient, headers: Headers, current: str, target: str
) -> None:
    bob = headers("bob")
    incident_id = _at(client, bob, current)
    response = client.post(
        f"/api/incidents/{incident_id}/updates",
        json={"status": target, "description": "moving on"},
        headers=bob,
    )
    assert response.status_code == 201, response.text
    incident = response.json()["incident"]
    assert incident["status"] == target
    assert (incident["resolved_at"] is not None) == (target == "resolved")
