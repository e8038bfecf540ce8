"""Reading kpiwatch.yaml: variables, YAML errors and paths, without a database."""

from __future__ import annotations

import pytest

from kpiwatch.core.errors import InvalidInput
from kpiwatch.status.config_file import read
from kpiwatch.watch.config import WatchSettings

SETTINGS = WatchSettings(min_interval_s=10)


def _problems(text: str, variables: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        read(text, SETTINGS, variables)
    assert isinstance(caught.value.detail, list)
    return [f"{e['loc'][0]}: {e['msg']}" for e in caught.value.detail]


def test_it_replaces_variables() -> None:
    text = "services:\n  - id: mail\n    name: ${NAME}\n"
    plan = read(text, SETTINGS, {"NAME": "Mail"})
    assert [s.name for _, s in plan.services] == ["Mail"]
    assert _problems(text, {}) == ["(file): line 3: variable ${NAME} is not set"]


def test_it_reports_yaml_syntax_errors_by_line_and_column() -> None:
    assert _problems("services:\n  - id: mail\n   name: x\n") == [
        "(file): line 3, column 4: expected <block end>, but found '<block mapping start>'"
    ]


def test_it_reports_every_problem_at_its_path() -> None:
    text = """
services:
  - id: Mail Server
    name: Mail
    colour: red
    monitors:
      - {name: web, type: http, url: "https://m.example.com/", service_id: x}
      - {name: web, type: http, url: "ftp://m.example.com/"}
      - {name: web, type: http, url: "https://m.example.com/", timeout_s: -1}
  - id: vpn
    name: VPN
  - id: vpn
    name: VPN again
extra: 1
maintenance:
  - {title: t, starts_at: "2026-03-07T02:00:00Z", ends_at: "2026-03-07T01:00:00Z"}
  - {title: t, starts_at: "2026-03-07 01:00", ends_at: "2026-03-07T02:00:00Z"}
"""
    assert _problems(text) == [
        "extra: unknown key; expected services or maintenance",
        "services[0].id: String should match pattern '^[a-z0-9][a-z0-9-]{0,49}$'",
        "services[0].colour: Extra inputs are not permitted",
        "services[0].monitors[0].service_id: is set by the enclosing service",
        "services[0].monitors[1].url: an http:// or https:// URL is required",
        "services[0].monitors[2].timeout_s: Input should be greater than 0",
        "services[2].id: service 'vpn' is named twice",
        "maintenance[0].ends_at: must be after starts_at",
        "maintenance[1].starts_at: Input should have timezone info",
    ]
