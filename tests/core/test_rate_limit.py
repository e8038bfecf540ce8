"""Failed logins are limited per username and per IP: 5 within 15 minutes, then 429."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from kpiwatch.app import create_app
from kpiwatch.core.clock import Clock
from kpiwatch.core.config import Settings
from kpiwatch.core.db import make_engine
from kpiwatch.core.models import login_failures


def attempt(client: TestClient, username: str, password: str | None = None) -> Response:
    password = password or f"password-{username}"
    return client.post("/api/auth/login", json={"username": username, "password": password})


def fail(client: TestClient, username: str) -> None:
    assert attempt(client, username, "wrong-password").status_code == 401


@contextmanager
def client_at(ip: str, settings: Settings, clock: Clock) -> Iterator[TestClient]:
    """Another app on the same database and clock, whose requests come from ``ip``."""
    with TestClient(create_app(settings, clock), client=(ip, 50000)) as other:
        yield other


def test_it_blocks_a_username_after_5_failures_in_15_minutes(
    client: TestClient, clock: Clock
) -> None:
    for _ in range(5):
        fail(client, "alice")
        clock.advance(minutes=1)
    # Now T0 + 5 min; the oldest failure (T0) leaves the window at T0 + 15 min.
    response = attempt(client, "alice")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "600"
    assert response.json() == {"detail": "too many failed logins; try again later"}

    clock.advance(minutes=9, seconds=59)
    response = attempt(client, "alice", "wrong-password")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"

    clock.advance(seconds=1)
    assert attempt(client, "alice").status_code == 200

    # The success cleared alice's failures: four more (eight in the window) do not block her.
    for _ in range(4):
        fail(client, "alice")
    assert attempt(client, "alice").status_code == 200


def test_it_slides_the_window_over_the_last_5_failures(client: TestClient, clock: Clock) -> None:
    for _ in range(5):
        fail(client, "bob")
        clock.advance(minutes=3)
    # T0 + 15 min: the failure at T0 has left the window, four remain.
    fail(client, "bob")
    # Five again (T0 + 3, 6, 9, 12, 15 min): free once the one at T0 + 3 min leaves.
    response = attempt(client, "bob")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "180"


def test_it_blocks_an_ip_that_guesses_many_usernames(
    client: TestClient, clock: Clock, settings: Settings
) -> None:
    for username in ("bob", "carol", "dave", "erin", "mallory"):
        fail(client, username)
        clock.advance(seconds=30)
    response = attempt(client, "alice")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "750"

    # The limit is on the address: alice can log in from elsewhere.
    with client_at("198.51.100.9", settings, clock) as elsewhere:
        assert attempt(elsewhere, "alice").status_code == 200


def test_it_blocks_a_username_from_every_ip(
    client: TestClient, clock: Clock, settings: Settings
) -> None:
    with client_at("198.51.100.9", settings, clock) as elsewhere:
        for _ in range(5):
            fail(elsewhere, "carol")
        response = attempt(client, "carol")
        assert response.status_code == 429
        assert response.headers["retry-after"] == "900"
        # Other usernames from either address are not affected by carol's count here...
        assert attempt(client, "bob").status_code == 200
        # ...but the address that made 5 failures is blocked for everyone.
        assert attempt(elsewhere, "bob").status_code == 429


def test_it_counts_concurrent_guesses(client: TestClient) -> None:
    # Guesses sent at once must not all pass the check before any is counted.
    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = list(pool.map(lambda _: attempt(client, "alice", "guess").status_code, range(10)))
    assert sorted(codes) == [401] * 5 + [429] * 5


def test_failures_past_the_window_are_pruned(
    client: TestClient, clock: Clock, database_url: str
) -> None:
    """Guesses spread over many usernames don't pile up: each new failure drops the old."""

    async def stored() -> list[str]:
        engine = make_engine(database_url)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(select(login_failures.c.username))
                return sorted(r.username for r in rows)
        finally:
            await engine.dispose()

    for name in ("ghost-1", "ghost-2"):
        fail(client, name)
    clock.advance(minutes=15)
    fail(client, "ghost-3")
    assert asyncio.run(stored()) == ["ghost-3"]
