"""What the status board keeps between requests, and for how long.

**The past.** ``HistoryCache`` keeps, per tenant, each service's figures for the days
before today. Those days are final once their last results are stored, so a copy stays
right until one of these happens:

- the local day changes (a new "today": the copy is made again at once);
- a monitor of the tenant is created, deleted or moves to another service (its rollups
  join, leave or change service: the copy is made again at once);
- results of an earlier day arrive late: the checks just after midnight close the last
  span of the day before, a backlog is written when the database returns, an outage
  confirmed after midnight is dated back into the day before. The copy is made again
  when it is ``max_age_s`` old (``KPIWATCH_WATCH_STATUS_CACHE_S``, 60 s), so such a day
  is never shown more than that late.

A copy costs one grouped query over the tenant's day rollups (4,500 rows for 50 services);
with it a board is a few one-row-per-monitor reads.

**The answer.** ``AnswerCache`` keeps, per tenant, the body of ``GET /api/system-status``
made in the current second of the app's clock: the watch server stores what it saw once a
second, so a body is never older than the data's own cadence, and a page polled by many
visitors costs one board per second (docs/status.md, bench/RESULTS.md).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.status.figures import Figures, days_by_service, total

Monitors = tuple[tuple[int, str], ...]
EMPTY = Figures()


@dataclass(frozen=True)
class History:
    """Per service: ``count`` shared, read-only ``Figures``, oldest first (``EMPTY`` where
    nothing was stored), their day codes and their sum."""

    today: date
    monitors: Monitors
    made_at: float
    count: int
    days: dict[str, list[Figures]]
    codes: dict[str, list[str]]
    totals: dict[str, Figures]

    def of(self, service_id: str) -> tuple[list[Figures], list[str], Figures]:
        """A service's days, codes and sum (no data for a service without any)."""
        days = self.days.get(service_id)
        if days is None:
            return [EMPTY] * self.count, [EMPTY.code()] * self.count, EMPTY
        return days, self.codes[service_id], self.totals[service_id]


class HistoryCache:
    """Per tenant, the last ``History`` made, reused while it is right (module docstring).
    ``max_age_s`` 0 makes a new one for every board."""

    def __init__(self, max_age_s: float) -> None:
        self.max_age_s = max_age_s
        self._kept: dict[int, History] = {}

    async def get(
        self,
        conn: AsyncConnection,
        tenant_id: int,
        tz: ZoneInfo,
        today: date,
        days: int,
        monitors: Monitors,
    ) -> History:
        """The ``days`` local days before ``today`` for the tenant's ``monitors``
        ((id, service) pairs, sorted: every monitor, active or not)."""
        kept = self._kept.get(tenant_id)
        now = time.monotonic()
        if (
            kept is not None
            and kept.today == today
            and kept.monitors == monitors
            and now - kept.made_at < self.max_age_s
        ):
            return kept
        made = await make(conn, tenant_id, tz, today, days, monitors, now)
        if self.max_age_s > 0:
            self._kept[tenant_id] = made
        return made


async def make(
    conn: AsyncConnection,
    tenant_id: int,
    tz: ZoneInfo,
    today: date,
    days: int,
    monitors: Monitors,
    made_at: float,
) -> History:
    first, last = today - timedelta(days=days), today - timedelta(days=1)
    found = await days_by_service(conn, tenant_id, tz, first, last)
    per_service = {sid: [d or EMPTY for d in per_day] for sid, per_day in found.items()}
    codes = {sid: [d.code() for d in per_day] for sid, per_day in per_service.items()}
    totals = {sid: total(per_day) for sid, per_day in found.items()}
    return History(today, monitors, made_at, days, per_service, codes, totals)


class AnswerCache:
    """Per key (a tenant), one answer per second of the clock (``max_age_s`` 0: none kept)."""

    def __init__(self, max_age_s: float) -> None:
        self.enabled = max_age_s > 0
        self._kept: dict[Hashable, tuple[int, bytes]] = {}
        self._locks: dict[Hashable, asyncio.Lock] = {}

    def kept(self, key: Hashable, now: datetime) -> bytes | None:
        """The answer made for ``key`` in the second of ``now``, if there is one."""
        found = self._kept.get(key)
        return found[1] if found is not None and found[0] == int(now.timestamp()) else None

    async def get(
        self, key: Hashable, now: datetime, make: Callable[[], Awaitable[bytes]]
    ) -> bytes:
        """The answer for ``key`` in the second of ``now``, made by ``make`` once."""
        if not self.enabled:
            return await make()
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:  # visitors arriving together wait for one board
            kept = self.kept(key, now)
            if kept is None:
                kept = await make()
                self._kept[key] = (int(now.timestamp()), kept)
            return kept
