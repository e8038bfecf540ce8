"""Fixtures: every test runs on SQLite and on PostgreSQL, each with a database of its own.

A template database is migrated once per run and holds the personas; each test gets a copy
(a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL), so tests can run in
any order. Without PostgreSQL the PostgreSQL half is skipped, unless KPIWATCH_REQUIRE_PG=1.

Personas (password ``password-<name>``): alice (admin), bob (reporter), carol (viewer) in
the ``default`` tenant; dave (admin) and erin (viewer) in tenant ``acme`` (Asia/Seoul).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import bcrypt
import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from kpiwatch.app import create_app
from kpiwatch.core.clock import Clock
from kpiwatch.core.config import Settings
from kpiwatch.core.db import make_engine
from kpiwatch.core.migrate import upgrade
from kpiwatch.core.models import tenants, users

PG_URL = os.environ.get("KPIWATCH_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("KPIWATCH_REQUIRE_PG") == "1"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

PERSONAS = {
    "alice": ("default", "admin"),
    "bob": ("default", "reporter"),
    "carol": ("default", "viewer"),
    "dave": ("acme", "admin"),
    "erin": ("acme", "viewer"),
}


def password_of(name: str) -> str:
    return f"password-{name}"


def _pg_dsn(database: str) -> str:
    base = PG_URL.replace("postgresql+asyncpg://", "postgresql://")
    return base.rsplit("/", 1)[0] + "/" + database


async def _pg_admin(*sql: str) -> None:
    conn = await asyncpg.connect(_pg_dsn("postgres"), timeout=5)
    try:
        for statement in sql:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _prepare(url: str) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
        async with engine.begin() as conn:
            await conn.execute(
                insert(tenants).values(
                    slug="acme", name="Acme", timezone="Asia/Seoul", created_at=T0
                )
            )
            ids = dict((await conn.execute(select(tenants.c.slug, tenants.c.id))).all())
            for name, (tenant, role) in PERSONAS.items():
                hashed = bcrypt.hashpw(password_of(name).encode(), bcrypt.gensalt(4)).decode()
                await conn.execute(
                    insert(users).values(
                        tenant_id=ids[tenant],
                        username=name,
                        email=f"{name}@example.com",
                        password_hash=hashed,
                        role=role,
                        is_active=True,
                        created_at=T0,
                    )
                )
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    asyncio.run(_prepare(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str | None]:
    name = f"kpiwatch_tmpl_{os.getpid()}"
    try:
        asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required (KPIWATCH_REQUIRE_PG=1) but unreachable: {exc}")
        yield None
        return
    asyncio.run(_prepare(PG_URL.rsplit("/", 1)[0] + "/" + name))
    yield name
    asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {name}"))


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no migration run yet) on each backend, for migration tests."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        return
    if request.getfixturevalue("pg_template") is None:
        pytest.skip("PostgreSQL is not reachable")
    name = f"kpiwatch_m_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f"CREATE DATABASE {name}"))
    yield PG_URL.rsplit("/", 1)[0] + "/" + name
    asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    """A fresh, migrated database with the personas, on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "kpiwatch.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    template = request.getfixturevalue("pg_template")
    if template is None:
        pytest.skip("PostgreSQL is not reachable")
    name = f"kpiwatch_t_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f"CREATE DATABASE {name} TEMPLATE {template}"))
    yield PG_URL.rsplit("/", 1)[0] + "/" + name
    asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
def clock() -> Clock:
    fixed = Clock()
    fixed.freeze(T0)
    return fixed


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, secret_key=None, scheduler_enabled=False)


@pytest.fixture
def client(settings: Settings, clock: Clock) -> Iterator[TestClient]:
    app = create_app(settings, clock)
    with TestClient(app, client=("203.0.113.7", 50000)) as test_client:
        yield test_client


