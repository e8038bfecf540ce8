"""`kpiwatch apply -f`: creates, then finds nothing to change, then updates what differs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import select

from kpiwatch.core.models import audit_log
from kpiwatch.status.models import maintenance_windows, services
from kpiwatch.watch.models import monitors

if TYPE_CHECKING:
    from conftest import Invoke, Rows

FILE = """
services:
  - id: mail
    name: Mail
    group: Office
    order: 1
    monitors:
      - name: web
        type: http
        url: https://mail.example.com/health
        conditions: ["[STATUS] == 200", "[BODY].data.ok == true"]
      - name: smtp
        type: tcp
        host: mail.example.com
        port: 25
  - id: vpn
    name: VPN
    monitors:
      - name: gateway
        type: http
        url: https://vpn.example.com/
        interval_s: 30
maintenance:
  - title: Mail upgrade
    service_ids: [mail]
    starts_at: 2026-03-07T01:00:00+09:00
    ends_at: 2026-03-07T03:00:00+09:00
"""


def test_it_applies_a_file_once_and_then_finds_nothing_to_change(
    kpiwatch: Invoke, rows: Rows, write_file: Callable[[str], str]
) -> None:
    path = write_file(FILE)
    code, output = kpiwatch("apply", "-f", path)
    assert code == 0, output
    assert output.splitlines() == [
        "created service mail",
        "created service vpn",
        "created monitor mail/web",
        "created monitor mail/smtp",
        "created monitor vpn/gateway",
        "created maintenance 'Mail upgrade'",
        "6 change(s)",
    ]
    found = rows(select(monitors.c.service_id, monitors.c.name, monitors.c.conditions))
    assert sorted((m["service_id"], m["name"], m["conditions"]) for m in found) == [
        ("mail", "smtp", []),
        ("mail", "web", ["[STATUS] == 200", "[BODY].data.ok == true"]),
        ("vpn", "gateway", []),
    ]
    audited = rows(select(audit_log.c.username, audit_log.c.action).order_by(audit_log.c.id))
    assert [a["action"] for a in audited if a["username"] == "cli"] == [
        "service.create",
        "service.create",
        "monitor.create",
        "monitor.create",
        "monitor.create",
        "maintenance.create",
    ]

    assert kpiwatch("apply", "-f", path) == (0, "nothing to change\n")
    assert len(rows(select(audit_log.c.id))) == len(audited)


def test_it_updates_only_what_differs(
    kpiwatch: Invoke, rows: Rows, write_file: Callable[[str], str]
) -> None:
    kpiwatch("apply", "-f", write_file(FILE))
    changed = (
        FILE.replace("interval_s: 30", "interval_s: 45")
        .replace("name: VPN", "name: VPN gateway")
        .replace("03:00:00+09:00", "04:00:00+09:00")
    )
    code, output = kpiwatch("apply", "-f", write_file(changed))
    assert code == 0, output
    assert output.splitlines() == [
        "updated service vpn (name)",
        "updated monitor vpn/gateway (interval_s)",
        "updated maintenance 'Mail upgrade' (ends_at)",
        "3 change(s)",
    ]
    assert rows(select(services.c.name).where(services.c.id == "vpn")) == [{"name": "VPN gateway"}]
    [window] = rows(select(maintenance_windows.c.ends_at))
    assert window["ends_at"].isoformat() == "2026-03-06T19:00:00+00:00"
    code, output = kpiwatch("apply", "-f", write_file(changed), "--dry-run")
    assert output == "nothing to change\n"
