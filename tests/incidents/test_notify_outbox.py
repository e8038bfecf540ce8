"""The outbox: what a change commits is delivered even if no worker ran then, a change that
fails queues nothing, a dead worker's claim runs out, and two workers never send one twice."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from tests.conftest import password_of
from tests.incidents.receivers import WebhookReceiver, notify_settings, wait_for_deliveries

from kpiwatch.app import create_app
from kpiwatch.core.clock import Clock
from kpiwatch.incidents import outbox


@contextmanager
def _app(database_url: str, clock: Clock, **changes: Any) -> Iterator[TestClient]:
    """A kpiwatch instance on ``database_url``; several may run at once."""
    app = create_app(notify_settings(database_url, **changes), clock)
    with TestClient(app) as client:
        yield client


def _auth(client: TestClient, name: str) -> dict[str, str]:
    login = {"username": name, "password": password_of(name)}
    token = client.post("/api/auth/login", json=login).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _prepare(client: TestClient, url: str, incidents: int) -> list[str]:
    """A webhook channel to ``url`` and ``incidents`` new incidents (one delivery each)."""
    hook = {"name": "hook", "kind": "webhook", "url": url}
    admin = _auth(client, "alice")
    assert client.post("/api/notification-channels", json=hook, headers=admin).status_code == 201
    bob = _auth(client, "bob")
    made = []
    for n in range(incidents):
        body = {"title": f"incident {n}", "severity": "low"}
        made.append(client.post("/api/incidents", json=body, headers=bob).json()["incident"]["id"])
    return made


def test_it_delivers_what_a_change_committed_when_a_new_instance_starts(
    database_url: str, clock: Clock, receiver: WebhookReceiver
) -> None:
    with _app(database_url, clock, notify_worker=False) as first:
        [incident_id] = _prepare(first, receiver.url, 1)
        bob = _auth(first, "bob")
        # Changes that fail roll back, and queue nothing with them.
        stale = {"version": 7, "status": "resolved", "note": "done"}
        assert (
            first.put(f"/api/incidents/{incident_id}", json=stale, headers=bob).status_code == 409
        )
        wrong = {"status": "resolved", "description": ""}
        path = f"/api/incidents/{incident_id}/updates"
        assert first.post(path, json=wrong, headers=bob).status_code == 422
        queued = first.get(f"/api/incidents/{incident_id}/deliveries", headers=bob).json()
        assert [(d["event"], d["status"], d["attempts"]) for d in queued["deliveries"]] == [
            ("incident.created", "pending", 0)
        ]
    assert receiver.received == []  # the process ended before any worker ran

    with _app(database_url, clock) as second:
        [got] = receiver.wait_for(1)
        assert (got.json["event"], got.json["incident"]["id"]) == ("incident.created", incident_id)
        wait_for_deliveries(
            second,
            _auth(second, "bob"),
            incident_id,
            lambda b: b["deliveries"][0]["status"] == "sent",
        )


def test_it_takes_over_the_claim_of_a_worker_that_died(
    database_url: str, clock: Clock, receiver: WebhookReceiver
) -> None:
    lease_s = 120.0
    with _app(database_url, clock, notify_worker=False) as first:
        _prepare(first, receiver.url, 1)
        db = first.app.state.db  # type: ignore[attr-defined]
        assert first.portal is not None
        _token, claimed = first.portal.call(outbox.claim, db, clock.now(), lease_s, 10)
        assert len(claimed) == 1  # claimed, then the worker "died" without sending

    with _app(database_url, clock, notify_lease_s=lease_s):
        time.sleep(0.5)
        assert receiver.received == []  # the lease still holds
        clock.advance(seconds=lease_s)
        [got] = receiver.wait_for(1)
        assert got.json["delivery"] == claimed[0].id


def test_two_workers_never_send_one_delivery_twice(
    database_url: str, clock: Clock, receiver: WebhookReceiver
) -> None:
    count = 40
    with _app(database_url, clock, notify_worker=False) as setup:
        _prepare(setup, receiver.url, count)
    receiver.delay_s = 0.02
    with ExitStack() as both:
        for name in ("a", "b"):
            both.enter_context(
                _app(database_url, clock, notify_batch=3, public_url=f"http://worker-{name}.test")
            )
        got = receiver.wait_for(count, timeout=30)
        time.sleep(0.5)  # anything sent twice would arrive meanwhile
    deliveries = [r.json["delivery"] for r in receiver.received]
    assert len(deliveries) == len(set(deliveries)) == count
    senders = {r.json["url"].split("/")[2] for r in got}
    assert senders == {"worker-a.test", "worker-b.test"}, "both workers took part"


def test_a_notify_role_process_delivers_alone(
    database_url: str, clock: Clock, receiver: WebhookReceiver
) -> None:
    with _app(database_url, clock, notify_worker=False) as setup:
        _prepare(setup, receiver.url, 2)
    env = os.environ | {
        "KPIWATCH_DATABASE_URL": database_url,
        "KPIWATCH_LOG_LEVEL": "WARNING",
        "KPIWATCH_NOTIFY_POLL_S": "0.1",
    }
    kpiwatch = str(Path(sys.executable).parent / "kpiwatch")
    worker = subprocess.Popen([kpiwatch, "serve", "--role", "notify"], env=env)
    try:
        got = receiver.wait_for(2, timeout=30)
    finally:
        worker.terminate()
        worker.wait(10)
    assert sorted(r.json["incident"]["title"] for r in got) == ["incident 0", "incident 1"]