def _login(client: TestClient, name: str) -> dict[str, Any]:
    response = client.post(
        "/api/auth/login", json={"username": name, "password": password_of(name)}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def login(client: TestClient) -> Callable[[str], dict[str, Any]]:
    """Log a persona in; returns the login answer (tokens and user)."""
    return lambda name: _login(client, name)


@pytest.fixture
def headers(client: TestClient) -> Callable[[str], dict[str, str]]:
    """Authorization headers with a fresh access token of a persona."""
    return lambda name: {"Authorization": f"Bearer {_login(client, name)['access_token']}"}


class ThreadTarget:
    """The scripted ``Target`` (kpiwatch.watch.target) on a loop of its own thread, for
    servers in other processes; set ``mode`` to script it."""

    def __init__(self) -> None:
        from kpiwatch.watch.target import Target

        self.target = Target()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.target.start(), self.loop).result(10)

    @property
    def url(self) -> str:
        return self.target.url

    @property
    def mode(self) -> str:
        return self.target.mode

    @mode.setter
    def mode(self, value: str) -> None:
        self.target.mode = value

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.target.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def loopback_target() -> Iterator[ThreadTarget]:
    target = ThreadTarget()
    yield target
    target.close()


class LiveServer:
    """`kpiwatch serve` (uvicorn, watch loop on) in a process of its own, on a free port."""

    def __init__(self, database_url: str, folder: Path, env: dict[str, str]) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        self.log_path = folder / f"server-{self.port}.log"
        environment = os.environ | {
            "KPIWATCH_DATABASE_URL": database_url,
            "KPIWATCH_SCHEDULER_ENABLED": "false",
            "KPIWATCH_LOG_LEVEL": "WARNING",
            "KPIWATCH_WATCH_MIN_INTERVAL_S": "1",
            "KPIWATCH_WATCH_RELOAD_S": "0.2",
            **env,
        }
        kpiwatch = str(Path(sys.executable).parent / "kpiwatch")
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [kpiwatch, "serve", "--port", str(self.port)],
            env=environment,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._token: str | None = None
        deadline = time.monotonic() + 60
        while not self._healthy():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(self.log_path.read_text())
            time.sleep(0.1)

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/api/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A request as alice (admin of the default tenant)."""
        if self._token is None:
            login = {"username": "alice", "password": password_of("alice")}
            answer = httpx.post(f"{self.url}/api/auth/login", json=login, timeout=10)
            self._token = answer.json()["access_token"]
        headers = {"Authorization": f"Bearer {self._token}"}
        return httpx.request(method, f"{self.url}{path}", headers=headers, timeout=10, **kwargs)

    def add_service(self, service_id: str, url: str, group: str | None = None) -> None:
        """A service with one http monitor on ``url``: 1 s interval, down at the first failure."""
        body = {"id": service_id, "name": service_id.replace("-", " ").title(), "group": group}
        assert self.api("POST", "/api/services", json=body).status_code == 201
        monitor = {
            "service_id": service_id,
            "name": "health",
            "type": "http",
            "url": url,
            "interval_s": 1,
            "timeout_s": 0.5,
            "failures_before_down": 1,
        }
        created = self.api("POST", "/api/monitors", json=monitor)
        assert created.status_code == 201, created.text

    def wait_for_status(self, service_id: str, status: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while True:
            listed = httpx.get(f"{self.url}/api/system-status", timeout=5).json()["services"]
            if any(s["id"] == service_id and s["status"] == status for s in listed):
                return
            assert time.monotonic() < deadline, f"{service_id} never became {status}: {listed}"
            time.sleep(0.1)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._log.close()


@pytest.fixture
def live_servers(sqlite_template: Path, tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start servers sharing one fresh SQLite copy: ``start(**env)`` → a ``LiveServer``."""
    path = tmp_path / "live.db"
    shutil.copy(sqlite_template, path)
    started: list[LiveServer] = []

    def start(**env: str) -> LiveServer:
        server = LiveServer(f"sqlite+aiosqlite:///{path}", tmp_path, env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()
