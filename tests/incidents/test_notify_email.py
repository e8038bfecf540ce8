"""E-mail channels: real mail to an aiosmtpd server on loopback, and a retry while it is down."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.incidents.receivers import SmtpServer, notify_settings, text_of, wait_for_deliveries

from kpiwatch.core.clock import Clock
from kpiwatch.core.config import Settings

Headers = Callable[[str], dict[str, str]]
TEAM = ["oncall@example.com", "lead@example.org"]


@pytest.fixture
def settings(database_url: str, smtp: SmtpServer) -> Settings:
    return notify_settings(database_url, smtp.port)


def _mail_channel(client: TestClient, headers: Headers) -> dict[str, Any]:
    body = {"name": "on-call mail", "kind": "email", "to": TEAM}
    response = client.post("/api/notification-channels", json=body, headers=headers("alice"))
    assert response.status_code == 201, response.text
    channel: dict[str, Any] = response.json()["channel"]
    return channel


def test_it_mails_the_team_when_an_incident_is_resolved(
    client: TestClient,
    headers: Headers,
    clock: Clock,
    smtp: SmtpServer,
    services: tuple[str, ...],
    open_incident: Callable[..., dict[str, Any]],
) -> None:
    assert _mail_channel(client, headers)["to"] == TEAM
    incident_id = open_incident(affected_services=["face-compare"])["id"]
    smtp.wait_for(1)
    clock.advance(hours=4, minutes=15)
    body = {"status": "resolved", "description": "Cache node replaced."}
    client.post(f"/api/incidents/{incident_id}/updates", json=body, headers=headers("bob"))

    (created_to, created), (resolved_to, resolved) = smtp.wait_for(2)
    assert created_to == resolved_to == TEAM
    assert created["Subject"] == "[Default] [P2] New incident: 서비스 응답 지연"
    assert resolved["Subject"] == "[Default] [P2] Resolved: 서비스 응답 지연"
    assert resolved["From"] == "Status <status@example.com>"
    assert resolved["To"] == "oncall@example.com, lead@example.org"
    assert resolved["Auto-Submitted"] == "auto-generated"
    assert resolved["List-Unsubscribe"] is None  # the team's channel, not a subscription
    assert text_of(resolved) == (
        "서비스 응답 지연\n\n"
        "Status: Resolved\n"
        "Priority: P2 (severity high)\n"
        "Affected services: face-compare\n"
        "Opened: 2026-03-02 09:00 UTC\n"
        "Resolved in 4h 15m\n\n"
        "Update (2026-03-02 13:15 UTC):\n"
        "Cache node replaced.\n\n"
        f"Details: http://status.test/incidents/{incident_id}\n"
    )


def test_it_retries_while_the_smtp_server_is_down(
    client: TestClient,
    headers: Headers,
    clock: Clock,
    smtp: SmtpServer,
    open_incident: Callable[..., dict[str, Any]],
) -> None:
    _mail_channel(client, headers)
    smtp.stop()
    incident_id = open_incident()["id"]
    auth = headers("alice")
    down = wait_for_deliveries(
        client, auth, incident_id, lambda b: b["deliveries"][0]["attempts"] == 1
    )
    [delivery] = down["deliveries"]
    assert delivery["status"] == "pending"
    assert delivery["last_error"].startswith("ConnectionRefusedError")
    assert delivery["next_attempt_at"] == "2026-03-02T09:00:30Z"

    smtp.start()
    clock.advance(seconds=30)
    [(to, mail)] = smtp.wait_for(1)
    assert to == TEAM and mail["Subject"].endswith("New incident: 서비스 응답 지연")
    sent = wait_for_deliveries(
        client, auth, incident_id, lambda b: b["deliveries"][0]["status"] == "sent"
    )
    history = sent["deliveries"][0]["history"]
    assert [(h["at"], h["ok"]) for h in history] == [
        ("2026-03-02T09:00:00Z", False),
        ("2026-03-02T09:00:30Z", True),
    ]


def test_it_fails_at_once_when_smtp_is_not_configured(
    database_url: str, clock: Clock, smtp: SmtpServer
) -> None:
    from tests.conftest import password_of

    from kpiwatch.app import create_app

    app = create_app(notify_settings(database_url), clock)
    with TestClient(app) as client:
        login = {"username": "alice", "password": password_of("alice")}
        token = client.post("/api/auth/login", json=login).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        body = {"name": "mail", "kind": "email", "to": ["a@example.com"]}
        assert client.post("/api/notification-channels", json=body, headers=auth).status_code == 201
        incident = {"title": "x", "severity": "low"}
        incident_id = client.post("/api/incidents", json=incident, headers=auth).json()["incident"][
            "id"
        ]
        failed = wait_for_deliveries(
            client, auth, incident_id, lambda b: b["deliveries"][0]["status"] == "failed"
        )
    delivery = failed["deliveries"][0]
    assert (delivery["attempts"], delivery["last_error"]) == (
        1,
        "SMTP is not configured (KPIWATCH_SMTP_HOST)",
    )
    assert smtp.mailbox.messages == []
