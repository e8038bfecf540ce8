from __future__ import annotations

import logging
from collections.abc import Callable

import orjson
import pytest
from fastapi.testclient import TestClient

from kpiwatch.core.logs import JsonFormatter


def test_it_logs_one_json_line_per_request_without_secrets(
    client: TestClient, headers: Callable[[str], dict[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    auth = headers("alice")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="kpiwatch.request"):
        client.get("/api/users?secret=shh", headers=auth)
    (record,) = [r for r in caplog.records if r.name == "kpiwatch.request"]
    line = orjson.loads(JsonFormatter().format(record))
    assert line["msg"] == "request"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/api/users", 200)
    assert isinstance(line["ms"], float)
    text = JsonFormatter().format(record)
    assert "shh" not in text
    assert auth["Authorization"].split()[1] not in text


def test_it_never_logs_a_password(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        client.post("/api/auth/login", json={"username": "alice", "password": "hunter2-wrong"})
    assert all("hunter2" not in JsonFormatter().format(r) for r in caplog.records)
