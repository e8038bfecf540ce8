"""Jinja2 for the server-rendered pages: autoescaped, with number and chart helpers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

LABELS = {"GREEN": "On target", "YELLOW": "At risk", "RED": "Off target", "NO_DATA": "No data"}

env = Environment(
    loader=PackageLoader("kpiwatch", "web/templates"),
    autoescape=select_autoescape(("html", "svg")),
    trim_blocks=True,
    lstrip_blocks=True,
)


def number(value: float | None, unit: str = "") -> str:
    """A value as people read it: 'no data', or up to two decimals and the unit."""
    if value is None:
        return "no data"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    if unit == "%":
        return f"{text} %"
    return f"{text} {unit}".strip()


def polyline(values: Sequence[float | None], width: float, height: float) -> list[str]:
    """SVG ``points`` runs for a line chart; a gap (no data) starts a new run."""
    known = [v for v in values if v is not None]
    if not known:
        return []
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    step = width / max(len(values) - 1, 1)
    runs: list[str] = []
    current: list[str] = []
    for i, value in enumerate(values):
        if value is None:
            if current:
                runs.append(" ".join(current))
            current = []
            continue
        y = height - (value - low) / span * height if high != low else height / 2
        current.append(f"{i * step:.1f},{y:.1f}")
    if current:
        runs.append(" ".join(current))
    return runs


def local(value: datetime | None, zone: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone(zone).strftime(fmt) if value else ""


env.filters["number"] = number
env.filters["local"] = local
env.globals["LABELS"] = LABELS
env.globals["polyline"] = polyline


def render(request: Request, template: str, **context: Any) -> HTMLResponse:
    html = env.get_template(template).render(request=request, **context)
    return HTMLResponse(html)
