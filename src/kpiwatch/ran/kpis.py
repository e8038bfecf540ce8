"""RAN KPIs over time: the pack (``RAN_KPIS``) and ``series()``, what the query API, the
N-1 vs N comparison and the ``/ran`` page read.

``series(conn, tenant_id, ["RRC_SETUP_SR"], start, end, "hour")`` gives one
``SeriesPoint`` per KPI and period (and per cell with ``per_cell``): the value (``None``:
no data) and the parts behind it. A KPI name is one of the pack or one of the tenant's
own KPI definitions whose formula reads counters. Periods are the grain's (15 minutes,
hours, days in the tenant's time zone) that *start* in ``[start, end)``; a counter row
belongs to the period holding its ``period_start``.

The parts of a proportion KPI also carry ``successes`` and ``trials`` (the pooled events
and trials, see ``RanKpi``), so the comparison can test two periods without knowing the
formula.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.kpi import periods as kpi_periods
from kpiwatch.kpi.calculate import tenant_zone
from kpiwatch.kpi.formula import Formula, FormulaError, parse
from kpiwatch.kpi.models import kpi_definitions
from kpiwatch.ran import counters
from kpiwatch.ran.pack import RAN_KPIS, RanKpi
from kpiwatch.ran.selection import UnknownObject, select_objects

Grain = Literal["15min", "hour", "day"]
GRAINS: tuple[Grain, ...] = ("15min", "hour", "day")

__all__ = [
    "GRAINS",
    "RAN_KPIS",
    "Grain",
    "RanKpi",
    "SeriesPoint",
    "UnknownKpi",
    "UnknownObject",
    "grain_periods",
    "part_legend",
    "tenant_zone",
    "series",
]


@dataclass(frozen=True)
class SeriesPoint:
    """One KPI over one period, for the selection (``ne``/``cell`` None) or one cell."""

    kpi: str
    period_start: datetime
    period_end: datetime
    ne: str | None
    cell: str | None
    value: float | None
    parts: dict[str, float | int | None] = field(default_factory=dict)


class UnknownKpi(ValueError):
    """Names that are neither in the pack nor counter KPIs of the tenant."""

    def __init__(self, names: Sequence[str], known: Sequence[str]) -> None:
        super().__init__(f"unknown KPIs: {', '.join(names)}")
        self.names = list(names)
        self.known = list(known)


@dataclass(frozen=True)
class ResolvedKpi:
    """A KPI ready to compute: its name, checked formula, how to show it, and its pack
    entry (None for a tenant's own definition)."""

    name: str
    formula: Formula
    display_name: str
    unit: str
    direction: str  # "higher" | "lower"
    pack: RanKpi | None = None

    @classmethod
    def of_pack(cls, kpi: RanKpi) -> ResolvedKpi:
        formula = _pack_formula(kpi.name)
        return cls(kpi.name, formula, kpi.display_name, kpi.unit, kpi.direction, kpi)


@cache
def _pack_formula(name: str) -> Formula:
    """The pack's formulas never change: parse each once per process."""
    return parse(RAN_KPIS[name].formula)


def grain_periods(
    grain: Grain, start: datetime, end: datetime, zone: ZoneInfo
) -> list[tuple[datetime, datetime]]:
    """The periods of ``grain`` (local hours and days of ``zone``) starting in [start, end)."""
    if end <= start:
        return []
    first = start.astimezone(zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    kind = "DAILY" if grain == "day" else "HOURLY"
    spans = kpi_periods.periods(kind, first, last, zone)
    if grain == "15min":
        quarter = timedelta(minutes=15)
        spans = [(s + i * quarter, s + (i + 1) * quarter) for s, _ in spans for i in range(4)]
    return [(s, e) for s, e in spans if start <= s < end]


def part_legend(formula: Formula) -> dict[str, str]:
    """What each part of a counter formula holds, e.g. ``sum_1``: ``sum(pm.X)``."""
    out: dict[str, str] = {}
    for agg in formula.aggregates:
        counter = f"pm.{agg.counter}"
        if agg.func == "avg":
            out[f"{agg.key}.weighted"] = f"sum of {counter} × seconds it covers"
            out[f"{agg.key}.seconds"] = f"seconds covered by values of {counter}"
        else:
            out[agg.key] = f"{agg.func}({counter})"
    return out


async def resolve(conn: AsyncConnection, tenant_id: int, names: Sequence[str]) -> list[ResolvedKpi]:
    """The KPIs named: the pack's, else the tenant's definitions with counter formulas."""
    out: dict[str, ResolvedKpi] = {}
    wanted = list(dict.fromkeys(names))
    for name in wanted:
        if name in RAN_KPIS:
            out[name] = ResolvedKpi.of_pack(RAN_KPIS[name])
    others = [n for n in wanted if n not in out]
    if others:
        d = kpi_definitions.c
        rows = await conn.execute(
            select(d.name, d.formula, d.display_name, d.unit, d.direction).where(
                d.tenant_id == tenant_id, d.name.in_(others)
            )
        )
        for name, text, display_name, unit, direction in rows:
            try:
                formula = parse(text)
            except FormulaError:
                continue
            if formula.counters:
                way = "higher" if direction == "HIGHER_BETTER" else "lower"
                out[name] = ResolvedKpi(name, formula, display_name, unit, way)
    missing = [n for n in wanted if n not in out]
    if missing:
        raise UnknownKpi(missing, await known_names(conn, tenant_id))
    return [out[n] for n in wanted]


async def known_names(conn: AsyncConnection, tenant_id: int) -> list[str]:
    """Every name ``series`` accepts for the tenant: the pack, then its counter KPIs."""
    rows = await conn.execute(
        select(kpi_definitions.c.name, kpi_definitions.c.formula)
        .where(kpi_definitions.c.tenant_id == tenant_id)
        .order_by(kpi_definitions.c.name)
    )
    own = [name for name, text in rows if name not in RAN_KPIS and _reads_counters(text)]
    return [*RAN_KPIS, *own]


def _reads_counters(text: str) -> bool:
    try:
        return bool(parse(text).counters)
    except FormulaError:
        return False


def with_proportion(
    kpi: ResolvedKpi, parts: dict[str, float | int | None]
) -> dict[str, float | int | None]:
    """The parts, plus ``successes`` and ``trials`` for a proportion KPI of the pack."""
    if kpi.pack is None or kpi.pack.kind != "proportion":
        return parts
    successes, trials = kpi.pack.proportion(parts)
    return {**parts, "successes": successes, "trials": trials}


async def series(
    conn: AsyncConnection,
    tenant_id: int,
    kpi_names: Sequence[str],
    start: datetime,
    end: datetime,
    grain: Grain,
    *,
    ne: Sequence[str] | None = None,
    cells: Sequence[str] | None = None,
    per_cell: bool = False,
) -> list[SeriesPoint]:
    """KPI values per period of ``grain`` starting in [start, end) (aware datetimes).

    ``ne`` and ``cells`` restrict the objects (ids such as ``ENB7``/``C1`` or full names;
    both given: the cells of those NEs). Without ``per_cell`` every KPI has one point per
    period over the whole selection; with it (or when ``cells`` are given), one per cell
    and period, cells that report the KPI's counters but sent nothing in the range
    included. Raises ``UnknownKpi`` and ``UnknownObject``.
    """
    kpis = await resolve(conn, tenant_id, kpi_names)
    selection = await select_objects(conn, tenant_id, ne=ne, cells=cells)
    zone = await tenant_zone(conn, tenant_id)
    spans = grain_periods(grain, start, end, zone)
    return await compute_series(conn, tenant_id, kpis, spans, selection, per_cell or bool(cells))


async def compute_series(
    conn: AsyncConnection,
    tenant_id: int,
    kpis: Sequence[ResolvedKpi],
    spans: Sequence[tuple[datetime, datetime]],
    selection: Sequence[int] | None,
    split: bool,
) -> list[SeriesPoint]:
    """``series`` once the KPIs, periods and objects (None: all) are resolved."""
    points: list[SeriesPoint] = []
    if not spans:
        return points
    for kpi in kpis:
        rows = await counters.compute_counters(
            conn,
            kpi.formula,
            tenant_id,
            spans,
            ["ne", "cell"] if split else [],
            objects=selection,
            every_object=split and selection is not None,
        )
        points.extend(
            SeriesPoint(
                kpi.name,
                row.period_start,
                row.period_end,
                row.dims.get("ne"),
                row.dims.get("cell"),
                row.value,
                with_proportion(kpi, row.parts),
            )
            for row in rows
        )
    return points
