"""`kpiwatch user create` and `kpiwatch tenant create`, then logging in through the API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kpiwatch.cli import app
from kpiwatch.core.config import get_settings

Invoke = Callable[..., tuple[int, str]]
Entries = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def kpiwatch(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    """Run the ``kpiwatch`` command on the test database: (exit code, output on one line)."""
    monkeypatch.setenv("KPIWATCH_DATABASE_URL", database_url)
    get_settings.cache_clear()
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, list(args))
        return result.exit_code, " ".join(result.output.replace("│", " ").split())

    yield invoke
    get_settings.cache_clear()


def log_in(client: TestClient, username: str, password: str) -> Any:
    return client.post("/api/auth/login", json={"username": username, "password": password})


def test_it_creates_a_user_who_logs_in(
    client: TestClient, kpiwatch: Invoke, audit_entries: Entries
) -> None:
    code, output = kpiwatch(
        "user", "create", "--username", "root", "--password", "s3cret-pass", "--role", "admin"
    )
    assert code == 0, output
    assert output == "created user root (id 6, admin) in tenant default"
    response = log_in(client, "root", "s3cret-pass")
    assert response.status_code == 200
    assert response.json()["user"] | {"created_at": None} == {
        "id": 6,
        "username": "root",
        "email": None,
        "role": "admin",
        "is_active": True,
        "created_at": None,
        "last_login_at": "2026-03-02T09:00:00Z",
    }
    auth = {"Authorization": f"Bearer {response.json()['access_token']}"}
    assert client.get("/api/users", headers=auth).status_code == 200
    created = audit_entries()[0]
    assert created.pop("at").tzinfo is not None
    assert created == {
        "tenant": "default",
        "action": "user.create",
        "entity": "user",
        "entity_id": "6",
        "user_id": None,
        "username": "cli",
        "detail": {"username": "root", "role": "admin"},
        "ip": None,
    }

    code, output = kpiwatch(
        "user",
        "create",
        "--username",
        "kim",
        "--password",
        "s3cret-pass",
        "--role",
        "reporter",
        "--tenant",
        "acme",
        "--email",
        "kim@acme.example",
    )
    assert code == 0, output
    assert output == "created user kim (id 7, reporter) in tenant acme"
    token = log_in(client, "kim", "s3cret-pass").json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/tenant", headers=auth).json()["slug"] == "acme"
    assert client.get("/api/auth/me", headers=auth).json()["email"] == "kim@acme.example"


def test_it_refuses_a_bad_user(
    client: TestClient, kpiwatch: Invoke, audit_entries: Entries
) -> None:
    base = ("user", "create", "--password", "s3cret-pass")
    cases = [
        (
            (*base, "--username", "eve", "--role", "root"),
            2,
            "Invalid value for --role: must be viewer, reporter or admin",
        ),
        (
            ("user", "create", "--username", "eve", "--password", "short"),
            2,
            "Invalid value for --password: must be at least 8 characters",
        ),
        ((*base, "--username", "alice"), 1, "error: username 'alice' is taken"),
        ((*base, "--username", "eve", "--tenant", "nope"), 1, "error: tenant 'nope' not found"),
        ((*base, "--username", "e v"), 1, "error: username: 3 to 64 letters, digits or _ . @ -"),
    ]
    for args, expected_code, message in cases:
        code, output = kpiwatch(*args)
        assert code == expected_code, output
        assert message in output, output
    assert log_in(client, "eve", "s3cret-pass").status_code == 401
    assert [e["action"] for e in audit_entries()] == ["auth.login_failed"]


def test_it_creates_a_tenant(client: TestClient, kpiwatch: Invoke, audit_entries: Entries) -> None:
    code, output = kpiwatch(
        "tenant", "create", "--slug", "seoul", "--name", "Seoul Ops", "--timezone", "Asia/Seoul"
    )
    assert code == 0, output
    assert output == "created tenant seoul (Asia/Seoul)"
    assert client.get("/api/tenant?tenant=seoul").json() == {
        "slug": "seoul",
        "name": "Seoul Ops",
        "timezone": "Asia/Seoul",
    }
    code, output = kpiwatch(
        "user",
        "create",
        "--username",
        "min",
        "--password",
        "s3cret-pass",
        "--role",
        "admin",
        "--tenant",
        "seoul",
    )
    assert code == 0, output
    token = log_in(client, "min", "s3cret-pass").json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert [u["username"] for u in client.get("/api/users", headers=auth).json()] == ["min"]


def test_it_refuses_a_bad_tenant(
    client: TestClient, kpiwatch: Invoke, audit_entries: Entries
) -> None:
    cases = [
        (
            ("--slug", "mars", "--name", "Mars", "--timezone", "Mars/Olympus"),
            "error: timezone: unknown time zone 'Mars/Olympus': use an IANA name such as "
            "'Asia/Seoul'",
        ),
        (
            ("--slug", "Bad Slug", "--name", "Bad"),
            "error: slug: lowercase letters, digits and '-' only",
        ),
        (
            ("--slug", "mars\n", "--name", "Mars"),
            "error: slug: lowercase letters, digits and '-' only",
        ),
        (("--slug", "acme", "--name", "Acme again"), "error: tenant 'acme' exists"),
    ]
    for args, message in cases:
        code, output = kpiwatch("tenant", "create", *args)
        assert code == 1, output
        assert output == message
    assert client.get("/api/tenant?tenant=mars").status_code == 404
    assert client.get("/api/tenant?tenant=acme").json()["name"] == "Acme"
    assert audit_entries() == []
