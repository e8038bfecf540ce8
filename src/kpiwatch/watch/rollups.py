"""Rollups: per monitor and minute / hour / local day, counts by check and seconds by state.

Deltas are summed in memory for a batch, then added to the stored rows with one
``INSERT … ON CONFLICT DO UPDATE SET col = col + excluded.col`` (SQLite and PostgreSQL).

Only monitors checked more often than once a minute get minute rollups: for the others a
minute row would repeat one raw result (kept 48 h anyway) and was most of the database.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.watch.buckets import bucket_start, split
from kpiwatch.watch.models import GRAINS, HIST_BOUNDS_MS, HIST_COLUMNS, check_rollups
from kpiwatch.watch.spec import CheckResult, MonitorSpec
from kpiwatch.watch.state import Span

Key = tuple[int, str, datetime]
MINUTE_GRAIN_BELOW_S = 60.0
COARSE_GRAINS = ("hour", "day")
SUMMED = (
    "checks",
    "ok",
    "degraded",
    "failed",
    "maintenance",
    "observed_s",
    "downtime_s",
    "degraded_s",
    "maintenance_s",
    "timed",
    "sum_ms",
    *HIST_COLUMNS,
)
_SPAN_COLUMNS = {
    "up": ("observed_s",),
    "degraded": ("observed_s", "degraded_s"),
    "down": ("observed_s", "downtime_s"),
    "down_retro": ("downtime_s",),
    "maintenance": ("maintenance_s",),
}
_STATUS_COUNTER = {
    "up": "ok",
    "degraded": "degraded",
    "down": "failed",
    "maintenance": "maintenance",
}


@dataclass
class Delta:
    values: dict[str, float] = field(default_factory=dict)
    min_ms: int | None = None
    max_ms: int | None = None

    def add(self, column: str, amount: float) -> None:
        self.values[column] = self.values.get(column, 0) + amount

    def add_latency(self, ms: int) -> None:
        self.add("timed", 1)
        self.add("sum_ms", ms)
        self.add(hist_column(ms), 1)
        self.min_ms = ms if self.min_ms is None else min(self.min_ms, ms)
        self.max_ms = ms if self.max_ms is None else max(self.max_ms, ms)

    def merge(self, other: Delta) -> None:
        for column, amount in other.values.items():
            self.add(column, amount)
        for ms in (other.min_ms, other.max_ms):
            if ms is not None:
                self.min_ms = ms if self.min_ms is None else min(self.min_ms, ms)
                self.max_ms = ms if self.max_ms is None else max(self.max_ms, ms)


def hist_column(ms: float) -> str:
    return HIST_COLUMNS[bisect_left(HIST_BOUNDS_MS, ms)]


def grains(spec: MonitorSpec) -> tuple[str, ...]:
    """The rollup grains of a monitor: minutes only below a 60 s interval."""
    return GRAINS if spec.interval_s < MINUTE_GRAIN_BELOW_S else COARSE_GRAINS


def _delta(deltas: dict[Key, Delta], key: Key) -> Delta:
    found = deltas.get(key)
    if found is None:
        found = deltas[key] = Delta()
    return found


def add_result(deltas: dict[Key, Delta], spec: MonitorSpec, result: CheckResult) -> None:
    for grain in grains(spec):
        delta = _delta(deltas, (spec.id, grain, bucket_start(grain, result.at, spec.tz)))
        delta.add(_STATUS_COUNTER[result.status], 1)
        if result.status != "maintenance":
            delta.add("checks", 1)
        if result.response_ms is not None:
            delta.add_latency(round(result.response_ms))


def add_spans(deltas: dict[Key, Delta], spec: MonitorSpec, spans: Iterable[Span]) -> None:
    for span in spans:
        columns = _SPAN_COLUMNS[span.kind]
        for grain in grains(spec):
            for start, seconds in split(grain, span.start, span.end, spec.tz):
                delta = _delta(deltas, (spec.id, grain, start))
                for column in columns:
                    delta.add(column, seconds)


async def upsert(conn: AsyncConnection, deltas: Mapping[Key, Delta]) -> None:
    if not deltas:
        return
    rows: list[dict[str, Any]] = []
    for (monitor_id, grain, start), delta in deltas.items():
        row: dict[str, Any] = {c: 0 for c in SUMMED}
        row.update(delta.values)
        for column in SUMMED:
            if column not in ("observed_s", "downtime_s", "degraded_s", "maintenance_s"):
                row[column] = int(row[column])
        row.update(
            monitor_id=monitor_id,
            grain=grain,
            bucket_start=start,
            min_ms=delta.min_ms,
            max_ms=delta.max_ms,
        )
        rows.append(row)
    await conn.execute(_upsert_statement(conn.dialect.name), rows)


def _upsert_statement(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(check_rollups)
    t, new = check_rollups.c, stmt.excluded
    set_: dict[str, Any] = {c: t[c] + new[c] for c in SUMMED}
    set_["min_ms"] = case(
        (new.min_ms.is_(None), t.min_ms),
        (t.min_ms.is_(None), new.min_ms),
        (new.min_ms < t.min_ms, new.min_ms),
        else_=t.min_ms,
    )
    set_["max_ms"] = func.coalesce(
        case((new.max_ms > t.max_ms, new.max_ms), else_=t.max_ms), new.max_ms
    )
    return stmt.on_conflict_do_update(
        index_elements=["monitor_id", "grain", "bucket_start"], set_=set_
    )
