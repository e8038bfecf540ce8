"""npm's socket.io-client, joined to ``system-status``, hears a scripted outage within 2 s."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def _event(name: str, service: str, *statuses: str) -> Callable[[dict[str, Any]], bool]:
    return lambda line: (
        line["event"] == name
        and line["data"]["serviceId"] == service
        and line["data"]["status"] in statuses
    )


def test_it_sends_status_update_within_2_s_of_an_outage(
    live_servers: Any, loopback_target: Any, node_client: Any
) -> None:
    server = live_servers()
    server.add_service("id-recognition", loopback_target.url)
    server.wait_for_status("id-recognition", "operational")
    client = node_client(server.url, "system-status", "uptime")
    client.joined("system-status", "uptime")

    loopback_target.mode = "error"
    outage_at = time.monotonic()
    arrived, line = client.wait_for(_event("status-update", "id-recognition", "major_outage"))
    assert arrived - outage_at < 2.0, f"status-update after {arrived - outage_at:.2f} s"
    assert line["data"]["timestamp"].endswith("Z")
    # Today's bar turns to an outage code once the batch with the downtime is stored.
    client.wait_for(_event("uptime-updated", "id-recognition", "po", "mo"), timeout=5)

    loopback_target.mode = "up"
    recovered_at = time.monotonic()
    arrived, _ = client.wait_for(_event("status-update", "id-recognition", "operational"))
    assert arrived - recovered_at < 2.0
    statuses = [e["status"] for e in client.events("status-update")]
    assert statuses == ["major_outage", "operational"]


def test_it_keeps_each_tenant_in_its_own_rooms(
    live_servers: Any, loopback_target: Any, node_client: Any
) -> None:
    server = live_servers()
    server.add_service("api", loopback_target.url)
    server.wait_for_status("api", "operational")
    own = node_client(server.url, "system-status")
    other = node_client(server.url, "--tenant", "acme", "system-status")
    own.joined("system-status")
    other.joined("system-status")

    loopback_target.mode = "error"
    own.wait_for(_event("status-update", "api", "major_outage"))
    time.sleep(0.5)
    assert other.events("status-update") == []


def test_it_refuses_unknown_rooms_tenants_and_tokens(live_servers: Any, node_client: Any) -> None:
    server = live_servers(KPIWATCH_WATCH_ENABLED="false")
    client = node_client(server.url, "no-such-room")
    _, line = client.wait_for(lambda x: x["event"] == "joined")
    assert line["answer"] == {
        "ok": False,
        "room": "no-such-room",
        "error": "unknown room 'no-such-room'",
    }

    stranger = node_client(server.url, "--tenant", "nobody", "system-status")
    _, line = stranger.wait_for(lambda x: x["event"] == "connect_error")
    assert line["message"] == "tenant 'nobody' not found"

    forged = node_client(server.url, "--token", "not-a-token", "system-status")
    _, line = forged.wait_for(lambda x: x["event"] == "connect_error")
    assert "token" in line["message"].lower()
