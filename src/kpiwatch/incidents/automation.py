"""Automatic incidents: the monitoring system opens, updates and resolves them.

For each service with ``auto_incidents`` on, ``Automation.evaluate`` compares the watch
slice's stored state (``health.service_health``) with the incident it drives
(``auto_incidents`` row):

- in major or partial outage for ``auto_incident_after_s`` (or ``auto_open_after_s``) and
  no incident driven → open one: reporter "monitoring system", the failing monitors'
  settings as detection criteria, severity critical (major) or medium (partial), priority
  derived (P1 major outage, P3 partial outage);
- out of outage → an update moves it to ``monitoring``; in outage again → a note, and the
  quiet period starts over when it recovers;
- out of outage for ``auto_quiet_s`` after the recovery → an update resolves it.

A person's update or edit takes the incident over (``service._move``): the row goes and
the monitoring system leaves that incident alone. Evaluation reads only stored state, so
it runs in any process; the ``auto_incidents`` primary key makes a second process that
tries to open the same incident roll back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core import audit
from kpiwatch.core.clock import Clock
from kpiwatch.core.context import Caller
from kpiwatch.core.db import Database
from kpiwatch.core.errors import NotFound
from kpiwatch.core.events import EventBus
from kpiwatch.core.models import tenants
from kpiwatch.incidents import events, service
from kpiwatch.incidents.config import IncidentSettings
from kpiwatch.incidents.health import ServiceHealth, service_health
from kpiwatch.incidents.models import auto_incidents, incidents
from kpiwatch.incidents.schemas import IncidentIn, UpdateIn
from kpiwatch.status.models import services
from kpiwatch.status.uptime import iso
from kpiwatch.watch.runner import Runner
from kpiwatch.watch.state import Transition

log = logging.getLogger(__name__)
REPORTER = "monitoring system"
_SEVERITY = {"major_outage": "critical", "partial_outage": "medium"}


@dataclass(frozen=True)
class Watched:
    tenant_id: int
    tenant_slug: str
    service_id: str
    name: str
    after_s: int | None
    incident_id: str | None
    status: str | None
    recovered_at: datetime | None


def _caller(item: Watched, now: datetime) -> Caller:
    return Caller(item.tenant_id, item.tenant_slug, now, name=REPORTER, role="reporter")


class Automation:
    def __init__(
        self, db: Database, bus: EventBus, settings: IncidentSettings, clock: Clock
    ) -> None:
        self.db = db
        self.bus = bus
        self.settings = settings
        self.clock = clock
        self._wake = asyncio.Event()

    def on_stored(self, transitions: list[Transition]) -> None:
        """Runner flush listener: a state change is stored, evaluate without waiting."""
        if transitions:
            self._wake.set()

    async def _watched(self, conn: AsyncConnection) -> list[Watched]:
        rows = await conn.execute(
            select(
                services.c.tenant_id,
                tenants.c.slug,
                services.c.id,
                services.c.name,
                services.c.auto_incident_after_s,
                auto_incidents.c.incident_id,
                incidents.c.status,
                auto_incidents.c.recovered_at,
            )
            .join(tenants, tenants.c.id == services.c.tenant_id)
            .outerjoin(
                auto_incidents,
                (auto_incidents.c.tenant_id == services.c.tenant_id)
                & (auto_incidents.c.service_id == services.c.id),
            )
            .outerjoin(
                incidents,
                (incidents.c.tenant_id == auto_incidents.c.tenant_id)
                & (incidents.c.id == auto_incidents.c.incident_id),
            )
            .where(services.c.auto_incidents.is_(True) | auto_incidents.c.incident_id.isnot(None))
            .order_by(services.c.tenant_id, services.c.id)
        )
        return [Watched(*row) for row in rows]

    async def evaluate(self, now: datetime | None = None) -> list[str]:
        """Act on every watched service once; answers the ids of the incidents touched."""
        at = now or self.clock.now()
        async with self.db.read() as conn:
            watched = await self._watched(conn)
            health: dict[int, dict[str, ServiceHealth]] = {}
            for tenant_id in {w.tenant_id for w in watched}:
                health[tenant_id] = await service_health(conn, tenant_id)
        touched = []
        for item in watched:
            state = health[item.tenant_id].get(item.service_id)
            try:
                incident_id = await self._act(item, state, at)
            except Exception:
                log.exception(
                    "automatic incident of service %r (tenant %d) failed",
                    item.service_id,
                    item.tenant_id,
                )
                continue
            if incident_id is not None:
                touched.append(incident_id)
        return touched

    async def _act(self, item: Watched, state: ServiceHealth | None, now: datetime) -> str | None:
        down = state is not None and state.in_outage
        if item.incident_id is None:
            if not down or state is None or state.outage_since is None:
                return None
            after = item.after_s if item.after_s is not None else self.settings.auto_open_after_s
            if now - state.outage_since < timedelta(seconds=after):
                return None
            return await self._open(item, state, now)
        if down and item.recovered_at is not None:
            assert state is not None
            note = (
                f"{item.name} is in {_words(state.status)} again since {iso(state.outage_since)}."
            )
            return await self._update(item, now, None, note, recovered_at=None)
        if not down and item.recovered_at is None:
            note = (
                f"{item.name} has recovered; the monitoring system watches it for "
                f"{self.settings.auto_quiet_s // 60} min before resolving."
            )
            return await self._update(item, now, "monitoring", note, recovered_at=now)
        quiet = timedelta(seconds=self.settings.auto_quiet_s)
        if not down and item.recovered_at is not None and now - item.recovered_at >= quiet:
            note = f"{item.name} has stayed out of outage since {iso(item.recovered_at)}."
            return await self._update(item, now, "resolved", note, recovered_at=None)
        return None

    async def _open(self, item: Watched, state: ServiceHealth, now: datetime) -> str | None:
        status = _words(state.status)
        body = IncidentIn(
            title=f"{item.name}: {status}",
            description=f"{item.name} has been in {status} since {iso(state.outage_since)}.",
            severity=_SEVERITY[state.status],
            affected_services=[item.service_id],
            reporter=REPORTER,
            detection_criteria=state.criteria,
        )
        try:
            async with self.db.write() as conn:
                incident = await service.create_incident(
                    conn, _caller(item, now), body, automated=True
                )
                await conn.execute(
                    insert(auto_incidents).values(
                        tenant_id=item.tenant_id,
                        service_id=item.service_id,
                        incident_id=incident["id"],
                    )
                )
        except IntegrityError:
            log.info("another process opened the incident of %r first", item.service_id)
            return None
        await events.created(self.bus, item.tenant_id, incident)
        return str(incident["id"])

    async def _update(
        self,
        item: Watched,
        now: datetime,
        status: str | None,
        note: str,
        *,
        recovered_at: datetime | None,
    ) -> str:
        assert item.incident_id is not None
        body = UpdateIn(status=status, description=note)
        where = (auto_incidents.c.tenant_id == item.tenant_id) & (
            auto_incidents.c.service_id == item.service_id
        )
        async with self.db.write() as conn:
            made, incident = await service.post_update(
                conn, _caller(item, now), item.incident_id, body, automated=True
            )
            if status == "resolved":
                await conn.execute(delete(auto_incidents).where(where))
            else:
                await conn.execute(
                    update(auto_incidents).where(where).values(recovered_at=recovered_at)
                )
        await events.updated(self.bus, item.tenant_id, incident, made)
        return item.incident_id

    async def run(self, stop: asyncio.Event) -> None:
        """Evaluate every ``auto_check_s`` and whenever a state change is stored."""
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.evaluate()
            except Exception:
                log.exception("evaluating automatic incidents failed")
            waits = {asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())}
            _done, pending = await asyncio.wait(
                waits, timeout=self.settings.auto_check_s, return_when=asyncio.FIRST_COMPLETED
            )
            for task in pending:
                task.cancel()


async def opt_in(conn: AsyncConnection, tenant_id: int, service_id: str) -> dict[str, Any]:
    """Whether ``service_id`` has automatic incidents, and its own outage time (or None)."""
    row = (
        await conn.execute(
            select(services.c.auto_incidents, services.c.auto_incident_after_s).where(
                services.c.tenant_id == tenant_id, services.c.id == service_id
            )
        )
    ).first()
    if row is None:
        raise NotFound(f"service {service_id!r} not found")
    return {"enabled": bool(row[0]), "after_s": row[1]}


async def set_opt_in(
    conn: AsyncConnection, caller: Caller, service_id: str, enabled: bool, after_s: int | None
) -> dict[str, Any]:
    before = await opt_in(conn, caller.tenant_id, service_id)
    await conn.execute(
        update(services)
        .where(services.c.tenant_id == caller.tenant_id, services.c.id == service_id)
        .values(auto_incidents=enabled, auto_incident_after_s=after_s)
    )
    after = {"enabled": enabled, "after_s": after_s}
    detail = {"from": before, "to": after}
    await audit.record(conn, caller, "service.auto_incidents", "service", service_id, detail)
    return after


def _words(status: str) -> str:
    return status.replace("_", " ")


@asynccontextmanager
async def automating(
    app: Any, runner: Runner | None, enabled: bool
) -> AsyncIterator[Automation | None]:
    """Run the automation for the block's duration when ``enabled`` (the scheduler role)."""
    state = app.state
    automation = Automation(state.db, state.events, state.incident_settings, state.clock)
    state.incident_automation = automation
    if not enabled:
        yield automation
        return
    if runner is not None:
        runner.flush_listeners.append(automation.on_stored)
    stop = asyncio.Event()
    task = asyncio.create_task(automation.run(stop))
    try:
        yield automation
    finally:
        stop.set()
        await task
        if runner is not None:
            runner.flush_listeners.remove(automation.on_stored)
