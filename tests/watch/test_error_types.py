from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from kpiwatch.watch.target import Target

if TYPE_CHECKING:
    from conftest import Driver


@pytest.mark.parametrize(
    ("mode", "fields", "status", "error_type"),
    [
        ("up", {}, "up", None),
        ("slow", {"degraded_ms": 100}, "degraded", None),
        ("error", {}, "down", "http_error"),
        ("hang", {"timeout_s": 0.3}, "down", "timeout"),
        ("wrong_keyword", {"keyword": "healthy"}, "down", "keyword_mismatch"),
        ("up", {"keyword": "healthy", "keyword_absent": True}, "down", "keyword_mismatch"),
        ("bad_json", {"json_path": "data.ok", "json_expected": "true"}, "down", "json_mismatch"),
        (
            "json_false",
            {"json_path": "$.data.ok", "json_expected": "true"},
            "down",
            "json_mismatch",
        ),
        ("up", {"json_path": "data.ok", "json_expected": "true", "keyword": "healthy"}, "up", None),
    ],
)
def test_it_classifies_what_the_target_answers(
    driver: Driver,
    target: Target,
    make_monitor: Callable[..., dict[str, Any]],
    mode: str,
    fields: dict[str, Any],
    status: str,
    error_type: str | None,
) -> None:
    target.mode = mode
    make_monitor(url=target.url, **fields)
    driver.load()
    [result] = driver.tick(0)
    assert (result.status, result.error_type) == (status, error_type), result.error_message
    if status != "down" or error_type not in ("timeout",):
        assert result.timings is not None and result.timings["total"] > 0


def test_it_classifies_a_closed_port_as_a_connection_error(
    driver: Driver, make_monitor: Callable[..., dict[str, Any]], closed_port: int
) -> None:
    make_monitor(url=f"http://127.0.0.1:{closed_port}/health")
    make_monitor(type="tcp", host="127.0.0.1", port=closed_port, url=None)
    driver.load()
    results = driver.tick(0)
    assert [(r.status, r.error_type) for r in results] == [("down", "connection_error")] * 2


def test_it_classifies_an_unknown_host_as_a_dns_error(
    driver: Driver, make_monitor: Callable[..., dict[str, Any]]
) -> None:
    make_monitor(url="http://kpiwatch-test.invalid/health", timeout_s=3)
    driver.load()
    [result] = driver.tick(0)
    assert (result.status, result.error_type) == ("down", "dns_error")


def test_it_connects_a_tcp_monitor_to_an_open_port(
    driver: Driver, target: Target, make_monitor: Callable[..., dict[str, Any]]
) -> None:
    make_monitor(type="tcp", host="127.0.0.1", port=target.port)
    driver.load()
    [result] = driver.tick(0)
    assert result.status == "up"
    assert result.response_ms is not None
