"""Webhook channels: a real aiohttp receiver on loopback checks each signed delivery."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import lxml.html
import pytest
from fastapi.testclient import TestClient
from tests.incidents.receivers import WebhookReceiver, notify_settings, wait_for_deliveries
from tests.incidents.test_console_pages import _log_in

from kpiwatch.core.clock import Clock
from kpiwatch.core.config import Settings

Headers = Callable[[str], dict[str, str]]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return notify_settings(database_url, notify_max_attempts=3)


def _hook(client: TestClient, headers: Headers, url: str, **fields: Any) -> dict[str, Any]:
    body = {"name": "ops hook", "kind": "webhook", "url": url, **fields}
    response = client.post("/api/notification-channels", json=body, headers=headers("alice"))
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _sent(body: dict[str, Any]) -> bool:
    return all(d["status"] == "sent" for d in body["deliveries"]) and bool(body["deliveries"])


def test_it_signs_and_delivers_a_new_incident(
    client: TestClient,
    headers: Headers,
    receiver: WebhookReceiver,
    services: tuple[str, ...],
    open_incident: Callable[..., dict[str, Any]],
) -> None:
    made = _hook(client, headers, f"{receiver.url}/hooks/ops")
    secret = made["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40
    incident = open_incident(
        title="ID Recognition 응답 지연", affected_services=["id-recognition"], note="p95 16 s"
    )

    [got] = receiver.wait_for(1)
    assert got.path == "/hooks/ops"
    assert got.signed_with(secret)
    assert not got.signed_with(secret + "x")
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["X-Kpiwatch-Event"] == "incident.created"
    assert got.headers["X-Kpiwatch-Timestamp"] == "1772442000"  # 2026-03-02T09:00:00Z
    body = got.json
    assert got.headers["X-Kpiwatch-Delivery"] == str(body["delivery"])
    assert (body["event"], body["timestamp"], body["tenant"]) == (
        "incident.created",
        "2026-03-02T09:00:00Z",
        "default",
    )
    assert body["incident"]["id"] == incident["id"] == "inc-2026-001"
    assert body["incident"]["title"] == "ID Recognition 응답 지연"
    assert body["incident"]["priority"] == "P2"
    assert (body["update"]["status"], body["update"]["description"]) == (
        "investigating",
        "p95 16 s",
    )
    assert body["url"] == "http://status.test/incidents/inc-2026-001"

    answer = wait_for_deliveries(client, headers("carol"), incident["id"], _sent)
    [delivery] = answer["deliveries"]
    assert delivery["id"] == body["delivery"]
    assert (delivery["event"], delivery["kind"], delivery["label"]) == (
        "incident.created",
        "webhook",
        "ops hook",
    )
    assert (delivery["attempts"], delivery["last_error"], delivery["sent_at"]) == (
        1,
        None,
        "2026-03-02T09:00:00Z",
    )
    [attempt] = delivery["history"]
    assert (attempt["at"], attempt["ok"], attempt["status_code"], attempt["error"]) == (
        "2026-03-02T09:00:00Z",
        True,
        200,
        None,
    )
    assert answer["subscribers"] == {"pending": 0, "sent": 0, "failed": 0, "cancelled": 0}


def test_it_notifies_creation_status_changes_and_resolution_but_not_notes(
    client: TestClient,
    headers: Headers,
    receiver: WebhookReceiver,
    open_incident: Callable[..., dict[str, Any]],
) -> None:
    _hook(client, headers, receiver.url)
    incident_id = open_incident()["id"]
    bob = headers("bob")
    for status, note in (
        ("identified", "DB pool exhausted"),
        (None, "still working on it"),
        ("resolved", "pool enlarged"),
    ):
        body = {"description": note} | ({"status": status} if status else {})
        answer = client.post(f"/api/incidents/{incident_id}/updates", json=body, headers=bob)
        assert answer.status_code == 201, answer.text
    edit = {"version": 4, "status": "investigating", "note": "it is back"}
    assert client.put(f"/api/incidents/{incident_id}", json=edit, headers=bob).status_code == 200

    got = receiver.wait_for(4)
    seen = sorted(
        (r.json["delivery"], r.json["event"], r.json["update"]["description"]) for r in got
    )
    assert [(event, note) for _, event, note in seen] == [
        ("incident.created", "서비스 응답 지연"),
        ("incident.updated", "DB pool exhausted"),
        ("incident.resolved", "pool enlarged"),
        ("incident.updated", "it is back"),
    ]
    resolved = next(r.json for r in got if r.json["event"] == "incident.resolved")
    assert resolved["incident"]["status"] == "resolved"
    assert resolved["incident"]["resolved_at"] == "2026-03-02T09:00:00Z"
    assert resolved["update"]["previous_status"] == "identified"


def test_it_retries_after_a_receiver_error_with_backoff(
    client: TestClient,
    headers: Headers,
    clock: Clock,
    receiver: WebhookReceiver,
    open_incident: Callable[..., dict[str, Any]],
) -> None:
    _hook(client, headers, receiver.url)
    receiver.answers = [500]
    incident_id = open_incident()["id"]

    first = wait_for_deliveries(
        client, headers("alice"), incident_id, lambda b: b["deliveries"][0]["attempts"] == 1
    )
    [delivery] = first["deliveries"]
    assert (delivery["status"], delivery["last_error"], delivery["next_attempt_at"]) == (
        "pending",
        "HTTP 500: try later",
        "2026-03-02T09:00:30Z",  # notify_backoff_s after the first attempt
    )
    assert len(receiver.refused) == 1 and receiver.received == []

    clock.advance(seconds=30)
    [got] = receiver.wait_for(1)
    assert got.json["delivery"] == delivery["id"]
    done = wait_for_deliveries(client, headers("alice"), incident_id, _sent)
    history = done["deliveries"][0]["history"]
    assert [(h["at"], h["ok"], h["status_code"], h["error"]) for h in history] == [
        ("2026-03-02T09:00:00Z", False, 500, "HTTP 500: try later"),
        ("2026-03-02T09:00:30Z", True, 200, None),
    ]
    assert done["deliveries"][0]["attempts"] == 2


def test_it_marks_a_delivery_failed_after_the_last_attempt(
    client: TestClient,
    headers: Headers,
    clock: Clock,
    receiver: WebhookReceiver,
    open_incident: Callable[..., dict[str, Any]],
) -> None:
    _hook(client, headers, receiver.url)
    receiver.answers = [503, 503, 503]
    incident_id = open_incident()["id"]
    auth = headers("alice")
    for attempts, wait_s in ((1, 30), (2, 60)):  # the wait doubles
        wait_for_deliveries(
            client, auth, incident_id, lambda b, n=attempts: b["deliveries"][0]["attempts"] == n
        )
        clock.advance(seconds=wait_s)
    failed = wait_for_deliveries(
        client, auth, incident_id, lambda b: b["deliveries"][0]["status"] == "failed"
    )
    [delivery] = failed["deliveries"]
    assert (delivery["attempts"], delivery["next_attempt_at"], delivery["sent_at"]) == (
        3,
        None,
        None,
    )
    assert [h["at"] for h in delivery["history"]] == [
        "2026-03-02T09:00:00Z",
        "2026-03-02T09:00:30Z",
        "2026-03-02T09:01:30Z",
    ]
    assert receiver.received == [] and len(receiver.refused) == 3


def test_it_skips_disabled_channels_and_channels_without_the_event(
    client: TestClient,
    headers: Headers,
    receiver: WebhookReceiver,
    open_incident: Callable[..., dict[str, Any]],
) -> None:
    _hook(client, headers, f"{receiver.url}/resolved", events=["incident.resolved"])
    _hook(client, headers, f"{receiver.url}/off", name="disabled", active=False)
    incident_id = open_incident()["id"]
    body = {"status": "resolved", "description": "fixed"}
    client.post(f"/api/incidents/{incident_id}/updates", json=body, headers=headers("bob"))

    [got] = receiver.wait_for(1)
    assert (got.path, got.json["event"]) == ("/resolved", "incident.resolved")
    answer = client.get(f"/api/incidents/{incident_id}/deliveries", headers=headers("bob"))
    assert [d["label"] for d in answer.json()["deliveries"]] == ["ops hook"]


def test_the_console_page_shows_each_delivery_and_its_last_error(
    client: TestClient,
    headers: Headers,
    receiver: WebhookReceiver,
    open_incident: Callable[..., dict[str, Any]],
) -> None:
    _hook(client, headers, receiver.url)
    receiver.answers = [502]
    incident_id = open_incident()["id"]
    wait_for_deliveries(
        client, headers("bob"), incident_id, lambda b: b["deliveries"][0]["attempts"] == 1
    )
    _log_in(client, "bob")
    page = lxml.html.fromstring(client.get(f"/incidents/{incident_id}").text)
    [section] = page.xpath('//section[@class="notified"]')
    [row] = section.xpath(".//tbody/tr")
    assert [" ".join(td.text_content().split()) for td in row.xpath("./td")] == [
        "incident.created",
        "ops hook (webhook)",
        "pending, next try 2026-03-02 09:00:30 UTC",
        "1",
        "2026-03-02 09:00:00 UTC: HTTP 502: try later",
    ]
