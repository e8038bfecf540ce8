"""Channel configuration: admins only, per tenant, validated, audited, secrets shown once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.incidents.receivers import WebhookReceiver, notify_settings

from kpiwatch.core.config import Settings

Headers = Callable[[str], dict[str, str]]
HOOK = {"name": "ops hook", "kind": "webhook", "url": "https://hooks.example.com/kpiwatch"}
PATH = "/api/notification-channels"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return notify_settings(database_url)


def _create(client: TestClient, auth: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post(PATH, json=HOOK | body, headers=auth)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_only_admins_configure_channels(client: TestClient, headers: Headers) -> None:
    channel_id = _create(client, headers("alice"))["channel"]["id"]
    one = f"{PATH}/{channel_id}"
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", PATH, None),
        ("POST", PATH, HOOK | {"name": "other"}),
        ("GET", one, None),
        ("PUT", one, {"active": False}),
        ("DELETE", one, None),
    ]
    for method, path, body in calls:
        assert client.request(method, path, json=body).status_code == 401, (method, path)
        for persona in ("bob", "carol"):
            answer = client.request(method, path, json=body, headers=headers(persona))
            assert answer.status_code == 403, (persona, method, path)
    assert client.get(one, headers=headers("alice")).json()["channel"]["active"] is True


def test_a_tenant_sees_and_notifies_only_its_own_channels(
    client: TestClient,
    headers: Headers,
    receiver: WebhookReceiver,
    open_incident: Callable[..., dict[str, Any]],
) -> None:
    ours = _create(client, headers("alice"), url=f"{receiver.url}/default")["channel"]
    acme = _create(client, headers("dave"), url=f"{receiver.url}/acme")["channel"]
    dave = headers("dave")
    assert [c["id"] for c in client.get(PATH, headers=dave).json()["channels"]] == [acme["id"]]
    for method in ("GET", "PUT", "DELETE"):
        body = {"name": "mine now"} if method == "PUT" else None
        answer = client.request(method, f"{PATH}/{ours['id']}", json=body, headers=dave)
        assert answer.status_code == 404, method

    incident_id = open_incident()["id"]
    [got] = receiver.wait_for(1)
    assert got.path == "/default"
    erin = headers("erin")
    assert client.get(f"/api/incidents/{incident_id}/deliveries", headers=erin).status_code == 404
    assert client.get(f"/api/incidents/{incident_id}/deliveries").status_code == 401


@pytest.mark.parametrize(
    ("body", "loc", "message"),
    [
        ({"url": "ftp://example.com/x"}, ["body", "url"], "http:// or https://"),
        ({"url": "https://user:pw@example.com/"}, ["body", "url"], "user name or password"),
        ({"url": None}, ["body", "url"], "a webhook channel needs url"),
        ({"kind": "email", "url": None}, ["body", "to"], "an e-mail channel needs to"),
        ({"kind": "email", "url": None, "to": ["ops@"]}, ["body", "to"], "not an e-mail"),
        ({"kind": "email", "to": ["a@example.com"]}, ["body", "url"], "has no url"),
        ({"kind": "slack", "secret": "s" * 20}, ["body", "secret"], "has no secret"),
        ({"kind": "pager"}, ["body", "kind"], "'webhook', 'slack' or 'email'"),
        ({"events": ["incident.deleted"]}, ["body", "events", 0], "incident.created"),
        ({"events": []}, ["body", "events"], "at least 1"),
        ({"name": " "}, ["body", "name"], "at least 1"),
        ({"secret": "short"}, ["body", "secret"], "at least 16"),
    ],
)
def test_it_refuses_bad_channels_naming_the_field(
    client: TestClient, headers: Headers, body: dict[str, Any], loc: list[Any], message: str
) -> None:
    sent = {k: v for k, v in (HOOK | body).items() if v is not None}
    answer = client.post(PATH, json=sent, headers=headers("alice"))
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["detail"]
    assert error["loc"] == loc
    assert message in error["msg"]
    assert client.get(PATH, headers=headers("alice")).json()["channels"] == []


def test_it_shows_a_webhook_secret_once_and_audits_without_it(
    client: TestClient, headers: Headers
) -> None:
    admin = headers("alice")
    made = _create(client, admin)
    secret = made["secret"]
    channel = made["channel"]
    assert channel == {
        "id": channel["id"],
        "name": "ops hook",
        "kind": "webhook",
        "url": "https://hooks.example.com/kpiwatch",
        "secret_hint": f"…{secret[-4:]}",
        "events": ["incident.created", "incident.updated", "incident.resolved"],
        "active": True,
        "created_at": "2026-03-02T09:00:00Z",
        "updated_at": "2026-03-02T09:00:00Z",
    }
    one = f"{PATH}/{channel['id']}"
    assert "secret" not in client.get(one, headers=admin).json()
    rotated = client.put(one, json={"rotate_secret": True}, headers=admin).json()
    assert rotated["secret"] != secret and rotated["secret"].startswith("whsec_")
    assert rotated["channel"]["secret_hint"] == f"…{rotated['secret'][-4:]}"
    renamed = client.put(one, json={"name": "renamed", "active": False}, headers=admin).json()
    assert "secret" not in renamed
    assert (renamed["channel"]["name"], renamed["channel"]["active"]) == ("renamed", False)

    assert client.post(PATH, json=HOOK | {"name": "renamed"}, headers=admin).status_code == 409
    assert client.put(one, json={"to": ["a@example.com"]}, headers=admin).status_code == 422
    assert client.delete(one, headers=admin).json() == {"success": True}
    assert client.get(one, headers=admin).status_code == 404

    audit = client.get("/api/audit?entity=notify_channel", headers=admin).json()["items"]
    assert [e["action"] for e in audit] == [
        "notify.channel.delete",
        "notify.channel.update",
        "notify.channel.update",
        "notify.channel.create",
    ]
    assert audit[2]["detail"]["secret"] == "rotated"
    assert audit[1]["detail"]["name"] == {"from": "ops hook", "to": "renamed"}
    for entry in audit:
        assert secret not in str(entry) and rotated["secret"] not in str(entry)


def test_it_takes_a_given_webhook_secret(client: TestClient, headers: Headers) -> None:
    made = _create(client, headers("alice"), secret="a-shared-secret-of-the-team")
    assert made["secret"] == "a-shared-secret-of-the-team"
    assert made["channel"]["secret_hint"] == "…team"
