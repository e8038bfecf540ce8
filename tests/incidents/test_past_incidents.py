"""``GET /api/incidents/past``: local days, today first, with incidents or the PRD message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from kpiwatch.core.clock import Clock

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NONE = "특별한 문제가 없습니다."


def _open_at(clock: Clock, at: str, create: Callable[..., dict[str, Any]], **fields: Any) -> str:
    clock.freeze(datetime.fromisoformat(at))
    incident_id: str = create(**fields)["id"]
    clock.freeze(T0)
    return incident_id


def test_it_lists_days_with_their_incidents_or_the_no_incident_message(
    client: TestClient, clock: Clock, open_incident: Callable[..., dict[str, Any]]
) -> None:
    late = _open_at(clock, "2026-02-28T23:30:00+00:00", open_incident, title="late")
    today = _open_at(clock, "2026-03-02T08:00:00+00:00", open_incident, title="today")
    _open_at(clock, "2026-02-20T12:00:00+00:00", open_incident, title="too old")

    first = client.get("/api/incidents/past?days=5&page=1&limit=3").json()
    assert [(d["date"], d.get("noIncidentMessage")) for d in first["days"]] == [
        ("2026-03-02", None),
        ("2026-03-01", NONE),
        ("2026-02-28", None),
    ]
    assert [i["id"] for i in first["days"][0]["incidents"]] == [today]
    assert first["days"][1]["incidents"] is None
    [shown] = first["days"][2]["incidents"]
    assert (shown["id"], shown["title"], shown["updates"][0]["status"]) == (
        late,
        "late",
        "investigating",
    )
    assert first["pagination"] == {
        "page": 1,
        "limit": 3,
        "totalDays": 5,
        "totalPages": 2,
        "hasNext": True,
        "hasPrevious": False,
    }
    second = client.get("/api/incidents/past?days=5&page=2&limit=3").json()
    assert [(d["date"], d["incidents"], d["noIncidentMessage"]) for d in second["days"]] == [
        ("2026-02-27", None, NONE),
        ("2026-02-26", None, NONE),
    ]
    assert client.get("/api/incidents/past?days=5&page=3&limit=3").json()["days"] == []


def test_it_groups_by_the_tenants_local_day(
    client: TestClient, clock: Clock, open_incident: Callable[..., dict[str, Any]]
) -> None:
    # 2026-03-01 16:30 UTC is 2026-03-02 01:30 in Seoul.
    _open_at(clock, "2026-03-01T16:30:00+00:00", open_incident, as_="dave")
    days = client.get("/api/incidents/past?tenant=acme&days=2").json()["days"]
    assert [(d["date"], len(d["incidents"] or [])) for d in days] == [
        ("2026-03-02", 1),
        ("2026-03-01", 0),
    ]
    assert client.get("/api/incidents/past?days=2").json()["days"][0]["incidents"] is None


def test_it_defaults_to_30_days_in_pages_of_10(client: TestClient) -> None:
    body = client.get("/api/incidents/past").json()
    assert len(body["days"]) == 10
    assert body["days"][0] == {"date": "2026-03-02", "incidents": None, "noIncidentMessage": NONE}
    assert body["pagination"]["totalPages"] == 3
    bad = client.get("/api/incidents/past?days=0")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "days"]
