"""Realtime fixtures: npm's socket.io-client run by node, printing what it receives.

The client needs node and `npm ci` (``make test`` runs it); without them the tests are
skipped, unless KPIWATCH_REQUIRE_NODE=1. Tests across processes need Redis on
127.0.0.1:6379 (``KPIWATCH_TEST_REDIS_URL``): skipped without it, unless
KPIWATCH_REQUIRE_REDIS=1.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("KPIWATCH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CLIENT = Path(__file__).resolve().parent / "client.mjs"
Line = dict[str, Any]


class NodeClient:
    """``client.mjs`` in a node process; ``wait_for`` reads its JSON lines as they come."""

    def __init__(self, url: str, *args: str) -> None:
        self.process = subprocess.Popen(
            ["node", str(CLIENT), url, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[tuple[float, Line]] = queue.Queue()
        self.seen: list[tuple[float, Line]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for text in self.process.stdout:
            self.lines.put((time.monotonic(), json.loads(text)))

    def wait_for(self, match: Callable[[Line], bool], timeout: float = 10) -> tuple[float, Line]:
        """The first line (with its arrival time) that ``match``es, seen before or within
        ``timeout`` seconds."""
        for arrived, line in self.seen:
            if match(line):
                return arrived, line
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                arrived, line = self.lines.get(timeout=max(left, 0.01))
            except queue.Empty:
                raise AssertionError(
                    f"no matching line within {timeout} s; seen {[s[1] for s in self.seen]}"
                ) from None
            self.seen.append((arrived, line))
            if match(line):
                return arrived, line

    def joined(self, *rooms: str) -> None:
        for room in rooms:

            def answer_to(line: Line, room: str = room) -> bool:
                return bool(line["event"] == "joined" and line["room"] == room)

            _, line = self.wait_for(answer_to)
            assert line["answer"] == {"ok": True, "room": room}, line

    def send(self, event: str, data: Any) -> Line:
        """Emit ``event`` with ``data`` and wait for the server's acknowledgement."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"emit": event, "data": data}) + "\n")
        self.process.stdin.flush()
        _, line = self.wait_for(lambda line: line["event"] == "ack" and line["emit"] == event)
        self.seen.remove(next(s for s in self.seen if s[1] is line))
        answer: Line = line["answer"]
        return answer

    def events(self, name: str) -> list[Any]:
        """The data of every ``name`` event read so far (call ``wait_for`` first)."""
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return [line["data"] for _, line in self.seen if line["event"] == name]

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self._reader.join(5)
        for stream in (self.process.stdout, self.process.stderr):
            assert stream is not None
            stream.close()


@pytest.fixture
def node_client() -> Iterator[Callable[..., NodeClient]]:
    """``connect(url, *args)`` starts a client (args as client.mjs takes them)."""
    missing = None
    if shutil.which("node") is None:
        missing = "node is not installed"
    elif not (ROOT / "node_modules" / "socket.io-client").is_dir():
        missing = "socket.io-client is not installed: run `make vendor` (npm ci)"
    if missing:
        if os.environ.get("KPIWATCH_REQUIRE_NODE") == "1":
            pytest.fail(f"{missing} (KPIWATCH_REQUIRE_NODE=1)")
        pytest.skip(missing)
    clients: list[NodeClient] = []

    def connect(url: str, *args: str) -> NodeClient:
        client = NodeClient(url, *args)
        clients.append(client)
        return client

    yield connect
    for client in clients:
        client.close()


async def _ping() -> None:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
    finally:
        await client.aclose()


@pytest.fixture
def redis_url() -> str:
    try:
        asyncio.run(_ping())
    except (OSError, redis.RedisError) as exc:
        if os.environ.get("KPIWATCH_REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis is required (KPIWATCH_REQUIRE_REDIS=1) but unreachable: {exc}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    return REDIS_URL
