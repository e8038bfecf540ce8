"""`kpiwatch apply --prune` deletes what the file no longer names; without it nothing goes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import select

from kpiwatch.status.models import maintenance_windows, services
from kpiwatch.watch.models import monitors

if TYPE_CHECKING:
    from conftest import Invoke, Rows

FULL = """
services:
  - id: mail
    name: Mail
    monitors:
      - {name: web, type: http, url: "https://mail.example.com/"}
      - {name: smtp, type: tcp, host: mail.example.com, port: 25}
  - id: vpn
    name: VPN
    monitors:
      - {name: gateway, type: http, url: "https://vpn.example.com/"}
maintenance:
  - {title: Patch night, starts_at: "2026-03-07T01:00:00Z", ends_at: "2026-03-07T02:00:00Z"}
"""
SMALLER = """
services:
  - id: mail
    name: Mail
    monitors:
      - {name: web, type: http, url: "https://mail.example.com/"}
"""


def test_it_prunes_only_when_asked(
    kpiwatch: Invoke, rows: Rows, write_file: Callable[[str], str]
) -> None:
    kpiwatch("apply", "-f", write_file(FULL))
    assert kpiwatch("apply", "-f", write_file(SMALLER)) == (0, "nothing to change\n")
    assert len(rows(select(monitors.c.id))) == 3

    code, output = kpiwatch("apply", "-f", write_file(SMALLER), "--prune", "--dry-run")
    assert output.splitlines()[-1] == "4 change(s) (dry run: nothing written)"
    assert len(rows(select(monitors.c.id))) == 3

    code, output = kpiwatch("apply", "-f", write_file(SMALLER), "--prune")
    assert code == 0, output
    assert output.splitlines() == [
        "deleted monitor mail/smtp",
        "deleted monitor vpn/gateway",
        "deleted maintenance 'Patch night'",
        "deleted service vpn",
        "4 change(s)",
    ]
    assert rows(select(services.c.id)) == [{"id": "mail"}]
    assert rows(select(monitors.c.name)) == [{"name": "web"}]
    assert rows(select(maintenance_windows.c.id)) == []
