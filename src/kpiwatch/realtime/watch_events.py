"""Watch → clients: the events the check runner's state changes produce.

- ``status-update {serviceId, status, timestamp}`` (room ``system-status``) as soon as a
  monitor's transition changes its service's status (the worst of its monitors, the rule of
  ``status.uptime.service_status``); ``timestamp`` is when the new status began.
- ``uptime-updated {serviceId, date, status}`` (room ``uptime``) when today's day code
  (``o``, ``po``, ``mo``, ``m``, ``nd``: docs/status.md) of a service changes. It is read from
  the stored rollups after the runner has written the batch, so a client that refetches
  ``/api/uptime`` sees the same code. Read after each write: services with a transition and
  services not operational (their downtime grows check by check and may cross the 95 %
  line); every ``FULL_REFRESH_S``: all of them (a new day).
- ``sla-metrics-updated {serviceId, metrics}`` (room ``system-status``) with today's
  availability of a service whose status changed.

Every event goes through ``publish``, the one function that picks its tenant's room.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from kpiwatch.core.clock import Clock
from kpiwatch.core.db import Database
from kpiwatch.core.events import EventBus
from kpiwatch.realtime.rooms import SYSTEM_STATUS, UPTIME, room_key
from kpiwatch.status.uptime import daily_figures, iso, service_status
from kpiwatch.watch.runner import Runner
from kpiwatch.watch.spec import MonitorSpec
from kpiwatch.watch.state import Transition

log = logging.getLogger(__name__)
FULL_REFRESH_S = 60.0
EVENT_ROOMS = {
    "status-update": SYSTEM_STATUS,
    "uptime-updated": UPTIME,
    "sla-metrics-updated": SYSTEM_STATUS,
}
ServiceKey = tuple[int, str]


async def publish(bus: EventBus, tenant_id: int, event: str, data: dict[str, Any]) -> None:
    """Publish a watch event to its room of ``tenant_id`` (``EVENT_ROOMS``)."""
    await bus.publish(event, data, room=room_key(tenant_id, EVENT_ROOMS[event]))


class WatchEvents:
    """Listens to a ``Runner`` and publishes on ``bus``; ``close()`` drains what is queued."""

    def __init__(self, runner: Runner, bus: EventBus, db: Database, clock: Clock) -> None:
        self.runner = runner
        self.bus = bus
        self.db = db
        self.clock = clock
        self._queue: asyncio.Queue[tuple[str, Any] | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._specs: dict[int, MonitorSpec] | None = None
        self._by_service: dict[ServiceKey, list[int]] = {}
        self._codes: dict[ServiceKey, tuple[str, str]] = {}
        self._hot: set[ServiceKey] = set()
        self._last_full = 0.0

    def start(self) -> None:
        self.runner.listeners.append(self.on_transitions)
        self.runner.flush_listeners.append(self.on_flushed)
        self._task = asyncio.create_task(self._work())

    async def drained(self) -> None:
        """Return once every queued event is published."""
        await self._queue.join()

    async def close(self) -> None:
        self.runner.listeners.remove(self.on_transitions)
        self.runner.flush_listeners.remove(self.on_flushed)
        if self._task is not None:
            self._queue.put_nowait(None)
            await self._task
            self._task = None

    def _monitors_of(self, key: ServiceKey) -> list[int]:
        if self._specs is not self.runner.specs:  # ``Runner.load`` replaces the dict
            self._specs = self.runner.specs
            self._by_service = defaultdict(list)
            for spec in self._specs.values():
                self._by_service[(spec.tenant_id, spec.service_id)].append(spec.id)
        return self._by_service.get(key, [])

    def on_transitions(self, transitions: list[Transition]) -> None:
        """Runner listener: queue a ``status-update`` for each service whose status moved."""
        touched: dict[ServiceKey, dict[int, Transition]] = defaultdict(dict)
        for t in transitions:
            touched[(t.tenant_id, t.service_id)].setdefault(t.monitor_id, t)
        for key, changed in touched.items():
            ids = self._monitors_of(key)
            now = [self._state(m) for m in ids]
            before = [changed[m].previous if m in changed else self._state(m) for m in ids]
            at = max(t.at for t in changed.values())
            specs = [self.runner.specs[m] for m in ids if m in self.runner.specs]
            under = any(self.runner.in_maintenance(s, at) for s in specs)
            status = service_status(now, under)
            if status in ("operational", "no_data"):
                self._hot.discard(key)
            else:
                self._hot.add(key)
            if status != service_status(before, under):
                self._queue.put_nowait(("status", (key, status, at)))

    def _state(self, monitor_id: int) -> str | None:
        state = self.runner.states.get(monitor_id)
        return state.state if state is not None else None

    def on_flushed(self, transitions: list[Transition]) -> None:
        """Runner flush listener: the batch is stored, today's codes can be read."""
        changed = {(t.tenant_id, t.service_id) for t in transitions if t.changed}
        full = time.monotonic() - self._last_full >= FULL_REFRESH_S
        if full:
            self._last_full = time.monotonic()
        if changed or self._hot or full:
            self._queue.put_nowait(("uptime", (changed, changed | self._hot, full)))

    async def _work(self) -> None:
        while (item := await self._queue.get()) is not None:
            kind, payload = item
            try:
                if kind == "status":
                    await self._publish_status(*payload)
                else:
                    await self._refresh_codes(*payload)
            except Exception:
                log.exception("publishing watch event %s failed", kind)
            finally:
                self._queue.task_done()
        self._queue.task_done()

    async def _publish_status(self, key: ServiceKey, status: str, at: datetime) -> None:
        tenant_id, service_id = key
        data = {"serviceId": service_id, "status": status, "timestamp": iso(at)}
        await publish(self.bus, tenant_id, "status-update", data)

    async def _refresh_codes(
        self, changed: set[ServiceKey], wanted: set[ServiceKey], full: bool
    ) -> None:
        zones: dict[int, ZoneInfo] = {}
        for spec in self.runner.specs.values():
            if full or (spec.tenant_id, spec.service_id) in wanted:
                zones.setdefault(spec.tenant_id, spec.tz)
        now = self.clock.now()
        for tenant_id, zone in zones.items():
            today = now.astimezone(zone).date()
            async with self.db.read() as conn:
                figures = await daily_figures(conn, tenant_id, zone, today, today)
            services = {
                s.service_id for s in self.runner.specs.values() if s.tenant_id == tenant_id
            }
            for service_id in sorted(services):
                key = (tenant_id, service_id)
                if not full and key not in wanted:
                    continue
                day = figures.get(service_id, {}).get(today)
                code = day.code() if day is not None else "nd"
                known = self._codes.get(key)
                self._codes[key] = (today.isoformat(), code)
                if known != (today.isoformat(), code) and (known is not None or key in changed):
                    data = {"serviceId": service_id, "date": today.isoformat(), "status": code}
                    await publish(self.bus, tenant_id, "uptime-updated", data)
                if key in changed and day is not None:
                    metrics: dict[str, Any] = {
                        "date": today.isoformat(),
                        "uptimePercentage": day.uptime(),
                        "downtimeMinutes": round(day.downtime_s / 60, 2),
                        "observedMinutes": round(day.observed_s / 60, 2),
                    }
                    await publish(
                        self.bus,
                        tenant_id,
                        "sla-metrics-updated",
                        {"serviceId": service_id, "metrics": metrics},
                    )


@asynccontextmanager
async def publishing(
    runner: Runner | None, bus: EventBus, db: Database, clock: Clock
) -> AsyncIterator[WatchEvents | None]:
    """Publish ``runner``'s events for the block's duration (nothing when it is None)."""
    if runner is None:
        yield None
        return
    events = WatchEvents(runner, bus, db, clock)
    events.start()
    try:
        yield events
    finally:
        await events.close()
