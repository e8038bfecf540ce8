"""Server-drawn SVG charts of the ``/ran`` explorer: the N-1 and N periods on one chart.

The two periods share one chart and one value scale, aligned by offset (the first period
of N-1 above the first period of N, and so on): the same hour of "yesterday" and "today"
sit on one vertical line, so a drop reads at a glance and the chart keeps its full width on
a phone. N-1 is dashed, N solid, so the series differ without colour; every point carries
its period and value in a ``<title>``, and the same values are listed in a table (the
offsets without data in either period left out).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kpiwatch.web.templating import local, number

WIDTH = 400.0  # the plot area in SVG units; labels live in the viewBox margins
HEIGHT = 150.0
MAX_MARKERS = 96  # past this many periods per series, points are drawn as the line only

Slot = tuple[datetime, float | None]  # a period's start and its value (None: no data)


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class ChartSeries:
    key: str  # "prev" (N-1) or "cur" (N): the CSS class
    name: str
    runs: list[str]  # polyline ``points``; a period without data starts a new run
    points: list[ChartPoint]


@dataclass(frozen=True)
class ChartRow:
    offset: int
    prev_period: str
    prev_value: str
    cur_period: str
    cur_value: str


@dataclass(frozen=True)
class Chart:
    series: list[ChartSeries]
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str]]
    rows: list[ChartRow]
    markers: bool
    width: float = WIDTH
    height: float = HEIGHT

    @property
    def has_data(self) -> bool:
        return any(s.points for s in self.series)


def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round tick values (1, 2 or 5 × 10ⁿ apart) spanning ``low`` … ``high``."""
    if high <= low:
        pad = abs(low) * 0.05 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    last = math.ceil(high / step) * step
    return [round(first + i * step, 10) for i in range(round((last - first) / step) + 1)]


def _label(name: str, start: datetime, value: float, zone: Any, unit: str) -> str:
    return f"{name} {local(start, zone)}: {number(value, unit)}"


def overlay(prev: Sequence[Slot], cur: Sequence[Slot], zone: Any, unit: str, fmt: str) -> Chart:
    """The chart of N-1 (``prev``) and N (``cur``): one slot per period, in order."""
    known = [v for _, v in (*prev, *cur) if v is not None]
    ticks = nice_ticks(min(known), max(known)) if known else [0.0, 1.0]
    low, high = ticks[0], ticks[-1]
    slots = max(len(prev), len(cur), 1)
    step = WIDTH / (slots - 1) if slots > 1 else 0.0

    def x_of(i: int) -> float:
        return i * step if slots > 1 else WIDTH / 2

    def y_of(value: float) -> float:
        return HEIGHT - (value - low) / (high - low) * HEIGHT

    series = []
    for key, name, slots_of in (("prev", "N-1", prev), ("cur", "N", cur)):
        runs: list[str] = []
        run: list[str] = []
        points: list[ChartPoint] = []
        for i, (start, value) in enumerate(slots_of):
            if value is None:
                if run:
                    runs.append(" ".join(run))
                run = []
                continue
            point = ChartPoint(x_of(i), y_of(value), _label(name, start, value, zone, unit))
            points.append(point)
            run.append(f"{point.x:.1f},{point.y:.1f}")
        if run:
            runs.append(" ".join(run))
        series.append(ChartSeries(key, name, runs, points))
    axis = cur if len(cur) >= len(prev) else prev
    marks = sorted({0, len(axis) // 2, len(axis) - 1}) if axis else []
    return Chart(
        series=series,
        y_ticks=[(y_of(t), number(t, unit)) for t in ticks],
        x_ticks=[(x_of(i), local(axis[i][0], zone, fmt)) for i in marks],
        rows=[_row(i, prev, cur, zone, unit) for i in range(slots) if _known(i, prev, cur)],
        markers=slots <= MAX_MARKERS,
    )


def _known(i: int, prev: Sequence[Slot], cur: Sequence[Slot]) -> bool:
    return any(i < len(slots) and slots[i][1] is not None for slots in (prev, cur))


def _row(i: int, prev: Sequence[Slot], cur: Sequence[Slot], zone: Any, unit: str) -> ChartRow:
    def cells(slots: Sequence[Slot]) -> tuple[str, str]:
        if i >= len(slots):
            return "", ""
        start, value = slots[i]
        return local(start, zone), number(value, unit)

    return ChartRow(i + 1, *cells(prev), *cells(cur))
