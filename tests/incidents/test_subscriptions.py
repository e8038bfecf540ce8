"""Status-page subscriptions end to end: double opt-in by mail and by webhook, public
updates to confirmed subscribers only, one-click unsubscribe."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.incidents.receivers import (
    SmtpServer,
    WebhookReceiver,
    notify_settings,
    text_of,
    wait_for_deliveries,
)

from kpiwatch.core.config import Settings

Headers = Callable[[str], dict[str, str]]
BASE = "http://status.test"
PUBLIC = {
    "id",
    "title",
    "description",
    "status",
    "severity",
    "affected_services",
    "created_at",
    "updated_at",
    "resolved_at",
    "resolution_time",
}


@pytest.fixture
def settings(database_url: str, smtp: SmtpServer) -> Settings:
    return notify_settings(database_url, smtp.port)


def _link(text: str, kind: str) -> str:
    found = re.search(rf"{BASE}(/subscriptions/{kind}\?token=[0-9a-f.]+)", text)
    assert found, text
    return found.group(1)


def _move(client: TestClient, headers: Headers, incident_id: str, status: str) -> None:
    body = {"status": status, "description": f"now {status}"}
    answer = client.post(f"/api/incidents/{incident_id}/updates", json=body, headers=headers("bob"))
    assert answer.status_code == 201, answer.text


def test_a_visitor_subscribes_by_mail_confirms_and_unsubscribes_in_one_click(
    client: TestClient,
    headers: Headers,
    smtp: SmtpServer,
    open_incident: Callable[..., dict[str, Any]],
) -> None:
    asked = client.post("/api/subscriptions", json={"email": "Visitor@Example.com"})
    assert asked.status_code == 202, asked.text
    assert asked.json()["subscription"]["status"] == "pending"
    [(to, confirmation)] = smtp.wait_for(1)
    assert to == ["Visitor@Example.com"]
    assert confirmation["Subject"] == "Confirm your subscription to Default status updates"
    confirm_path = _link(text_of(confirmation), "confirm")

    incident_id = open_incident()["id"]  # not confirmed yet: nothing goes out
    time.sleep(0.3)
    assert len(smtp.mailbox.messages) == 1
    counts = client.get(f"/api/incidents/{incident_id}/deliveries", headers=headers("bob"))
    assert counts.json()["subscribers"] == {"pending": 0, "sent": 0, "failed": 0, "cancelled": 0}

    page = client.get(confirm_path)
    assert page.status_code == 200
    assert "Subscription confirmed" in page.text
    assert "Visitor@Example.com will receive Default incident updates." in page.text

    _move(client, headers, incident_id, "identified")
    [_, (to, update)] = smtp.wait_for(2)
    assert to == ["Visitor@Example.com"]
    assert update["Subject"] == "[Default] Identified: 서비스 응답 지연"
    leave_path = _link(update["List-Unsubscribe"], "unsubscribe")
    assert update["List-Unsubscribe"] == f"<{BASE}{leave_path}>"
    assert update["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = text_of(update)
    assert "Priority" not in text  # the public sees the status, not the triage
    assert f"Details: {BASE}/status/default" in text
    assert text.endswith(f"Unsubscribe with one click: {BASE}{leave_path}\n")
    wait_for_deliveries(
        client, headers("bob"), incident_id, lambda b: b["subscribers"]["sent"] == 1
    )

    # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" to the header's URL.
    left = client.post(leave_path, content="List-Unsubscribe=One-Click")
    assert left.status_code == 200 and "Unsubscribed" in left.text
    assert "will receive no more Default incident updates" in left.text
    _move(client, headers, incident_id, "resolved")
    time.sleep(0.3)
    assert len(smtp.mailbox.messages) == 2
    again = client.get(leave_path)
    assert again.status_code == 200 and "had already ended" in again.text

    audit = client.get("/api/audit?entity=notify_subscriber", headers=headers("alice"))
    assert [(e["action"], e["detail"]["address"]) for e in audit.json()["items"]] == [
        ("subscription.unsubscribe", "V***@Example.com"),
        ("subscription.confirm", "V***@Example.com"),
        ("subscription.request", "V***@Example.com"),
    ]


def test_a_webhook_subscription_is_confirmed_by_its_receiver_and_signed(
    client: TestClient,
    headers: Headers,
    receiver: WebhookReceiver,
    open_incident: Callable[..., dict[str, Any]],
) -> None:
    url = f"{receiver.url}/status-hook"
    assert client.post("/api/subscriptions", json={"webhook": url}).status_code == 202
    [request] = receiver.wait_for(1)
    confirm = request.json
    assert confirm["event"] == "subscription.confirm"
    secret = confirm["secret"]
    assert request.signed_with(secret)
    assert confirm["confirmUrl"].startswith(f"{BASE}/subscriptions/confirm?token=")
    assert client.get(confirm["confirmUrl"].removeprefix(BASE)).status_code == 200

    incident = open_incident(title="Face Compare 오류", affected_services=[])
    [_, delivered] = receiver.wait_for(2)
    assert delivered.signed_with(secret)
    body = delivered.json
    assert body["event"] == "incident.created"
    assert set(body["incident"]) == PUBLIC  # no priority rule, reporter or inputs
    assert body["incident"]["id"] == incident["id"]
    assert body["url"] == f"{BASE}/status/default"
    assert body["unsubscribeUrl"] == confirm["unsubscribeUrl"]

    assert client.get(confirm["unsubscribeUrl"].removeprefix(BASE)).status_code == 200
    _move(client, headers, incident["id"], "resolved")
    time.sleep(0.3)
    assert len(receiver.received) == 2


def test_subscribers_get_their_own_tenants_incidents_only(
    client: TestClient,
    headers: Headers,
    smtp: SmtpServer,
    open_incident: Callable[..., dict[str, Any]],
) -> None:
    answer = client.post("/api/subscriptions?tenant=acme", json={"email": "kim@example.kr"})
    assert answer.status_code == 202
    [(_, confirmation)] = smtp.wait_for(1)
    assert confirmation["Subject"] == "Confirm your subscription to Acme status updates"
    assert client.get(_link(text_of(confirmation), "confirm")).status_code == 200

    open_incident()  # the default tenant's
    acme = open_incident(as_="dave", title="ERP 지연")
    [_, (to, mail)] = smtp.wait_for(2)
    assert to == ["kim@example.kr"]
    assert mail["Subject"] == "[Acme] New incident: ERP 지연"
    assert "Opened: 2026-03-02 18:00 KST" in text_of(mail)  # Asia/Seoul
    assert f"Details: {BASE}/status/acme" in text_of(mail)
    time.sleep(0.3)
    assert len(smtp.mailbox.messages) == 2
    assert acme["id"] == "inc-2026-001"


def test_the_status_page_form_subscribes_without_javascript(
    client: TestClient, smtp: SmtpServer
) -> None:
    page = client.post("/subscriptions", data={"email": "reader@example.com", "tenant": "acme"})
    assert page.status_code == 202
    assert "Check your inbox" in page.text and 'href="/status/acme"' in page.text
    [(to, _)] = smtp.wait_for(1)
    assert to == ["reader@example.com"]

    bad = client.post("/subscriptions", data={"email": "not-an-address", "tenant": "acme"})
    assert bad.status_code == 422
    assert "Please check the form: &#39;not-an-address&#39; is not an e-mail address." in bad.text
    neither = client.post("/subscriptions", data={"tenant": "default"})
    assert neither.status_code == 422 and "send either email or webhook" in neither.text
