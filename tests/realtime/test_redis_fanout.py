"""Two server processes on one Redis channel: an event of one reaches the other's clients.

Needs Redis on 127.0.0.1:6379 (``KPIWATCH_TEST_REDIS_URL``); skipped without it, unless
KPIWATCH_REQUIRE_REDIS=1.
"""

from __future__ import annotations

import time
import uuid
from typing import Any


def test_it_fans_an_outage_out_to_the_clients_of_another_process(
    redis_url: str, live_servers: Any, loopback_target: Any, node_client: Any
) -> None:
    shared = {"KPIWATCH_REDIS_URL": redis_url, "KPIWATCH_REDIS_CHANNEL": uuid.uuid4().hex}
    watcher = live_servers(**shared)
    api_only = live_servers(KPIWATCH_WATCH_ENABLED="false", **shared)
    watcher.add_service("face-liveness", loopback_target.url)
    watcher.wait_for_status("face-liveness", "operational")
    client = node_client(api_only.url, "system-status")
    client.joined("system-status")

    loopback_target.mode = "error"
    outage_at = time.monotonic()
    arrived, line = client.wait_for(
        lambda x: x["event"] == "status-update" and x["data"]["status"] == "major_outage"
    )
    assert line["data"]["serviceId"] == "face-liveness"
    assert arrived - outage_at < 2.0


def test_it_keeps_processes_on_other_channels_apart(
    redis_url: str, live_servers: Any, loopback_target: Any, node_client: Any
) -> None:
    watcher = live_servers(KPIWATCH_REDIS_URL=redis_url, KPIWATCH_REDIS_CHANNEL=uuid.uuid4().hex)
    elsewhere = live_servers(
        KPIWATCH_WATCH_ENABLED="false",
        KPIWATCH_REDIS_URL=redis_url,
        KPIWATCH_REDIS_CHANNEL=uuid.uuid4().hex,
    )
    watcher.add_service("face-liveness", loopback_target.url)
    watcher.wait_for_status("face-liveness", "operational")
    local = node_client(watcher.url, "system-status")
    remote = node_client(elsewhere.url, "system-status")
    local.joined("system-status")
    remote.joined("system-status")

    loopback_target.mode = "error"
    local.wait_for(lambda x: x["event"] == "status-update")
    time.sleep(0.5)
    assert remote.events("status-update") == []
