"""What the ``/ran`` explorer shows for checked choices: a chart per KPI, the comparison.

Charts read ``ran.kpis.series`` for N-1 and for N at the chosen grain: over the whole
selection when no cell is chosen, else one chart per KPI and cell (``series`` answers per
cell once cells are named). A KPI with no value in either period gets no chart and is
listed as "no data". The comparison table comes from the N-1 vs N analysis
(``ran.analysis``), the same computation as ``/api/analysis``, for every cell of a
selection of at most ``MAX_COMPARED_CELLS``; a larger selection is compared as a whole
here (reading each cell of a thousand takes seconds per KPI: that is the asynchronous
analysis' job).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core.db import Database
from kpiwatch.ran import kpis
from kpiwatch.ran.analysis import compute_table, sides
from kpiwatch.ran.analysis_params import AnalysisIn, AnalysisParams, RangeIn, resolve
from kpiwatch.ran.compare import Thresholds, compare_kpi
from kpiwatch.ran.kpis import RAN_KPIS, RanKpi, SeriesPoint, grain_periods
from kpiwatch.web.ran_charts import Chart, Slot, overlay
from kpiwatch.web.ran_choices import GRAINS, Choices
from kpiwatch.web.templating import number

MAX_ROWS = 300  # comparison rows shown; the rest is counted
MAX_COMPARED_CELLS = 50  # objects compared one by one on the page
VERDICT_MARKS = {"improved": "+", "degraded": "−", "stable": "=", "inconclusive": "?"}
AXIS_FORMAT = {"15min": "%m-%d %H:%M", "hour": "%m-%d %H:%M", "day": "%Y-%m-%d"}


@dataclass(frozen=True)
class KpiChart:
    kpi: RanKpi
    scope: str  # "" for the whole selection, else the cell
    chart: Chart


def _slots(
    points: Sequence[SeriesPoint], spans: Sequence[tuple[datetime, datetime]]
) -> dict[tuple[str, str], list[Slot]]:
    by_key: dict[tuple[str, str], dict[datetime, float | None]] = {}
    for p in points:
        scope = f"{p.ne} · {p.cell}" if p.cell is not None else ""
        by_key.setdefault((p.kpi, scope), {})[p.period_start] = p.value
    return {
        key: [(start, values.get(start)) for start, _ in spans] for key, values in by_key.items()
    }


Points = tuple[list[SeriesPoint], list[SeriesPoint]]  # N-1's and N's


async def fetch(conn: AsyncConnection, tenant_id: int, choices: Choices) -> Points:
    """Every chosen KPI per period of the grain, in N-1 and in N."""
    sides = []
    for span in (choices.n1, choices.n):
        sides.append(
            await kpis.series(
                conn,
                tenant_id,
                choices.kpis,
                span.start,
                span.end,
                choices.grain,
                ne=choices.nes or None,
                cells=choices.cells or None,
            )
        )
    return sides[0], sides[1]


def charts(points: Points, choices: Choices, zone: ZoneInfo) -> tuple[list[KpiChart], list[str]]:
    """The charts of KPIs with data, and the display names of the KPIs without any."""
    prev, cur = (
        _slots(side, grain_periods(choices.grain, span.start, span.end, zone))
        for side, span in zip(points, (choices.n1, choices.n), strict=True)
    )
    drawn: list[KpiChart] = []
    empty: list[str] = []
    for name in choices.kpis:
        kpi = RAN_KPIS[name]
        scopes = sorted({scope for k, scope in (*prev, *cur) if k == name})
        shown = 0
        for scope in scopes:
            chart = overlay(
                prev.get((name, scope), []),
                cur.get((name, scope), []),
                zone,
                kpi.unit,
                AXIS_FORMAT[choices.grain],
            )
            if chart.has_data:
                drawn.append(KpiChart(kpi, scope, chart))
                shown += 1
        if not shown:
            empty.append(kpi.display_name)
    return drawn, empty


def _signed(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return f"{sign}{number(abs(value), unit)}"


def _change(row: dict[str, Any]) -> str:
    if row["change"] is None:
        return "no data"
    text = _signed(row["change"], "pp" if row["unit"] == "%" else row["unit"])
    if row["change_pct"] is not None and row["unit"] != "%":
        text += f" ({_signed(row['change_pct'], '%')})"
    return text


def _p(row: dict[str, Any]) -> str:
    if row["p_value"] is None:
        return "not tested"
    text = f"{row['p_value']:.3g}"
    if row["p_adjusted"] is not None and row["p_adjusted"] != row["p_value"]:
        text += f" ({row['p_adjusted']:.3g})"
    return text


def table_row(row: dict[str, Any]) -> dict[str, Any]:
    """One row of the analysis table (``Comparison.as_dict()``) as the page shows it."""
    kpi = RAN_KPIS.get(row["kpi"])
    network = row["cell"] is None
    return {
        "kpi": row["kpi"],
        "kpi_label": kpi.display_name if kpi else row["kpi"],
        "network": network,
        "scope": "Selection" if network else f"{row['ne']} · {row['cell']}",
        "prev": number(row["value_n_minus_1"], row["unit"]),
        "cur": number(row["value_n"], row["unit"]),
        "change": _change(row),
        "verdict": row["verdict"],
        "reason": row["reason"],
        "test": row["test"] or "",
        "p_value": _p(row),
    }


async def comparison(
    db: Database, tenant_id: int, choices: Choices, thresholds: Thresholds
) -> tuple[list[dict[str, Any]], dict[str, Any], int]:
    """The selection's row and each cell's per KPI, by the analysis (``compute_table``):
    the shown rows (at most ``MAX_ROWS``), the summary, and how many rows there were."""
    params = AnalysisParams(
        n_minus_1=choices.n1,
        n=choices.n,
        nes=choices.nes or None,
        cells=choices.cells or None,
        kpis=choices.kpis,
        grain=choices.grain,
        thresholds=thresholds,
        use_llm=False,
    )

    async def no_progress(_percent: int) -> None:
        return None

    table = await compute_table(db, tenant_id, params, no_progress)
    rows = [r for r in table["rows"] if (r["value_n_minus_1"], r["value_n"]) != (None, None)]
    return [table_row(r) for r in rows[:MAX_ROWS]], table["summary"], len(rows)


async def selection_comparison(
    conn: AsyncConnection, tenant_id: int, points: Points, kpi_names: Sequence[str],
    thresholds: Thresholds,
) -> list[dict[str, Any]]:  # fmt: skip
    """The selection's row per KPI alone, from the points the charts drew (one per period
    over the whole selection): the same sides as the analysis' network row, without
    reading every cell."""
    formulas = {k.name: k.formula for k in await kpis.resolve(conn, tenant_id, kpi_names)}
    rows = []
    for name in kpi_names:
        kpi = RAN_KPIS[name]
        before, after = (
            sides(kpi, formulas[name], [p for p in side if p.kpi == name])[1] for side in points
        )
        rows += [table_row(r.as_dict()) for r in compare_kpi(kpi, {}, (before, after), thresholds)]
    return rows


def _labels(choices: Choices, zone: ZoneInfo) -> dict[str, str]:
    """The words above the charts: both periods in local time, the grain, the selection."""

    def period(start: datetime, end: datetime) -> str:
        fmt = "%Y-%m-%d %H:%M"
        return f"{start.astimezone(zone).strftime(fmt)} – {end.astimezone(zone).strftime(fmt)}"

    scope = (
        f"{len(choices.cells)} chosen cell(s)"
        if choices.cells
        else f"NE {', '.join(choices.nes)}"
        if choices.nes
        else "every NE"
    )
    return {
        "n1_label": period(choices.n1.start, choices.n1.end),
        "n_label": period(choices.n.start, choices.n.end),
        "grain_label": dict(GRAINS)[choices.grain],
        "scope_label": scope,
    }


async def results(
    db: Database,
    tenant_id: int,
    choices: Choices,
    zone: ZoneInfo,
    objects: Sequence[Mapping[str, Any]],
    saved: Mapping[str, Any],
) -> dict[str, Any]:
    """The template context of the charts and the comparison for checked choices.

    The thresholds are those of the user's saved preference, else the defaults, as an
    analysis started by the API would take them."""
    async with db.read() as conn:
        points = await fetch(conn, tenant_id, choices)
    drawn, no_data = charts(points, choices, zone)
    # KPIs without data in either period are listed as such: nothing to compare.
    charted = list(dict.fromkeys(chart.kpi.name for chart in drawn))
    periods = AnalysisIn(
        n_minus_1=RangeIn(start=choices.n1.start, end=choices.n1.end),
        n=RangeIn(start=choices.n.start, end=choices.n.end),
    )
    thresholds = resolve(periods, dict(saved), zone).thresholds
    chosen = [o for o in objects if not choices.nes or o["ne"] in choices.nes]
    cell_count = len(choices.cells) if choices.cells else len(chosen)
    rows: list[dict[str, Any]] = []
    summary: dict[str, Any] = {}
    total = 0
    if charted and cell_count <= MAX_COMPARED_CELLS:
        compared = replace(choices, kpis=charted)
        rows, summary, total = await comparison(db, tenant_id, compared, thresholds)
    elif charted:
        async with db.read() as conn:
            rows = await selection_comparison(conn, tenant_id, points, charted, thresholds)
        total = len(rows)
    return _labels(choices, zone) | {
        "charts": drawn,
        "no_data": no_data,
        "comparison": rows,
        "summary": summary if rows else None,
        "cell_count": cell_count,
        "max_compared": MAX_COMPARED_CELLS,
        "truncated": total if total > len(rows) else 0,
        "thresholds": thresholds,
    }
