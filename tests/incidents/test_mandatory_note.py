"""A status changes only with a non-empty note."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

Headers = Callable[[str], dict[str, str]]


@pytest.mark.parametrize("note", ["", "   \n"])
def test_it_refuses_an_update_without_a_note(
    client: TestClient,
    headers: Headers,
    open_incident: Callable[..., dict[str, Any]],
    note: str,
) -> None:
    incident = open_incident()
    response = client.post(
        f"/api/incidents/{incident['id']}/updates",
        json={"status": "identified", "description": note},
        headers=headers("bob"),
    )
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "description"]
    assert "every status change needs a note" in error["msg"]


def test_it_refuses_an_update_with_no_description_field(
    client: TestClient, headers: Headers, open_incident: Callable[..., dict[str, Any]]
) -> None:
    incident = open_incident()
    response = client.post(
        f"/api/incidents/{incident['id']}/updates",
        json={"status": "identified"},
        headers=headers("bob"),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "description"]


def test_it_refuses_a_status_change_by_put_without_a_note(
    client: TestClient, headers: Headers, open_incident: Callable[..., dict[str, Any]]
) -> None:
    incident = open_incident()
    path = f"/api/incidents/{incident['id']}"
    response = client.put(path, json={"version": 1, "status": "identified"}, headers=headers("bob"))
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["body", "note"], "msg": "a status change needs a note", "type": "value_error"}
    ]
    blank = client.put(
        path, json={"version": 1, "status": "identified", "note": " "}, headers=headers("bob")
    )
    assert blank.status_code == 422
    assert blank.json()["detail"][0]["loc"] == ["body", "note"]
    after = client.get(path).json()["incident"]
    assert (after["status"], after["version"]) == ("investigating", 1)


def test_it_lets_put_edit_fields_without_a_note(
    client: TestClient, headers: Headers, open_incident: Callable[..., dict[str, Any]]
) -> None:
    incident = open_incident()
    response = client.put(
        f"/api/incidents/{incident['id']}",
        json={"version": 1, "title": "새 제목", "status": "investigating"},
        headers=headers("bob"),
    )
    assert response.status_code == 200, response.text
    edited = response.json()["incident"]
    assert (edited["title"], edited["version"], len(edited["updates"])) == ("새 제목", 2, 1)
