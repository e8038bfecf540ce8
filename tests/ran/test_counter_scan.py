"""One cell's counters by one range scan (``ran.counter_scan``) equal the grouped SQL's.

Tenant zone America/New_York; local days 2026-03-07 to 03-09 (03-08 has 23 hours: clocks go
forward at 07:00Z) and 2026-10-31 to 11-01 (11-01 has 25 hours: local 01:00 comes twice,
05:00Z and 06:00Z). ENB7/C1 reports three counter lists: ``A`` hourly with ``.sum``
counters and a PRB counter, ``B`` in quarter-hours with the RRC counters split only
(``.sum`` missing) and its unavailability unsplit, ``C`` a PRB list in quarter-hours; with
suspect rows, NIL values and a row of NILs only. ENB7/C2 sends the same lists at the same
times (never counted for C1); ENB8/C3 reports ``A`` but nothing in either range. Worked
out by hand (every value a whole number or a half, so sums are exact in any order):

- the hour 13:00Z of 03-08: RRC successes (27+9) + 18 = 54 of attempts (30+10) + 20 = 60
  (13:30 all NIL, 13:45 suspect); unavailable 90 + 0 s of the 1,800 s with a value;
- the hour 12:00Z: PRB DL (40·3600 + 10.5·900 + 80·900) / 5400 = 41.75;
- the hour 07:00Z has only a suspect row: no data; 06:00Z has NIL attempts: no value.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core.db import make_engine
from kpiwatch.core.models import tenants
from kpiwatch.kpi.formula import parse
from kpiwatch.kpi.periods import local_midnight
from kpiwatch.ran import counters
from kpiwatch.ran.kpis import RAN_KPIS, grain_periods
from kpiwatch.ran.measurements import MeasBlock
from kpiwatch.ran.models import pm_objects
from kpiwatch.ran.store import write_blocks

ZONE = "America/New_York"
LISTS = {
    "A": (
        "RRC",
        3600,
        (
            "RRC.ConnEstabAtt.sum",
            "RRC.ConnEstabSucc.sum",
            "RRU.CellUnavailableTime.sum",
            "RRU.PrbTotDl",
        ),
    ),
    "B": (
        "RRC",
        900,
        (
            "RRC.ConnEstabAtt.mo-Data",
            "RRC.ConnEstabAtt.emergency",
            "RRC.ConnEstabSucc.mo-Data",
            "RRC.ConnEstabSucc.emergency",
            "RRU.CellUnavailableTime",
        ),
    ),
    "C": ("PRB", 900, ("RRU.PrbTotDl", "RRU.PrbTotUl")),
}
FORMULAS = [
    RAN_KPIS["RRC_SETUP_SR"].formula,
    RAN_KPIS["LTE_PRB_UTIL_DL"].formula,
    RAN_KPIS["CELL_AVAILABILITY"].formula,
    "sum(pm.RRC.ConnEstabAtt.sum) + count(pm.RRC.ConnEstabAtt.sum)"
    " + seconds(pm.RRC.ConnEstabAtt.sum) + min(pm.RRC.ConnEstabAtt.sum)"
    " + max(pm.RRC.ConnEstabAtt.sum) + avg(pm.RRC.ConnEstabAtt.sum)",
    "min(pm.RRU.PrbTotDl) - max(pm.RRU.PrbTotDl) + count(pm.RRU.PrbTotDl)"
    " + seconds(pm.RRU.PrbTotUl) + sum(pm.Nobody.Reports)",
]
Values = list[float | None]


def _at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _block(
    cell: str, kind: str, start: datetime, values: Values, suspect: bool = False
) -> MeasBlock:
    group, gran, names = LISTS[kind]
    ne = "ENB8" if cell == "C3" else "ENB7"
    return MeasBlock(
        group=group,
        ne=ne,
        object=f"SubNetwork=1,ManagedElement={ne},EUtranCellFDD={cell}",
        cell=cell,
        object_class="EUtranCellFDD",
        period_end=start + timedelta(seconds=gran),
        gran_s=gran,
        counters=names,
        values=values,
        suspect=suspect,
    )


C1 = [
    _block("C1", "A", _at(3, 8, 4), [100, 90, 0, 20.5]),  # local 03-07 23:00
    _block("C1", "A", _at(3, 8, 5), [200, 180, 60, 30]),
    _block("C1", "A", _at(3, 8, 6), [None, 50, 0, None]),
    _block("C1", "A", _at(3, 8, 7), [9999, 1, 3600, 99], suspect=True),
    _block("C1", "A", _at(3, 8, 12), [40, None, None, 40]),
    _block("C1", "C", _at(3, 8, 12), [10.5, 7]),
    _block("C1", "C", _at(3, 8, 12, 15), [80, None]),
    _block("C1", "C", _at(3, 8, 12, 30), [None, None]),
    _block("C1", "B", _at(3, 8, 13), [30, 10, 27, 9, 90]),
    _block("C1", "B", _at(3, 8, 13, 15), [20, None, 18, None, 0]),
    _block("C1", "B", _at(3, 8, 13, 30), [None] * 5),
    _block("C1", "B", _at(3, 8, 13, 45), [5, 5, 5, 5, 0], suspect=True),
    _block("C1", "B", _at(3, 9, 3, 45), [1, 1, 1, 0, 0]),  # local 03-08 23:45
    _block("C1", "B", _at(3, 9, 4), [2, 2, 2, 2, 0]),  # local 03-09 00:00
    _block("C1", "C", _at(3, 9, 4), [12.5, 3]),
    _block("C1", "A", _at(11, 1, 4), [10, 9, 0, 50]),  # local 11-01 00:00 (EDT)
    _block("C1", "A", _at(11, 1, 5), [20, 18, 30, 60]),  # 01:00 EDT
    _block("C1", "A", _at(11, 1, 6), [40, 36, 0, 70]),  # 01:00 EST
    _block("C1", "B", _at(11, 1, 5, 15), [3, 1, 2, 1, 15]),
    _block("C1", "B", _at(11, 1, 6, 15), [4, None, 4, None, None]),
    _block("C1", "C", _at(11, 1, 5, 45), [90.5, 1]),
    _block("C1", "C", _at(11, 1, 6), [None, 2]),
    _block("C1", "A", _at(11, 2, 3, 30), [7, 7, 0, 1]),  # local 11-01 22:30
]
NEIGHBOURS = [
    _block("C2", "A", _at(3, 8, 5), [1000, 1, 0, 99]),
    _block("C2", "B", _at(3, 8, 13), [1000, 0, 1, 0, 900]),
    _block("C2", "C", _at(11, 1, 6), [99, 99]),
    _block("C3", "A", _at(3, 1, 5), [5, 5, 0, 5]),
]


def _spans(first: date, last: date) -> dict[str, list[tuple[datetime, datetime]]]:
    start = local_midnight(first, ZONE)
    end = local_midnight(last + timedelta(days=1), ZONE)
    return {g: grain_periods(g, start, end, ZoneInfo(ZONE)) for g in ("15min", "hour", "day")}


SPRING = _spans(date(2026, 3, 7), date(2026, 3, 9))
FALL = _spans(date(2026, 10, 31), date(2026, 11, 1))
GAPS = [  # uneven periods with rows between them
    (_at(3, 8, 4), _at(3, 8, 6)),
    (_at(3, 8, 12, 15), _at(3, 8, 13, 30)),
    (_at(3, 9, 3, 45), _at(3, 9, 4)),
]
PERIODS = {
    **{f"spring {g}": spans for g, spans in SPRING.items()},
    **{f"fall {g}": spans for g, spans in FALL.items()},
    "gaps": GAPS,
}


async def _both_ways(conn: AsyncConnection) -> dict[Any, Any]:
    """Every formula, set of periods, grouping and cell: (scanned, grouped) rows; and
    what a scan of two cells says."""
    ids = dict((await conn.execute(select(pm_objects.c.cell, pm_objects.c.id))).all())
    out: dict[Any, Any] = {}
    for text in FORMULAS:
        formula = parse(text)
        for label, spans in PERIODS.items():
            for dims in ([], ["ne", "cell"]):
                for cell in ("C1", "C3"):
                    out[text, label, len(dims), cell] = [
                        await counters.compute_counters(
                            conn,
                            formula,
                            1,
                            spans,
                            dims,
                            objects=[ids[cell]],
                            every_object=True,
                            scan=scan,
                        )
                        for scan in (True, False)
                    ]
    two = [ids["C1"], ids["C2"]]
    try:
        await counters.compute_counters(conn, parse(FORMULAS[0]), 1, GAPS, objects=two, scan=True)
    except ValueError as exc:
        out["two cells"] = str(exc)
    return out


async def _run(url: str) -> dict[Any, Any]:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(update(tenants).where(tenants.c.id == 1).values(timezone=ZONE))
            await write_blocks(conn, 1, 1, C1 + NEIGHBOURS)
        async with engine.connect() as conn:
            return await _both_ways(conn)
    finally:
        await engine.dispose()


@pytest.fixture
def computed(database_url: str) -> dict[Any, Any]:
    return asyncio.run(_run(database_url))


def _hour(rows: list[Any], start: datetime) -> Any:
    (row,) = [r for r in rows if r.period_start == start]
    return row


def test_it_gives_the_numbers_of_the_grouped_statement(computed: dict[Any, Any]) -> None:
    compared = {key: pair for key, pair in computed.items() if key != "two cells"}
    assert len(compared) == len(FORMULAS) * len(PERIODS) * 2 * 2
    for key, (scanned, grouped) in compared.items():
        assert scanned == grouped, key
    rows, _ = computed[FORMULAS[0], "spring 15min", 2, "C1"]
    assert len(rows) == 4 * 71  # 72 local hours, one of them skipped
    assert {r.dims["cell"] for r in rows} == {"C1"}


def test_it_leaves_suspect_rows_out_and_adds_up_missing_sums(computed: dict[Any, Any]) -> None:
    rrc, _ = computed[FORMULAS[0], "spring hour", 0, "C1"]
    assert _hour(rrc, _at(3, 8, 13)).parts == {"sum_1": 54.0, "sum_2": 60.0}
    assert _hour(rrc, _at(3, 8, 13)).value == 90.0
    assert _hour(rrc, _at(3, 8, 7)).parts == {"sum_1": None, "sum_2": None}
    assert _hour(rrc, _at(3, 8, 6)).parts == {"sum_1": 50.0, "sum_2": None}
    assert _hour(rrc, _at(3, 8, 6)).value is None
    availability, _ = computed[FORMULAS[2], "spring hour", 0, "C1"]
    assert _hour(availability, _at(3, 8, 13)).parts == {
        "seconds_1": 1800,
        "sum_2": 90.0,
        "seconds_3": 1800,
    }


def test_it_weights_a_mean_by_the_seconds_of_each_granularity(computed: dict[Any, Any]) -> None:
    prb, _ = computed[FORMULAS[1], "spring hour", 0, "C1"]
    noon = _hour(prb, _at(3, 8, 12))
    assert noon.parts == {"avg_1.weighted": 225450.0, "avg_1.seconds": 5400}
    assert noon.value == 41.75


def test_it_keeps_the_two_local_one_oclocks_of_the_fall_apart(computed: dict[Any, Any]) -> None:
    rrc, _ = computed[FORMULAS[0], "fall hour", 0, "C1"]
    assert _hour(rrc, _at(11, 1, 5)).parts == {"sum_1": 18.0 + 3, "sum_2": 20.0 + 4}
    assert _hour(rrc, _at(11, 1, 6)).parts == {"sum_1": 36.0 + 4, "sum_2": 40.0 + 4}
    days, _ = computed[FORMULAS[0], "fall day", 0, "C1"]
    day = _hour(days, local_midnight(date(2026, 11, 1), ZONE))
    assert day.period_end - day.period_start == timedelta(hours=25)
    assert day.parts == {"sum_1": 9.0 + 18 + 36 + 3 + 4 + 7, "sum_2": 10.0 + 20 + 40 + 4 + 4 + 7}


def test_it_lists_a_cell_without_rows_in_the_range(computed: dict[Any, Any]) -> None:
    rows, _ = computed[FORMULAS[0], "spring day", 2, "C3"]
    assert [(r.dims, r.value) for r in rows] == [({"ne": "ENB8", "cell": "C3"}, None)] * 3


def test_it_scans_one_cell_at_a_time(computed: dict[Any, Any]) -> None:
    assert computed["two cells"] == "a scan reads one object, grouped by cell or not at all"
