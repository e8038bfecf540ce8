"""An incident from report to resolution: exact timeline, resolution time and audit trail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from kpiwatch.core.clock import Clock
from kpiwatch.core.models import audit_log

Headers = Callable[[str], dict[str, str]]

REPORT = {
    "title": "서비스 응답 지연",
    "description": "ID Recognition 서비스에서 응답 시간이 평균 15초 이상 지연되고 있습니다.",
    "severity": "high",
    "affected_services": ["id-recognition", "face-liveness"],
    "reporter": "모니터링 시스템",
    "detection_criteria": "연속 3회 7초 초과 응답시간",
}
CAUSE = (
    "원인을 데이터베이스 연결 풀 부족으로 식별했습니다. "
    "연결 풀 크기를 50에서 100으로 증가시켰습니다."
)


def test_it_runs_an_incident_from_report_to_resolution(
    client: TestClient,
    headers: Headers,
    clock: Clock,
    services: tuple[str, ...],
    rows: Callable[..., list[dict[str, Any]]],
) -> None:
    bob, alice = headers("bob"), headers("alice")
    created = client.post("/api/incidents", json=REPORT, headers=bob)
    assert created.status_code == 201, created.text
    incident = created.json()["incident"]
    assert incident["id"] == "inc-2026-001"
    assert (incident["status"], incident["version"]) == ("investigating", 1)
    assert (incident["priority"], incident["priority_rule"]) == ("P2", "severity-high")
    assert incident["created_at"] == "2026-03-02T09:00:00Z"
    assert incident["resolved_at"] is None and incident["resolution_time"] is None

    clock.advance(minutes=45)
    posted = client.post(
        "/api/incidents/inc-2026-001/updates",
        json={"status": "identified", "description": CAUSE},
        headers=bob,
    )
    assert posted.status_code == 201, posted.text
    assert posted.json()["update"] == {
        "id": "upd-2026-002",
        "incident_id": "inc-2026-001",
        "status": "identified",
        "previous_status": "investigating",
        "description": CAUSE,
        "author": "bob",
        "created_at": "2026-03-02T09:45:00Z",
    }

    clock.advance(minutes=30)
    comment = client.post(
        "/api/incidents/inc-2026-001/comments", json={"message": "풀 크기 확인함"}, headers=alice
    )
    assert comment.status_code == 201, comment.text

    clock.advance(minutes=15)
    edited = client.put(
        "/api/incidents/inc-2026-001",
        json={"version": 2, "status": "monitoring", "note": "수정 배포 완료, 지켜보는 중"},
        headers=bob,
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["incident"]["version"] == 3

    clock.advance(hours=1, minutes=45)
    resolved = client.post(
        "/api/incidents/inc-2026-001/updates",
        json={"status": "resolved", "description": "응답 시간이 정상으로 돌아왔습니다."},
        headers=bob,
    )
    assert resolved.status_code == 201, resolved.text

    body = client.get("/api/incidents/inc-2026-001", headers=headers("carol")).json()
    final = body["incident"]
    assert final["status"] == "resolved"
    assert final["resolved_at"] == "2026-03-02T12:15:00Z"
    assert final["resolution_time_s"] == 3 * 3600 + 15 * 60
    assert final["resolution_time"] == "3h 15m"
    assert final["version"] == 4
    assert final["affected_services"] == ["id-recognition", "face-liveness"]
    assert final["reporter"] == "모니터링 시스템"
    assert [
        (e["type"], e["id"], e.get("status"), e.get("created_at") or e["timestamp"])
        for e in body["timeline"]
    ] == [
        ("update", "upd-2026-001", "investigating", "2026-03-02T09:00:00Z"),
        ("update", "upd-2026-002", "identified", "2026-03-02T09:45:00Z"),
        ("comment", "cmt-2026-001", None, "2026-03-02T10:15:00Z"),
        ("update", "upd-2026-003", "monitoring", "2026-03-02T10:30:00Z"),
        ("update", "upd-2026-004", "resolved", "2026-03-02T12:15:00Z"),
    ]
    assert body["timeline"][0]["description"] == REPORT["description"]
    assert body["timeline"][2]["userName"] == "alice"
    assert final["comments"][0]["message"] == "풀 크기 확인함"

    audited = rows(
        select(audit_log.c.action, audit_log.c.username, audit_log.c.at)
        .where(audit_log.c.entity == "incident")
        .order_by(audit_log.c.id)
    )
    assert [(a["action"], a["username"], a["at"].strftime("%H:%M")) for a in audited] == [
        ("incident.create", "bob", "09:00"),
        ("incident.status", "bob", "09:45"),
        ("incident.comment", "alice", "10:15"),
        ("incident.update", "bob", "10:30"),
        ("incident.status", "bob", "12:15"),
    ]


def test_it_reopens_a_resolved_incident_and_times_the_new_resolution(
    client: TestClient,
    headers: Headers,
    clock: Clock,
    open_incident: Callable[..., dict[str, Any]],
) -> None:
    bob = headers("bob")
    incident = open_incident()
    path = f"/api/incidents/{incident['id']}/updates"
    clock.advance(minutes=20)
    client.post(path, json={"status": "resolved", "description": "fixed"}, headers=bob)
    clock.advance(minutes=10)
    reopened = client.post(
        path, json={"status": "investigating", "description": "it is back"}, headers=bob
    )
    assert reopened.status_code == 201, reopened.text
    again = reopened.json()["incident"]
    assert (again["status"], again["resolved_at"], again["resolution_time_s"]) == (
        "investigating",
        None,
        None,
    )
    clock.advance(minutes=30)
    client.post(path, json={"status": "resolved", "description": "really fixed"}, headers=bob)
    final = client.get(f"/api/incidents/{incident['id']}").json()["incident"]
    assert final["resolved_at"] == "2026-03-02T10:00:00Z"
    assert (final["resolution_time_s"], final["resolution_time"]) == (3600, "1h 0m")
    assert [u["status"] for u in final["updates"]] == [
        "investigating",
        "resolved",
        "investigating",
        "resolved",
    ]


def test_it_keeps_the_resolution_time_when_a_resolved_incident_gets_a_note(
    client: TestClient,
    headers: Headers,
    clock: Clock,
    open_incident: Callable[..., dict[str, Any]],
) -> None:
    incident = open_incident()
    path = f"/api/incidents/{incident['id']}/updates"
    clock.advance(minutes=5)
    client.post(path, json={"status": "resolved", "description": "fixed"}, headers=headers("bob"))
    clock.advance(days=1)
    noted = client.post(path, json={"description": "postmortem published"}, headers=headers("bob"))
    assert noted.status_code == 201, noted.text
    final = noted.json()["incident"]
    assert (final["status"], final["resolved_at"], final["resolution_time"]) == (
        "resolved",
        "2026-03-02T09:05:00Z",
        "5m",
    )
