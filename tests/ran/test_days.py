"""The daily rollups (``ran.days``): day-grain KPIs from ``pm_days`` equal the raw rows'.

Tenant zone America/New_York, local days 2026-03-07 to 03-09; 03-08 is the day clocks go
forward (23 hours, 05:00Z to 04:00Z). ENB7/C1 sends hourly rows with ``.sum`` counters,
ENB7/C2 quarter-hours with subcounters only and its PRB and unavailability counters
unsplit. Worked out by hand, 03-08 (local 23:00 and 23:45 of 03-07 belong to 03-07):

- RRC setup: successes 180 + NIL + (27+9) + (18+0) = 234 of 200+50+(30+10)+(20+NIL) = 310;
  C1's suspect row (9999 attempts) and C2's all-NIL quarter count nowhere.
- PRB DL, time-weighted: (40·3600 + 10·3600 + 60·900 + 80·900) / 9000 = 34.
- availability: 100 · (9000 − 150) / 9000, seconds of C1's two hours and C2's two quarters.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core.db import make_engine
from kpiwatch.core.models import tenants
from kpiwatch.kpi.calculate import tenant_zone
from kpiwatch.kpi.formula import parse
from kpiwatch.kpi.periods import local_midnight
from kpiwatch.ran import counters, days
from kpiwatch.ran.kpis import SeriesPoint, grain_periods, series
from kpiwatch.ran.measurements import MeasBlock
from kpiwatch.ran.models import pm_day_zones, pm_days
from kpiwatch.ran.store import write_blocks

ZONE = "America/New_York"
C1_COUNTERS = (
    "RRC.ConnEstabAtt.sum",
    "RRC.ConnEstabSucc.sum",
    "RRU.PrbTotDl",
    "RRU.CellUnavailableTime.sum",
)
C2_COUNTERS = (
    "RRC.ConnEstabAtt.mo-Data",
    "RRC.ConnEstabAtt.emergency",
    "RRC.ConnEstabSucc.mo-Data",
    "RRC.ConnEstabSucc.emergency",
    "RRU.PrbTotDl",
    "RRU.CellUnavailableTime",
)
KPIS = ["RRC_SETUP_SR", "LTE_PRB_UTIL_DL", "CELL_AVAILABILITY"]
FORMULAS = [
    "count(pm.RRU.PrbTotDl) + seconds(pm.RRU.PrbTotDl)",  # one position: from the days
    "seconds(pm.RRC.ConnEstabAtt.sum)",  # C2's subcounters: from the raw rows
    "max(pm.RRU.PrbTotDl)",  # not in the days: from the raw rows
]
Values = list[float | None]


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def _block(cell: str, start: datetime, values: Values, suspect: bool = False) -> MeasBlock:
    hourly = cell == "C1"
    gran = 3600 if hourly else 900
    return MeasBlock(
        group="RRC",
        ne="ENB7",
        object=f"SubNetwork=1,ManagedElement=ENB7,EUtranCellFDD={cell}",
        cell=cell,
        object_class="EUtranCellFDD",
        period_end=start + timedelta(seconds=gran),
        gran_s=gran,
        counters=C1_COUNTERS if hourly else C2_COUNTERS,
        values=values,
        suspect=suspect,
    )


FIRST = [
    _block("C1", _at(8, 4), [100, 90, 20.5, 0]),  # local 03-07 23:00 (EST)
    _block("C1", _at(8, 5), [200, 180, 40, 60]),  # local 03-08 00:00
    _block("C1", _at(8, 12), [9999, 1, 99, 3600], suspect=True),
    _block("C2", _at(8, 4, 45), [4, 0, 4, 0, 10.5, 0]),  # local 03-07 23:45
    _block("C2", _at(8, 5), [30, 10, 27, 9, 60, 90]),
    _block("C2", _at(8, 5, 15), [20, None, 18, None, 80, 0]),
    _block("C2", _at(9, 3, 45), [None] * 6),  # local 03-08 23:45
]
SECOND = [  # added to C1's stored 03-08, and a new day
    _block("C1", _at(9, 3), [50, None, 10, 0]),  # local 03-08 23:00 (EDT)
    _block("C1", _at(9, 4), [10, 10, 30, 0]),  # local 03-09 00:00
]


async def _day_series(conn: AsyncConnection, per_cell: bool) -> list[SeriesPoint]:
    zone = await tenant_zone(conn, 1)
    start = local_midnight(date(2026, 3, 7), zone)
    end = local_midnight(date(2026, 3, 10), zone)
    return await series(conn, 1, KPIS, start, end, "day", per_cell=per_cell)


async def _formulas(conn: AsyncConnection) -> list[Any]:
    zone = await tenant_zone(conn, 1)
    spans = grain_periods("day", _at(7, 0), _at(11, 0), zone)
    out = []
    for text in FORMULAS:
        rows = await counters.compute_counters(conn, parse(text), 1, spans, ["ne", "cell"])
        out.append([(r.period_start, r.dims, r.value, r.parts) for r in rows])
    return out


async def _both(conn: AsyncConnection) -> tuple[Any, Any]:
    """Everything from the rollups, then from the raw rows (the zone marker removed)."""
    assert await days.complete_zone(conn, 1) is not None
    from_days = [await _day_series(conn, False), await _day_series(conn, True)]
    from_days.append(await _formulas(conn))
    async with conn.begin_nested() as nested:
        await conn.execute(delete(pm_day_zones))
        assert await days.complete_zone(conn, 1) is None
        raw = [await _day_series(conn, False), await _day_series(conn, True)]
        raw.append(await _formulas(conn))
        await nested.rollback()
    return from_days, raw


async def _c1_day(conn: AsyncConnection, day: datetime) -> tuple[Any, ...]:
    d = pm_days.c
    row = (
        await conn.execute(
            select(d.sums, d.counts, d.seconds, d.weighted).where(
                d.object_id == 1, d.day_start == day
            )
        )
    ).one()
    return tuple(row)


async def _run(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    out: dict[str, Any] = {}
    try:
        async with engine.begin() as conn:
            await conn.execute(update(tenants).where(tenants.c.id == 1).values(timezone=ZONE))
            await write_blocks(conn, 1, 1, FIRST)
            await write_blocks(conn, 1, 2, SECOND)
        async with engine.connect() as conn:
            out["first"] = await _both(conn)
            out["points"] = await _day_series(conn, False)
            out["c1_0308"] = await _c1_day(conn, _at(8, 5))
        async with engine.begin() as conn:  # corrections: C1's first hour, C2's quarter suspect
            await write_blocks(conn, 1, 3, [_block("C1", _at(8, 5), [300, 270, 40, 60])])
            await write_blocks(conn, 1, 4, [_block("C2", _at(8, 5), [1, 1, 1, 1, 1, 1], True)])
        async with engine.connect() as conn:
            out["corrected"] = await _both(conn)
            out["c1_0308_corrected"] = await _c1_day(conn, _at(8, 5))
        async with engine.begin() as conn:  # a new zone: raw rows until the next import
            seoul = update(tenants).where(tenants.c.id == 1).values(timezone="Asia/Seoul")
            await conn.execute(seoul)
            out["stale"] = await days.complete_zone(conn, 1)
            await write_blocks(conn, 1, 5, [_block("C1", _at(9, 5), [8, 4, 1, 0])])
        async with engine.connect() as conn:
            out["seoul"] = await _both(conn)
        return out
    finally:
        await engine.dispose()


@pytest.fixture
def rolled(database_url: str) -> dict[str, Any]:
    return asyncio.run(_run(database_url))


def test_it_answers_days_from_the_rollups_as_from_the_raw_rows(rolled: dict[str, Any]) -> None:
    from_days, raw = rolled["first"]
    assert from_days == raw
    rrc, prb, availability = (p for p in rolled["points"] if p.period_start == _at(8, 5))
    assert (rrc.parts["successes"], rrc.parts["trials"]) == (234, 310)
    assert rrc.value == pytest.approx(100 * 234 / 310)
    assert prb.value == 34
    assert availability.value == pytest.approx(100 * 8850 / 9000)
    first_day = [p for p in rolled["points"] if p.kpi == "RRC_SETUP_SR"][0]
    assert (first_day.parts["successes"], first_day.parts["trials"]) == (94, 104)


def test_it_keeps_per_position_totals_of_a_local_day(rolled: dict[str, Any]) -> None:
    sums, count, seconds, weighted = rolled["c1_0308"]
    assert sums == [250, 180, 50, 60]  # the suspect hour left out, NIL successes too
    assert count == [2, 1, 2, 2]
    assert seconds == [7200, 3600, 7200, 7200]
    assert weighted == [900000, 648000, 180000, 216000]


def test_it_counts_a_replaced_row_once(rolled: dict[str, Any]) -> None:
    from_days, raw = rolled["corrected"]
    assert from_days == raw
    assert rolled["c1_0308_corrected"][0] == [350, 270, 50, 60]
    rrc = [p for p in from_days[0] if p.kpi == "RRC_SETUP_SR"][1]
    assert (rrc.parts["successes"], rrc.parts["trials"]) == (270 + 18, 350 + 20)


def test_it_rebuilds_the_days_in_a_new_zone(rolled: dict[str, Any]) -> None:
    assert rolled["stale"] is None
    from_days, raw = rolled["seoul"]
    assert from_days == raw
