"""`kpiwatch apply` names the YAML path of each problem and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import select

from kpiwatch.status.models import services

if TYPE_CHECKING:
    from conftest import Invoke, Rows

INVALID = """
services:
  - id: mail
    name: Mail
  - id: vpn
    name: VPN
  - id: erp
    name: ERP
    monitors:
      - name: web
        type: http
        url: https://erp.example.com/
        interval_s: 2
        conditions: ["[STATUS] == 200", "[STATUS] =< 200"]
maintenance:
  - title: Patch night
    service_ids: [mail, payroll]
    starts_at: 2026-03-07T01:00:00Z
    ends_at: 2026-03-07T02:00:00Z
"""

CONFLICTING = """
services:
  - id: mail
    name: Mail
    monitors:
      - {name: cron, type: push, push_token: shared-token-0123456789}
  - id: vpn
    name: VPN
    monitors:
      - {name: cron, type: push, push_token: shared-token-0123456789}
"""


def test_it_names_the_yaml_path_of_each_problem(
    kpiwatch: Invoke, rows: Rows, write_file: Callable[[str], str]
) -> None:
    code, output = kpiwatch("apply", "-f", write_file(INVALID))
    assert code == 1
    assert output.startswith("error: services[2].monitors[0].interval_s: must be at least 10.0 s")
    assert "conditions[1]: condition 2 ([STATUS] =< 200), column 10: unexpected '=' after" in (
        " ".join(output.split())
    )
    assert rows(select(services.c.id)) == []

    fixed = INVALID.replace("interval_s: 2", "interval_s: 60").replace("=< 200", "<= 200")
    code, output = kpiwatch("apply", "-f", write_file(fixed))
    assert code == 1
    assert output == "error: maintenance[0].service_ids[1]: no service 'payroll'\n"
    assert rows(select(services.c.id)) == []


def test_it_writes_nothing_when_a_late_step_fails(
    kpiwatch: Invoke, rows: Rows, write_file: Callable[[str], str]
) -> None:
    code, output = kpiwatch("apply", "-f", write_file(CONFLICTING))
    assert (code, output) == (1, "error: that push token is taken\n")
    assert rows(select(services.c.id)) == []
