"""The check runner: one asyncio loop, one aiohttp session, batched writes.

``Runner.tick(now)`` checks every monitor due at ``now`` and writes the batch: tests and
tools drive it with a fixed clock. ``Runner.run()`` is the service loop: monitors are
spread over their interval by a fixed phase (no thundering herd), checks run concurrently,
results are processed as they arrive and written at least every ``flush_interval_s``.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections.abc import Callable, Iterable
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import func, select

from kpiwatch.core.clock import Clock
from kpiwatch.core.db import Database
from kpiwatch.core.models import tenants
from kpiwatch.status.models import maintenance_windows
from kpiwatch.watch import retention, rollups, writer
from kpiwatch.watch.checks import run_check
from kpiwatch.watch.config import WatchSettings
from kpiwatch.watch.lateness import Lateness
from kpiwatch.watch.models import monitor_state, monitors
from kpiwatch.watch.spec import CheckResult, MonitorSpec
from kpiwatch.watch.state import MonitorState, Transition, advance
from kpiwatch.watch.tracing import trace_config

log = logging.getLogger(__name__)
Listener = Callable[[list[Transition]], Any]
_GOLDEN = 0.6180339887498949


def _resolver() -> aiohttp.abc.AbstractResolver:
    try:
        return aiohttp.AsyncResolver()
    except RuntimeError:  # aiodns missing: fall back to the threaded resolver
        return aiohttp.ThreadedResolver()


class Runner:
    def __init__(self, db: Database, settings: WatchSettings, clock: Clock) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.specs: dict[int, MonitorSpec] = {}
        self.states: dict[int, MonitorState] = {}
        self.listeners: list[Listener] = []
        # Called after a batch is stored, with its changed transitions (possibly none).
        self.flush_listeners: list[Listener] = []
        self.batch = writer.Batch(settings.buffer_max)
        self.dropped_total = 0
        self.lateness = Lateness()
        self._windows: list[tuple[int, list[str], datetime, datetime]] = []
        self._due: dict[int, datetime] = {}
        self._busy: set[int] = set()
        self._session: aiohttp.ClientSession | None = None
        self._loaded: tuple[Any, ...] | None = None

    async def __aenter__(self) -> Runner:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(
            limit=self.settings.max_connections,
            ttl_dns_cache=self.settings.dns_cache_s,
            resolver=_resolver(),
        )
        self._session = aiohttp.ClientSession(
            connector=connector, trace_configs=[trace_config()], raise_for_status=False
        )
        await self.load()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def load(self) -> None:
        """Read the coming maintenance windows, and the active monitors with the persisted
        state of those not known yet when the monitors changed since the last load."""
        now = self.clock.now()
        active = monitors.c.active.is_(True)
        async with self.db.read() as conn:
            windows = await conn.execute(
                select(
                    maintenance_windows.c.tenant_id,
                    maintenance_windows.c.service_ids,
                    maintenance_windows.c.starts_at,
                    maintenance_windows.c.ends_at,
                ).where(maintenance_windows.c.ends_at > now)
            )
            self._windows = [(w[0], list(w[1] or []), w[2], w[3]) for w in windows]
            # Re-reading every monitor each few seconds costs seconds of the loop at tens of
            # thousands of monitors; any insert, update, delete or (de)activation moves this.
            marker = tuple(
                (
                    await conn.execute(
                        select(
                            func.count(monitors.c.id),
                            func.max(monitors.c.updated_at),
                            func.sum(monitors.c.id),
                        ).where(active)
                    )
                ).one()
            )
            if marker == self._loaded:
                return
            rows = await conn.execute(
                select(monitors, tenants.c.timezone)
                .join(tenants, tenants.c.id == monitors.c.tenant_id)
                .where(active)
            )
            specs = {
                r.id: MonitorSpec.from_row(dict(r._mapping), ZoneInfo(r.timezone)) for r in rows
            }
            names = [f.name for f in fields(MonitorState)]
            new = [mid for mid in specs if mid not in self.states]
            for start in range(0, len(new), 5000):
                stored = await conn.execute(
                    select(monitor_state).where(
                        monitor_state.c.monitor_id.in_(new[start : start + 5000])
                    )
                )
                for row in stored:
                    self.states[row.monitor_id] = MonitorState(
                        **{n: row._mapping[n] for n in names}
                    )
        self._loaded = marker
        for gone in set(self.specs) - set(specs):
            self.states.pop(gone, None)
            self._due.pop(gone, None)
        for mid, spec in specs.items():
            old = self.specs.get(mid)
            if old is not None and old.interval_s != spec.interval_s:
                self._due.pop(mid, None)
        self.specs = specs

    def in_maintenance(self, spec: MonitorSpec, at: datetime) -> bool:
        return any(
            tenant == spec.tenant_id and (not ids or spec.service_id in ids) and start <= at < end
            for tenant, ids, start, end in self._windows
        )

    async def check(
        self, spec: MonitorSpec, at: datetime, last_push_at: datetime | None
    ) -> CheckResult:
        if self.in_maintenance(spec, at):
            return CheckResult(monitor_id=spec.id, at=at, status="maintenance")
        assert self._session is not None, "start() the runner first"
        return await run_check(self._session, spec, at, self.settings.max_body_bytes, last_push_at)

    def process(self, result: CheckResult) -> list[Transition]:
        """Feed one result through the state machine into the current batch."""
        spec = self.specs.get(result.monitor_id)
        if spec is None:
            return []
        state = self.states.setdefault(spec.id, MonitorState())
        step = advance(spec, state, result)
        if result.status != "maintenance":  # as the rollups' ``checks``
            state.checks_total += 1
        self.batch.add_result(result)
        rollups.add_result(self.batch.deltas, spec, result)
        rollups.add_spans(self.batch.deltas, spec, step.spans)
        self.batch.states[spec.id] = MonitorState(**vars(state))
        self.batch.transitions.extend(step.transitions)
        changed = [t for t in step.transitions if t.changed]
        if changed:
            self._notify(changed)
        return step.transitions

    def _notify(self, transitions: list[Transition]) -> None:
        for listener in self.listeners:
            try:
                listener(transitions)
            except Exception:
                log.exception("status listener failed", extra={"transitions": len(transitions)})

    async def flush(self) -> bool:
        """Write the current batch; on failure keep it for the next attempt."""
        batch, self.batch = self.batch, writer.Batch(self.settings.buffer_max)
        if not len(batch):
            return True
        try:
            async with self.db.write() as conn:
                await writer.write(conn, batch)
        except Exception:
            log.exception("writing %d check results failed; kept for retry", len(batch.results))
            batch.merge_newer(self.batch)
            self.batch = batch
            return False
        if batch.dropped:
            self.dropped_total += batch.dropped
            log.warning(
                "result buffer overflowed: %d raw results dropped (%d in all)",
                batch.dropped,
                self.dropped_total,
            )
        stored = [t for t in batch.transitions if t.changed]
        for listener in self.flush_listeners:
            try:
                listener(stored)
            except Exception:
                log.exception("flush listener failed", extra={"transitions": len(stored)})
        return True

    async def _last_pushes(self, ids: Iterable[int]) -> dict[int, datetime | None]:
        wanted = list(ids)
        if not wanted:
            return {}
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(monitor_state.c.monitor_id, monitor_state.c.last_push_at).where(
                    monitor_state.c.monitor_id.in_(wanted)
                )
            )
            return {r[0]: r[1] for r in rows}

    async def tick(self, now: datetime | None = None) -> list[CheckResult]:
        """Check every monitor due at ``now`` (all of them the first time) and write."""
        at = now or self.clock.now()
        due = [s for s in self.specs.values() if self._due.get(s.id, at) <= at]
        pushes = await self._last_pushes(s.id for s in due if s.type == "push")
        results = await asyncio.gather(*(self.check(s, at, pushes.get(s.id)) for s in due))
        for spec in due:
            self._due[spec.id] = at + timedelta(seconds=spec.interval_s)
        for result in results:
            self.process(result)
        await self.flush()
        return list(results)

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Check monitors on schedule until ``stop`` is set (or the task is cancelled)."""
        stop = stop or asyncio.Event()
        flusher = asyncio.create_task(self._flush_loop(stop))
        in_flight: set[asyncio.Task[None]] = set()
        heap: list[tuple[float, int]] = []
        scheduled: dict[int, float] = {}
        next_reload = next_prune = 0.0
        try:
            while not stop.is_set():
                now = self.clock.now().timestamp()
                if now >= next_prune:
                    # Beside the loop: deleting a day of results takes seconds at scale.
                    next_prune = now + 86400
                    pruning = asyncio.create_task(self._prune())
                    in_flight.add(pruning)
                    pruning.add_done_callback(in_flight.discard)
                if now >= next_reload:
                    await self.load()
                    self._schedule(heap, scheduled, now)
                    next_reload = now + self.settings.reload_s
                while heap and heap[0][0] <= now:
                    due_ts, mid = heapq.heappop(heap)
                    spec = self.specs.get(mid)
                    if spec is None or scheduled.get(mid) != due_ts:
                        continue
                    busy = mid in self._busy
                    following = due_ts + spec.interval_s
                    if following <= now:  # far behind: skip ahead instead of bursting
                        following = now + spec.interval_s
                    scheduled[mid] = following
                    heapq.heappush(heap, (following, mid))
                    if busy:  # the previous check of this monitor has not finished
                        continue
                    task = asyncio.create_task(self._check_one(spec, due_ts))
                    in_flight.add(task)
                    task.add_done_callback(in_flight.discard)
                wake = min(heap[0][0] if heap else now + 1.0, next_reload, now + 1.0)
                try:
                    await asyncio.wait_for(stop.wait(), timeout=max(wake - now, 0.001))
                except TimeoutError:
                    pass
        finally:
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)
            stop.set()
            await flusher
            await self.flush()

    async def _prune(self) -> None:
        try:
            counts = await retention.prune(self.db, self.settings, self.clock.now())
        except Exception:
            log.exception("pruning expired watch data failed; next attempt in a day")
            return
        log.info("pruned expired watch data", extra={"deleted": counts})

    def _schedule(
        self, heap: list[tuple[float, int]], scheduled: dict[int, float], now: float
    ) -> None:
        for mid, spec in self.specs.items():
            if mid in scheduled:
                continue
            phase = (mid * _GOLDEN) % 1.0 * spec.interval_s
            scheduled[mid] = now + phase
            heapq.heappush(heap, (now + phase, mid))
        for mid in set(scheduled) - set(self.specs):
            del scheduled[mid]

    async def _check_one(self, spec: MonitorSpec, due_ts: float) -> None:
        self._busy.add(spec.id)
        try:
            at = self.clock.now()
            self.lateness.add(at.timestamp() - due_ts)
            pushes = await self._last_pushes([spec.id]) if spec.type == "push" else {}
            result = await self.check(spec, at, pushes.get(spec.id))
            self.process(result)
        except Exception:
            log.exception("check of monitor %d failed unexpectedly", spec.id)
        finally:
            self._busy.discard(spec.id)

    async def _flush_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.settings.flush_interval_s)
            except TimeoutError:
                pass
            await self.flush()
