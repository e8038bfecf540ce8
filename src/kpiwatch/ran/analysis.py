"""Running one N-1 vs N analysis: counters → per-cell sides → compared table → result.

For each KPI and each period, one ``ran.kpis.series`` call at the job's grain gives every
cell's per-interval points; from them:

- a cell's **value** in the period is the KPI's formula over the parts summed over the
  period (``rollup``), so a rate is Σevents/Σtrials and a mean is time-weighted — never a
  mean of interval values;
- a proportion KPI's pooled ``successes``/``trials`` are the sums of the points' parts;
- a samples KPI's samples are the per-interval values;
- the **network** row (the whole selection) combines every cell's parts, per interval
  for its samples and over the period for its value.

A cell that reports the KPI's counters but sent nothing in a period gets no data there,
so it shows as ``inconclusive`` ("no data in N") rather than disappearing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from kpiwatch.core.config import Settings
from kpiwatch.core.db import Database
from kpiwatch.kpi.formula import Formula, rollup
from kpiwatch.ran import kpis, narrative, results
from kpiwatch.ran.analysis_params import AnalysisParams, Span
from kpiwatch.ran.compare import U_TEST, Z_TEST, Comparison, Side, compare_kpi, summarize
from kpiwatch.ran.jobs import JobContext
from kpiwatch.ran.pack import RanKpi

Step = Callable[[int], Awaitable[None]]
CellKey = tuple[str, str]


def _side(kpi: RanKpi, formula: Formula, points: Sequence[kpis.SeriesPoint]) -> Side:
    if not points:
        return Side(None)
    value, _ = rollup(formula, [p.parts for p in points], across_periods=True)
    if kpi.kind != "proportion":
        return Side(value, samples=tuple(p.value for p in points if p.value is not None))
    pooled = [p.parts for p in points if p.parts.get("trials") is not None]
    if not pooled:
        return Side(value)
    successes = sum(float(p.get("successes") or 0) for p in pooled)
    trials = sum(float(p.get("trials") or 0) for p in pooled)
    return Side(value, successes, trials)


def sides(
    kpi: RanKpi, formula: Formula, points: Sequence[kpis.SeriesPoint]
) -> tuple[dict[CellKey, Side], Side]:
    """Each cell's side and the whole selection's, from per-cell, per-interval points."""
    by_cell: dict[CellKey, list[kpis.SeriesPoint]] = {}
    by_period: dict[Any, list[kpis.SeriesPoint]] = {}
    for point in sorted(points, key=lambda p: p.period_start):
        present = by_cell.setdefault((point.ne or "", point.cell or ""), [])
        if point.value is None:
            continue  # the cell sent nothing usable in this interval
        present.append(point)
        by_period.setdefault(point.period_start, []).append(point)
    cells = {key: _side(kpi, formula, found) for key, found in by_cell.items()}
    every = [p for period in by_period.values() for p in period]
    if not every:
        return cells, Side(None)
    network = _side(kpi, formula, every)
    samples = (rollup(formula, [p.parts for p in period])[0] for period in by_period.values())
    if kpi.kind != "proportion":
        network = Side(network.value, samples=tuple(v for v in samples if v is not None))
    return cells, network


async def _fetch(
    db: Database, tenant_id: int, params: AnalysisParams, name: str, span: Span
) -> list[kpis.SeriesPoint]:
    async with db.read() as conn:
        return await kpis.series(
            conn,
            tenant_id,
            [name],
            span.start,
            span.end,
            params.grain,
            ne=params.nes,
            cells=params.cells,
            per_cell=True,
        )


def kpi_meta(kpi: RanKpi) -> dict[str, Any]:
    return {
        "name": kpi.name,
        "display_name": kpi.display_name,
        "unit": kpi.unit,
        "direction": kpi.direction,
        "kind": kpi.kind,
        "test": Z_TEST if kpi.kind == "proportion" else U_TEST,
    }


async def compute_table(
    db: Database, tenant_id: int, params: AnalysisParams, step: Step
) -> dict[str, Any]:
    """The compared table of every KPI asked; ``step`` gets progress from 5 to 85 %."""
    async with db.read() as conn:
        resolved = {k.name: k.formula for k in await kpis.resolve(conn, tenant_id, params.kpis)}
    rows: list[Comparison] = []
    for index, name in enumerate(params.kpis):
        kpi = kpis.RAN_KPIS[name]
        before_cells, before = sides(
            kpi, resolved[name], await _fetch(db, tenant_id, params, name, params.n_minus_1)
        )
        after_cells, after = sides(
            kpi, resolved[name], await _fetch(db, tenant_id, params, name, params.n)
        )
        empty = Side(None)
        pairs = {
            key: (before_cells.get(key, empty), after_cells.get(key, empty))
            for key in before_cells.keys() | after_cells.keys()
        }
        rows += compare_kpi(kpi, pairs, (before, after), params.thresholds)
        await step(5 + 80 * (index + 1) // len(params.kpis))
    return {
        "kpis": [kpi_meta(kpis.RAN_KPIS[name]) for name in params.kpis],
        "grain": params.grain,
        "selection": {"nes": params.nes, "cells": params.cells},
        "thresholds": params.thresholds.as_dict(),
        "rows": [row.as_dict() for row in rows],
        "summary": summarize(rows),
    }


def labels(params: AnalysisParams) -> dict[str, str]:
    return {"n_minus_1": params.n_minus_1.label, "n": params.n.label}


def runner(db: Database, settings: Settings) -> Callable[[JobContext], Awaitable[None]]:
    """The job pool's runner: compute, narrate, store the result and finish the job."""

    async def run(context: JobContext) -> None:
        job = context.job
        params = AnalysisParams.from_dict(job.params["analysis"])
        await context.step(5)
        table = await compute_table(db, job.tenant_id, params, context.step)
        story = await narrative.write(settings, table, labels(params), params.use_llm)
        await context.step(95)
        async with db.write() as conn:
            result_id = await results.store_computed(
                conn,
                tenant_id=job.tenant_id,
                user_id=job.user_id,
                job_id=job.id,
                params=params,
                table=table,
                story=story,
                timezone=job.params["timezone"],
                now=context.clock.now(),
            )
            await context.finish(conn, result_id)

    return run
