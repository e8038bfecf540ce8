"""``kpiwatch serve --role watch`` checks alone and publishes its events through Redis to
the Socket.IO clients of an api process (``--role api``, here the API with the loop off).

Needs Redis on 127.0.0.1:6379 (``KPIWATCH_TEST_REDIS_URL``); skipped without it, unless
KPIWATCH_REQUIRE_REDIS=1.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

Start = Callable[..., subprocess.Popen[bytes]]


@pytest.fixture
def watch_process(tmp_path: Path) -> Iterator[Start]:
    """``start(database_url, **env)``: a ``kpiwatch serve --role watch`` process."""
    started: list[subprocess.Popen[bytes]] = []

    def start(database_url: str, **env: str) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"watch-{len(started)}.log").open("wb")
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "kpiwatch"), "serve", "--role", "watch"],
            env=os.environ
            | {
                "KPIWATCH_DATABASE_URL": database_url,
                "KPIWATCH_LOG_LEVEL": "WARNING",
                "KPIWATCH_WATCH_MIN_INTERVAL_S": "1",
                "KPIWATCH_WATCH_RELOAD_S": "0.2",
                **env,
            },
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        started.append(process)
        return process

    yield start
    for process in started:
        process.terminate()
        process.wait(10)


def _event(name: str, service: str, *statuses: str) -> Callable[[dict[str, Any]], bool]:
    return lambda line: (
        line["event"] == name
        and line["data"]["serviceId"] == service
        and line["data"]["status"] in statuses
    )


def test_it_reaches_the_clients_of_an_api_process(
    redis_url: str,
    live_servers: Any,
    watch_process: Start,
    loopback_target: Any,
    node_client: Any,
) -> None:
    shared = {"KPIWATCH_REDIS_URL": redis_url, "KPIWATCH_REDIS_CHANNEL": uuid.uuid4().hex}
    api = live_servers(KPIWATCH_WATCH_ENABLED="false", **shared)
    watcher = watch_process(api.database_url, **shared)
    api.add_service("id-recognition", loopback_target.url)
    api.wait_for_status("id-recognition", "operational", timeout=30)  # the process starts
    client = node_client(api.url, "system-status", "uptime")
    client.joined("system-status", "uptime")

    loopback_target.mode = "error"
    outage_at = time.monotonic()
    arrived, line = client.wait_for(_event("status-update", "id-recognition", "major_outage"))
    assert arrived - outage_at < 2.0, f"status-update after {arrived - outage_at:.2f} s"
    assert line["data"]["timestamp"].endswith("Z")
    client.wait_for(_event("uptime-updated", "id-recognition", "po", "mo"), timeout=5)
    _, metrics = client.wait_for(lambda x: x["event"] == "sla-metrics-updated", timeout=5)
    assert metrics["data"]["serviceId"] == "id-recognition"
    assert watcher.poll() is None


def test_it_publishes_nothing_without_redis_and_keeps_checking(
    live_servers: Any, watch_process: Start, loopback_target: Any, node_client: Any
) -> None:
    api = live_servers(KPIWATCH_WATCH_ENABLED="false")
    watch_process(api.database_url)
    api.add_service("id-recognition", loopback_target.url)
    api.wait_for_status("id-recognition", "operational", timeout=30)  # the process starts
    client = node_client(api.url, "system-status")
    client.joined("system-status")
    loopback_target.mode = "error"
    api.wait_for_status("id-recognition", "major_outage")
    time.sleep(0.5)
    assert client.events("status-update") == []
