"""Demo data: an admin, a year of service requests and deployments for five services,
the seven KPI templates (service desk and watch) computed over that year, the services
of ``demo.yaml`` with monitors of the built-in demo target (``demo_target``) and 90 days
of their history (``demo_history``), and 14 days of RAN PM files of a small LTE and NR
network (``demo_ran``) for the ``/ran`` explorer.

Every day's rows (and every period's PM file) come from a generator seeded with that day
(that period), so loading again upserts the same rows and skips the same files (and adds
the days since the last load): the load is idempotent.
"""

from __future__ import annotations

import io
import random
import secrets
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import select

from kpiwatch import demo_ran
from kpiwatch.core import tenancy, users
from kpiwatch.core.config import Settings
from kpiwatch.core.context import Caller
from kpiwatch.core.db import Database
from kpiwatch.core.models import users as users_table
from kpiwatch.core.secrets import stored_secret
from kpiwatch.core.security import verify_password
from kpiwatch.demo_history import DAYS as HISTORY_DAYS
from kpiwatch.demo_history import seed as seed_history
from kpiwatch.ingest import service
from kpiwatch.kpi import calculate, definitions
from kpiwatch.kpi.templates import TEMPLATES
from kpiwatch.status import apply, config_file
from kpiwatch.watch.config import WatchSettings

ADMIN = "admin"
SERVICES = ("mail", "vpn", "erp", "portal", "payments")
CATEGORIES = ("access", "incident", "change", "question")
DAYS = 365


def _requests_of(day: date, zone: ZoneInfo, now: datetime) -> Iterator[dict[str, Any]]:
    for service_name in SERVICES:
        rng = random.Random(f"sr-{day.isoformat()}-{service_name}")
        for n in range(rng.randint(8, 20)):
            created = datetime.combine(day, time(8), zone) + timedelta(minutes=rng.randint(0, 600))
            hours = rng.expovariate(1 / 5)
            resolved = created + timedelta(hours=hours)
            sla_hours = rng.choice((4, 8, 24))
            closed = resolved <= now
            cancelled = closed and rng.random() < 0.04
            row = {
                "id": f"SR-{day:%Y%m%d}-{service_name}-{n:03d}",
                "service": service_name,
                "category": rng.choice(CATEGORIES),
                "priority": rng.choice(("P1", "P2", "P3", "P3", "P4")),
                "status": ("cancelled" if cancelled else "done") if closed else "in_progress",
                "created_at": created.isoformat(),
                "first_response_at": (created + timedelta(minutes=rng.randint(2, 90))).isoformat(),
                "resolved_at": resolved.isoformat() if closed else None,
                "sla_due_at": (created + timedelta(hours=sla_hours)).isoformat(),
                "assignee": f"agent{rng.randint(1, 12)}",
                "reassignment_count": rng.choice((0, 0, 0, 0, 1, 1, 2)),
            }
            if created <= now:  # drawn anyway, so the day's later rows never change
                yield row


def _deployments_of(day: date, zone: ZoneInfo, now: datetime) -> Iterator[dict[str, Any]]:
    for service_name in SERVICES:
        rng = random.Random(f"dep-{day.isoformat()}-{service_name}")
        for n in range(rng.choice((0, 0, 1, 1, 2))):
            started = datetime.combine(day, time(10), zone) + timedelta(minutes=rng.randint(0, 420))
            finished = started + timedelta(minutes=rng.randint(3, 40))
            done = finished <= now
            outcome = rng.choices(("succeeded", "failed", "rolled_back"), (92, 5, 3))[0]
            row = {
                "id": f"DEP-{day:%Y%m%d}-{service_name}-{n}",
                "service": service_name,
                "status": outcome if done else "in_progress",
                "started_at": started.isoformat(),
                "finished_at": finished.isoformat() if done else None,
            }
            if started <= now:
                yield row


def _ndjson(rows: Iterator[dict[str, Any]]) -> io.BytesIO:
    return io.BytesIO(b"".join(orjson.dumps(r) + b"\n" for r in rows))


async def _ensure_admin(db: Database, settings: Settings, now: datetime) -> str:
    password = settings.demo_password or await stored_secret(
        db, "demo_admin_password", secrets.token_urlsafe(12)
    )
    async with db.write() as conn:
        row = (
            await conn.execute(
                select(users_table.c.password_hash).where(users_table.c.username == ADMIN)
            )
        ).first()
        if row is None:
            tenant_id = await tenancy.tenant_id_by_slug(conn, "default")
            await users.insert_user(
                conn,
                tenant_id,
                username=ADMIN,
                password=password,
                role="admin",
                email="admin@example.com",
                now=now,
            )
        elif not verify_password(password, row.password_hash):
            return "(changed since the demo was loaded)"
    return password


async def load(db: Database, settings: Settings, now: datetime | None = None) -> tuple[str, str]:
    """Load the demo data; returns the demo admin's username and password."""
    now = now or datetime.now(UTC)
    password = await _ensure_admin(db, settings, now)
    async with db.read() as conn:
        tenant_id = await tenancy.tenant_id_by_slug(conn, "default")
        zone = ZoneInfo((await tenancy.get_tenant(conn, tenant_id))["timezone"])
    caller = Caller(tenant_id, "default", now, name="demo")
    today = now.astimezone(zone).date()
    days = [today - timedelta(days=d) for d in range(DAYS, -1, -1)]
    for dataset, rows_of in (
        ("service_requests", _requests_of),
        ("deployments", _deployments_of),
    ):
        body = _ndjson(row for day in days for row in rows_of(day, zone, now))
        await service.ingest(db, caller, dataset, body, "ndjson")
    await _kpis(db, caller, days[0], today)
    await load_monitors(db, caller, target_url(settings))
    await demo_ran.load(db, caller, zone)
    return ADMIN, password


def target_url(settings: Settings) -> str:
    """Where this server answers as the demo services (``/demo-target``)."""
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{settings.port}/demo-target"


async def load_monitors(
    db: Database,
    caller: Caller,
    target: str,
    watch: WatchSettings | None = None,
    history_days: int = HISTORY_DAYS,
) -> list[apply.Change]:
    """Apply ``demo.yaml`` (idempotent) and replay the history of new demo monitors."""
    watch = watch or WatchSettings()
    text = resources.files("kpiwatch").joinpath("demo.yaml").read_text(encoding="utf-8")
    plan = config_file.read(text, watch, {"DEMO_TARGET": target})
    changes = await apply.apply_file(db, caller, plan, watch)
    await seed_history(db, watch, caller.now, history_days)
    return changes


async def _kpis(db: Database, caller: Caller, first: date, last: date) -> None:
    """The templates (service desk and watch), computed over the whole demo year."""
    async with db.write() as conn:
        await definitions.apply_templates(conn, caller, list(TEMPLATES))
    async with db.read() as conn:
        kpis = await definitions.list_all(conn, caller.tenant_id)
    for kpi in kpis:
        await calculate.calculate(db, kpi, first, last, caller.now)
