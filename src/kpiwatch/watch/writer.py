"""Batches of check results and the one transaction that writes them.

A batch holds raw results (bounded: past ``buffer_max`` the oldest are dropped and
counted), rollup deltas, the latest state of each monitor and the timeline transitions.
When a write fails the batch is kept and merged with what arrived meanwhile, so nothing
but raw results beyond the bound is lost while the database is away.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import and_, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core.db import UTCDateTime
from kpiwatch.watch import rollups
from kpiwatch.watch.models import check_results, monitor_state, monitors, status_timeline
from kpiwatch.watch.spec import CheckResult
from kpiwatch.watch.state import MonitorState, Transition

ABNORMAL = ("down", "degraded")


@dataclass
class Batch:
    limit: int
    results: deque[CheckResult] = field(default_factory=deque)
    deltas: dict[rollups.Key, rollups.Delta] = field(default_factory=dict)
    states: dict[int, MonitorState] = field(default_factory=dict)
    transitions: list[Transition] = field(default_factory=list)
    dropped: int = 0

    def add_result(self, result: CheckResult) -> None:
        if len(self.results) >= self.limit:
            self.results.popleft()
            self.dropped += 1
        self.results.append(result)

    def merge_newer(self, newer: Batch) -> None:
        """Append ``newer`` (what arrived while this batch was being written)."""
        for result in newer.results:
            self.add_result(result)
        self.dropped += newer.dropped
        for key, delta in newer.deltas.items():
            if key in self.deltas:
                self.deltas[key].merge(delta)
            else:
                self.deltas[key] = delta
        self.states.update(newer.states)
        self.transitions.extend(newer.transitions)

    def __len__(self) -> int:
        return len(self.results) + len(self.deltas) + len(self.states) + len(self.transitions)


async def write(conn: AsyncConnection, batch: Batch) -> None:
    """Write a batch in the caller's transaction, skipping monitors deleted meanwhile."""
    touched = {r.monitor_id for r in batch.results} | set(batch.states)
    touched |= {key[0] for key in batch.deltas} | {t.monitor_id for t in batch.transitions}
    if not touched:
        return
    alive = set(
        (await conn.execute(select(monitors.c.id).where(monitors.c.id.in_(touched)))).scalars()
    )
    results = [_result_row(r) for r in batch.results if r.monitor_id in alive]
    if results:
        await conn.execute(_results_insert(conn.dialect.name), results)
    await rollups.upsert(conn, {k: d for k, d in batch.deltas.items() if k[0] in alive})
    await _write_transitions(conn, [t for t in batch.transitions if t.monitor_id in alive])
    states = [{"monitor_id": mid, **asdict(st)} for mid, st in batch.states.items() if mid in alive]
    if states:
        await conn.execute(_state_upsert(conn.dialect.name), states)


def _result_row(result: CheckResult) -> dict[str, Any]:
    # Phase timings explain a slow or failed check; on the 48 h of normal results they
    # would be a third of the table.
    return {
        "monitor_id": result.monitor_id,
        "at": result.at,
        "status": result.status,
        "is_success": result.is_success,
        "status_code": result.status_code,
        "response_ms": result.response_ms,
        "error_type": result.error_type,
        "error_message": result.error_message,
        "timings": result.timings if result.status in ABNORMAL else None,
    }


def _insert(dialect: str) -> Any:
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def _results_insert(dialect: str) -> Any:
    """Results are keyed by (monitor, instant). A monitor is checked once per instant, but
    should a clock step back onto an instant already stored, the first result stays: a
    conflict must not fail the batch, which would be retried forever."""
    return _insert(dialect)(check_results).on_conflict_do_nothing(
        index_elements=["monitor_id", "at"]
    )


async def _write_transitions(conn: AsyncConnection, transitions: list[Transition]) -> None:
    """Close each monitor's open timeline row and open the new one, a few statements for
    the whole batch (one per transition was the loop's bottleneck when thousands of
    monitors start at once). Transitions run in rounds where each monitor appears once, so
    a monitor's own transitions keep their order."""
    pending = transitions
    while pending:
        round_: list[Transition] = []
        later: list[Transition] = []
        seen: set[int] = set()
        for t in pending:
            (later if t.monitor_id in seen else round_).append(t)
            seen.add(t.monitor_id)
        await _write_round(conn, round_)
        pending = later


async def _write_round(conn: AsyncConnection, round_: list[Transition]) -> None:
    tl = status_timeline
    open_row = and_(tl.c.monitor_id == bindparam("mid"), tl.c.ended_at.is_(None))
    close = update(tl).where(open_row).values(ended_at=bindparam("end", type_=UTCDateTime))
    ends = [{"mid": t.monitor_id, "end": t.closes_at or t.at} for t in round_]
    await conn.execute(close, ends)
    closing = [{"mid": t.monitor_id} for t in round_ if t.closes_at is not None]
    if closing:
        empty = and_(tl.c.monitor_id == bindparam("mid"), tl.c.ended_at == tl.c.started_at)
        await conn.execute(delete(tl).where(empty), closing)
    rows = [
        {
            "monitor_id": t.monitor_id,
            "state": t.state,
            "started_at": t.at,
            "error_type": t.error_type,
            "message": t.message,
        }
        for t in round_
    ]
    await conn.execute(insert(tl), rows)


def _state_upsert(dialect: str) -> Any:
    stmt = _insert(dialect)(monitor_state)
    columns = [f for f in MonitorState.__dataclass_fields__]
    return stmt.on_conflict_do_update(
        index_elements=["monitor_id"], set_={c: stmt.excluded[c] for c in columns}
    )
