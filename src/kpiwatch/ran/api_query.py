"""``POST /api/kpi/query`` and ``POST /api/kpi/statistics/batch`` (seed 001's fields).

Both take ``{start_date, end_date, kpi_types, ne, cellid, grain, per_cell}``:

- ``start_date``/``end_date``: a date (``2026-03-01``: the whole local day; an end date
  is included) or a date-time (``2026-03-01T10:00``, ``2026-03-01 10:00`` or the seed's
  ``2026-03-01_10:00``; local time of the tenant unless it carries an offset; an end
  date-time is excluded). A period is in the range when it *starts* in it.
- ``kpi_types``: names of the RAN pack or of the tenant's KPIs with counter formulas.
- ``ne``/``cellid``: one value or a list; ids (``ENB7``, ``C1``) or full names.
- ``grain``: ``15min``, ``hour`` (default) or ``day`` (the tenant's local days).
- ``per_cell``: one series per cell (implied when ``cellid`` is given).

Ranges are capped per grain (``MAX_DAYS``) and so is the size of an answer
(``MAX_POINTS`` points: periods × KPIs × cells), so one request cannot hold the server for
minutes or answer with a hundred megabytes; the 422 says which limit was hit.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import orjson
from fastapi import APIRouter, Response
from pydantic import BaseModel, BeforeValidator, Field, WithJsonSchema
from sqlalchemy import func, select

from kpiwatch.core.deps import DbDep, ViewerDep
from kpiwatch.core.errors import InvalidInput
from kpiwatch.kpi.calculate import tenant_zone
from kpiwatch.kpi.periods import local_midnight
from kpiwatch.ran import kpis as ran_kpis
from kpiwatch.ran.kpis import Grain, ResolvedKpi, SeriesPoint
from kpiwatch.ran.models import pm_objects
from kpiwatch.ran.selection import UnknownObject, select_objects
from kpiwatch.ran.statistics import summary

router = APIRouter(prefix="/api/kpi", tags=["ran"])

MAX_DAYS: dict[str, int] = {"15min": 31, "hour": 92, "day": 732}
MAX_POINTS = 100_000
MAX_NAMES = 1000


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Name = Annotated[str, Field(min_length=1, max_length=1000)]
Names = Annotated[
    list[Name] | None,
    BeforeValidator(_as_list),
    Field(max_length=MAX_NAMES),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "minLength": 1, "maxLength": 1000},
                {
                    "type": "array",
                    "items": {"type": "string", "minLength": 1, "maxLength": 1000},
                    "maxItems": MAX_NAMES,
                },
                {"type": "null"},
            ]
        }
    ),
]
"""One id or full name, or a list of them (seed 001 sends one string)."""


class KpiQueryIn(BaseModel):
    start_date: str = Field(min_length=1, max_length=40)
    end_date: str = Field(min_length=1, max_length=40)
    kpi_types: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        min_length=1, max_length=50
    )
    ne: Names = None
    cellid: Names = None
    grain: Grain = "hour"
    per_cell: bool = False


def parse_instant(text: str, zone: ZoneInfo, *, end: bool, field: str) -> datetime:
    """A request's date or date-time as an aware UTC instant (see the module docstring)."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return local_midnight(day + timedelta(days=1) if end else day, zone)
        moment = datetime.fromisoformat(raw.replace("_", "T", 1))
    except ValueError:
        raise InvalidInput.field(
            ("body", field),
            f"{text!r} is not a date (2026-03-01) or date-time (2026-03-01T10:00, "
            "2026-03-01_10:00, with or without an offset)",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


class _Query:
    """A request, checked and resolved: instants, periods, KPIs and objects."""

    def __init__(self, body: KpiQueryIn, zone: ZoneInfo) -> None:
        self.body = body
        self.zone = zone
        self.start = parse_instant(body.start_date, zone, end=False, field="start_date")
        self.end = parse_instant(body.end_date, zone, end=True, field="end_date")
        if self.end <= self.start:
            raise InvalidInput.field(("body", "end_date"), "end_date must be after start_date")
        limit = MAX_DAYS[body.grain]
        if self.end - self.start > timedelta(days=limit):
            raise InvalidInput.field(
                ("body", "end_date"),
                f"at most {limit} days at grain {body.grain}; choose a coarser grain",
            )
        self.spans = ran_kpis.grain_periods(body.grain, self.start, self.end, zone)
        self.split = body.per_cell or bool(body.cellid)
        self.kpis: list[ResolvedKpi] = []
        self.selection: list[int] | None = None
        self._shown: dict[datetime, str] = {}

    async def resolve(self, conn: Any, tenant_id: int) -> None:
        try:
            self.kpis = await ran_kpis.resolve(conn, tenant_id, self.body.kpi_types)
        except ran_kpis.UnknownKpi as exc:
            names = self.body.kpi_types
            raise InvalidInput(
                [
                    {
                        "loc": ["body", "kpi_types", names.index(name)],
                        "msg": f"unknown KPI {name!r}; known: {', '.join(exc.known)}",
                        "type": "value_error",
                    }
                    for name in exc.names
                ]
            ) from exc
        try:
            self.selection = await select_objects(
                conn, tenant_id, ne=self.body.ne, cells=self.body.cellid
            )
        except UnknownObject as exc:
            raise InvalidInput.field(("body", exc.field), str(exc)) from exc
        cells = 1
        if self.split:
            cells = (
                len(self.selection) if self.selection is not None else await _count(conn, tenant_id)
            )
        points = len(self.spans) * len(self.kpis) * max(cells, 1)
        if points > MAX_POINTS:
            raise InvalidInput.field(
                ("body",),
                f"the answer would hold {points} points (periods × KPIs × cells), more than "
                f"{MAX_POINTS}: narrow the range, the cells or the KPIs, or choose a coarser grain",
            )

    def local(self, moment: datetime) -> str:
        """ISO 8601 in the tenant's zone (memoised: every series repeats the periods)."""
        text = self._shown.get(moment)
        if text is None:
            text = self._shown[moment] = moment.astimezone(self.zone).isoformat()
        return text

    def header(self) -> dict[str, Any]:
        return {
            "start_date": self.local(self.start),
            "end_date": self.local(self.end),
            "grain": self.body.grain,
            "time_zone": self.zone.key,
        }


async def _count(conn: Any, tenant_id: int) -> int:
    query = select(func.count()).select_from(pm_objects).where(pm_objects.c.tenant_id == tenant_id)
    return int((await conn.execute(query)).scalar_one())


async def _run(body: KpiQueryIn, caller: ViewerDep, db: DbDep) -> tuple[_Query, list[SeriesPoint]]:
    async with db.read() as conn:
        query = _Query(body, await tenant_zone(conn, caller.tenant_id))
        await query.resolve(conn, caller.tenant_id)
        points = await ran_kpis.compute_series(
            conn, caller.tenant_id, query.kpis, query.spans, query.selection, query.split
        )
    return query, points


def _grouped(
    points: list[SeriesPoint],
) -> dict[tuple[str, str | None, str | None], list[SeriesPoint]]:
    out: dict[tuple[str, str | None, str | None], list[SeriesPoint]] = defaultdict(list)
    for point in points:
        out[point.kpi, point.ne, point.cell].append(point)
    return out


def _describe(kpi: ResolvedKpi) -> dict[str, Any]:
    return {
        "kpi_type": kpi.name,
        "display_name": kpi.display_name,
        "unit": kpi.unit,
        "direction": kpi.direction,
        "kind": kpi.pack.kind if kpi.pack is not None else None,
        "formula": kpi.formula.canonical,
        "parts": ran_kpis.part_legend(kpi.formula),
    }


def _json(payload: dict[str, Any]) -> Response:
    # A week of quarters is 672 points per series: FastAPI's jsonable_encoder walked them
    # in ~30 ms, orjson writes them in ~1.
    return Response(orjson.dumps(payload), media_type="application/json")


@router.post("/query")
async def query_kpis(body: KpiQueryIn, caller: ViewerDep, db: DbDep) -> Response:
    """Time series of RAN KPIs: one per KPI, or per KPI and cell; null values are no data."""
    query, points = await _run(body, caller, db)
    series = _grouped(points)
    kpis = []
    for kpi in query.kpis:
        kpis.append(
            _describe(kpi)
            | {
                "series": [
                    {
                        "ne": ne,
                        "cell": cell,
                        "points": [
                            {
                                "period_start": query.local(p.period_start),
                                "period_end": query.local(p.period_end),
                                "value": p.value,
                                "parts": p.parts,
                            }
                            for p in group
                        ],
                    }
                    for (name, ne, cell), group in series.items()
                    if name == kpi.name
                ]
            }
        )
    return _json(query.header() | {"kpis": kpis})


@router.post("/statistics/batch")
async def kpi_statistics(body: KpiQueryIn, caller: ViewerDep, db: DbDep) -> Response:
    """Mean, min, max, p95, sample and missing-period counts of several KPIs and cells."""
    query, points = await _run(body, caller, db)
    by_name = {kpi.name: kpi for kpi in query.kpis}
    statistics = []
    for (name, ne, cell), group in _grouped(points).items():
        kpi = by_name[name]
        stats = summary(kpi.formula, [p.value for p in group], [p.parts for p in group])
        stats["parts"] = ran_kpis.with_proportion(kpi, stats["parts"])
        statistics.append(
            {
                "kpi_type": name,
                "display_name": kpi.display_name,
                "unit": kpi.unit,
                "ne": ne,
                "cell": cell,
            }
            | stats
        )
    return _json(query.header() | {"statistics": statistics})
