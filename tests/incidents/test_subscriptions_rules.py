"""The public subscription endpoint's rules: validation, private targets, rate limit,
one confirmation per window, stale and expired links; the admins' subscriber list."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.incidents.receivers import SmtpServer, notify_settings, text_of

from kpiwatch.core.clock import Clock
from kpiwatch.core.config import Settings

Headers = Callable[[str], dict[str, str]]
PATH = "/api/subscriptions"


@pytest.fixture
def settings(database_url: str, smtp: SmtpServer) -> Settings:
    return notify_settings(
        database_url,
        smtp.port,
        notify_allow_private_targets=False,
        subscribe_max_per_ip=3,
        subscribe_window_s=3600,
    )


def _confirm_path(mail: Any) -> str:
    found = re.search(r"http://status\.test(/subscriptions/confirm\?token=\S+)", text_of(mail))
    assert found
    return found.group(1)


@pytest.mark.parametrize(
    ("body", "loc", "message"),
    [
        ({}, ["body"], "send either email or webhook"),
        ({"email": "a@example.com", "webhook": "https://h.example/x"}, ["body"], "either"),
        ({"email": "a@b"}, ["body", "email"], "is not an e-mail address"),
        ({"webhook": "javascript:alert(1)"}, ["body", "webhook"], "http:// or https://"),
        ({"webhook": "http://127.0.0.1:8000/x"}, ["body", "webhook"], "public address"),
        ({"webhook": "http://localhost/x"}, ["body", "webhook"], "public address"),
        ({"webhook": "http://[::ffff:10.0.0.1]/x"}, ["body", "webhook"], "public address"),
        ({"webhook": "http://169.254.169.254/latest"}, ["body", "webhook"], "public address"),
        ({"webhook": "https://예시.kr/hook"}, ["body", "webhook"], "must be ASCII"),
        ({"phone": "+82 10"}, ["body", "phone"], "Extra inputs"),
    ],
)
def test_it_refuses_bad_requests_naming_the_field(
    client: TestClient, headers: Headers, body: dict[str, Any], loc: list[str], message: str
) -> None:
    answer = client.post(PATH, json=body)
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["detail"]
    assert error["loc"] == loc and message in error["msg"], error
    assert client.get("/api/subscribers", headers=headers("alice")).json()["subscribers"] == []


def test_it_limits_requests_per_client_address(
    client: TestClient, headers: Headers, clock: Clock, smtp: SmtpServer
) -> None:
    for n in range(3):
        assert client.post(PATH, json={"email": f"v{n}@example.com"}).status_code == 202
    refused = client.post(PATH, json={"email": "v3@example.com"})
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "3600"
    listed = client.get("/api/subscribers", headers=headers("alice")).json()["subscribers"]
    assert [s["address"] for s in listed] == ["v0@example.com", "v1@example.com", "v2@example.com"]
    clock.advance(minutes=59)
    assert client.post(PATH, json={"email": "v3@example.com"}).headers["Retry-After"] == "60"
    clock.advance(minutes=1)
    assert client.post(PATH, json={"email": "v3@example.com"}).status_code == 202


def test_it_sends_one_confirmation_per_window_and_older_links_go_stale(
    client: TestClient, clock: Clock, smtp: SmtpServer
) -> None:
    assert client.post(PATH, json={"email": "me@example.com"}).status_code == 202
    assert client.post(PATH, json={"email": "ME@example.com"}).status_code == 202
    [(_, first)] = smtp.wait_for(1)
    clock.advance(seconds=600)
    assert client.post(PATH, json={"email": "me@example.com"}).status_code == 202
    [_, (_, second)] = smtp.wait_for(2)

    stale = client.get(_confirm_path(first))
    assert stale.status_code == 404 and "replaced by a newer one" in stale.text
    tampered = _confirm_path(second)[:-1] + ("0" if _confirm_path(second)[-1] != "0" else "1")
    assert client.get(tampered).status_code == 404
    assert client.get("/subscriptions/confirm?token=nonsense").status_code == 404
    assert client.get(_confirm_path(second)).status_code == 200
    # Once confirmed, asking again sends nothing more and answers the same.
    clock.advance(hours=1)  # out of the rate limit's window
    assert client.post(PATH, json={"email": "me@example.com"}).json() == {
        "subscription": {
            "status": "pending",
            "message": "Almost done: confirm the subscription with the link we just sent. "
            "Nothing is sent until it is confirmed.",
        }
    }
    assert len(smtp.mailbox.messages) == 2


def test_a_confirmation_link_expires(client: TestClient, clock: Clock, smtp: SmtpServer) -> None:
    assert client.post(PATH, json={"email": "late@example.com"}).status_code == 202
    [(_, mail)] = smtp.wait_for(1)
    clock.advance(days=7, seconds=1)
    expired = client.get(_confirm_path(mail))
    assert expired.status_code == 404 and "expired" in expired.text
    api = client.post(f"{PATH}/confirm", json={"token": _confirm_path(mail).split("=", 1)[1]})
    assert api.status_code == 404


def test_only_admins_list_and_remove_subscribers_of_their_tenant(
    client: TestClient, headers: Headers, smtp: SmtpServer
) -> None:
    client.post(PATH, json={"email": "one@example.com"})
    client.post(f"{PATH}?tenant=acme", json={"email": "two@example.com"})
    for persona in ("bob", "carol"):
        assert client.get("/api/subscribers", headers=headers(persona)).status_code == 403
    assert client.get("/api/subscribers").status_code == 401
    [mine] = client.get("/api/subscribers", headers=headers("alice")).json()["subscribers"]
    assert (mine["address"], mine["status"], mine["confirmed_at"]) == (
        "one@example.com",
        "pending",
        None,
    )
    path = f"/api/subscribers/{mine['id']}"
    assert client.delete(path, headers=headers("dave")).status_code == 404
    assert client.delete(path, headers=headers("bob")).status_code == 403
    assert client.delete(path, headers=headers("alice")).json() == {"success": True}
    assert client.get("/api/subscribers", headers=headers("alice")).json()["subscribers"] == []
    [theirs] = client.get("/api/subscribers", headers=headers("dave")).json()["subscribers"]
    assert theirs["address"] == "two@example.com"


def test_mail_subscriptions_need_an_smtp_server(database_url: str, clock: Clock) -> None:
    from kpiwatch.app import create_app

    with TestClient(create_app(notify_settings(database_url), clock)) as client:
        answer = client.post(PATH, json={"email": "a@example.com"})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["msg"] == (
        "e-mail subscriptions are not available on this server"
    )
