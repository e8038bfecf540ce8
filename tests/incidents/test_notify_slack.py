"""Slack-compatible channels: an incoming-webhook message, and a URL kept secret."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.incidents.receivers import WebhookReceiver, notify_settings

from kpiwatch.core.config import Settings

Headers = Callable[[str], dict[str, str]]
TOKEN_PATH = "/services/T0001/B0002/abcdEFGHijkl"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return notify_settings(database_url)


def test_it_posts_text_and_blocks(
    client: TestClient,
    headers: Headers,
    receiver: WebhookReceiver,
    services: tuple[str, ...],
    open_incident: Callable[..., dict[str, Any]],
) -> None:
    body = {"name": "#ops", "kind": "slack", "url": receiver.url + TOKEN_PATH}
    made = client.post("/api/notification-channels", json=body, headers=headers("alice"))
    assert made.status_code == 201, made.text
    assert "secret" not in made.json()
    open_incident(
        title="Face <Liveness> & co down",
        severity="critical",
        affected_services=["face-liveness", "id-recognition"],
        note="All checks fail since 17:55",
    )

    [got] = receiver.wait_for(1)
    assert got.path == TOKEN_PATH
    assert "X-Kpiwatch-Signature" not in got.headers  # Slack authenticates by its URL
    message = got.json
    assert message["text"] == "[P1] New incident: Face &lt;Liveness&gt; &amp; co down"
    header, facts, note, byline = message["blocks"]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": "[P1] New incident: Face <Liveness> & co down"},
    }
    assert [f["text"] for f in facts["fields"]] == [
        "*Status*\nInvestigating",
        "*Priority*\nP1 (critical)",
        "*Affected services*\nface-liveness, id-recognition",
        "*Incident*\n<http://status.test/incidents/inc-2026-001|inc-2026-001>",
    ]
    assert note == {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "All checks fail since 17:55"},
    }
    # The default tenant's clock zone is UTC: the byline names the author and the time.
    assert byline["elements"][0]["text"] == "bob · 2026-03-02 09:00 UTC"


def test_it_never_shows_or_audits_the_url_in_full(
    client: TestClient, headers: Headers, receiver: WebhookReceiver
) -> None:
    admin = headers("alice")
    url = receiver.url + TOKEN_PATH
    made = client.post(
        "/api/notification-channels",
        json={"name": "#ops", "kind": "slack", "url": url},
        headers=admin,
    ).json()["channel"]
    hint = "http://127.0.0.1/…ijkl"
    assert made["url_hint"] == hint and "url" not in made
    listed = client.get("/api/notification-channels", headers=admin).json()["channels"]
    assert [c["url_hint"] for c in listed] == [hint]
    changed = client.put(
        f"/api/notification-channels/{made['id']}", json={"url": url + "XYZW"}, headers=admin
    )
    assert changed.json()["channel"]["url_hint"] == "http://127.0.0.1/…XYZW"

    audit = client.get("/api/audit?entity=notify_channel", headers=admin)
    assert audit.status_code == 200, audit.text
    assert TOKEN_PATH not in audit.text and "abcdEFGH" not in audit.text
    actions = [(e["action"], e["detail"].get("url_hint")) for e in audit.json()["items"]]
    assert actions == [
        ("notify.channel.update", {"from": hint, "to": "http://127.0.0.1/…XYZW"}),
        ("notify.channel.create", hint),
    ]
