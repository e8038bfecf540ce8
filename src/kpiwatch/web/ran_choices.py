"""The ``/ran`` explorer's choices: read from the query string, checked, with defaults.

The choices are a GET form, so a view is a link that can be shared. Periods are local
date-times of the tenant (``datetime-local`` inputs), ``to`` excluded, checked by the
analysis' own rules (``ran.analysis_params``: at most 31 days, N-1 and N apart). Without
any period the page shows the last day with data as N and the day before as N-1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from kpiwatch.core.errors import InvalidInput
from kpiwatch.kpi.periods import local_midnight
from kpiwatch.ran.analysis_params import RangeIn, Span, parse_period
from kpiwatch.ran.kpis import Grain, grain_periods

GRAINS: tuple[tuple[Grain, str], ...] = (("15min", "15 minutes"), ("hour", "Hour"), ("day", "Day"))
DEFAULT_GRAIN: Grain = "hour"
MAX_PERIODS = 800  # grain periods per period drawn: a week of 15 minutes, a month of hours
MAX_CELLS = 20  # cells charted one by one
INPUT_FORMAT = "%Y-%m-%dT%H:%M"
PERIOD_FIELDS = ("n1_from", "n1_to", "n_from", "n_to")


@dataclass(frozen=True)
class Choices:
    n1: Span
    n: Span
    grain: Grain
    nes: list[str]
    cells: list[str]
    kpis: list[str]


Form = dict[str, Any]
Errors = dict[str, str]


def read_form(params: Any) -> Form:
    """The form's values as given (lists for the multiple choices), to check and show."""
    form: Form = {name: params.get(name, "").strip() for name in PERIOD_FIELDS}
    form["grain"] = params.get("grain", "").strip() or DEFAULT_GRAIN
    for name in ("ne", "cell", "kpi"):
        form[name] = list(dict.fromkeys(v for v in params.getlist(name) if v.strip()))
    return form


def default_periods(last: datetime | None, now: datetime, zone: ZoneInfo) -> dict[str, str]:
    """N: the local day of the last data (today without data); N-1: the day before."""
    day = (last or now).astimezone(zone).date()
    bounds = [local_midnight(day + timedelta(days=d), zone) for d in (-1, 0, 1)]
    shown = [b.astimezone(zone).strftime(INPUT_FORMAT) for b in bounds]
    return {"n1_from": shown[0], "n1_to": shown[1], "n_from": shown[1], "n_to": shown[2]}


def preferred(
    saved: Mapping[str, Any], objects: Sequence[Mapping[str, Any]], zone: ZoneInfo
) -> Form:
    """The choices of the user's saved preference (``/api/preference``), as form values:
    what a first visit shows. Saved NEs and cells match by id or full name, as analyses
    read them; saved periods are in the analysis' own forms."""
    form: Form = {"kpi": list(saved.get("kpis") or [])}
    if saved.get("grain"):
        form["grain"] = saved["grain"]
    nes, cells = set(saved.get("nes") or []), set(saved.get("cells") or [])
    form["ne"] = sorted({o["ne"] for o in objects if nes & {o["ne"], o["name"]}})
    form["cell"] = [o["name"] for o in objects if cells & {o["cell"], o["name"]}]
    ranges = saved.get("default_ranges") or {}
    for key, name in (("n1", "n_minus_1"), ("n", "n")):
        if ranges.get(name) is None:
            continue
        given = ranges[name]
        span = parse_period(RangeIn(**given) if isinstance(given, dict) else given, zone, (key,))
        form[f"{key}_from"], form[f"{key}_to"] = (
            moment.astimezone(zone).strftime(INPUT_FORMAT) for moment in (span.start, span.end)
        )
    return form


def _span(form: Form, key: str, zone: ZoneInfo, errors: Errors) -> Span | None:
    texts = {end: form[f"{key}_{end}"] for end in ("from", "to")}
    moments: dict[str, datetime] = {}
    for end, text in texts.items():
        try:
            moments[end] = datetime.strptime(text, INPUT_FORMAT)
        except ValueError:
            errors[f"{key}_{end}"] = "Enter a date and time (YYYY-MM-DDTHH:MM)."
    if len(moments) < 2:
        return None
    try:
        return parse_period(RangeIn(start=moments["from"], end=moments["to"]), zone, (key,))
    except InvalidInput as exc:
        errors[f"{key}_to"] = _message(exc)
        return None


def _message(exc: InvalidInput) -> str:
    detail = exc.detail
    items = detail if isinstance(detail, list) else [detail]
    text = str(items[0].get("msg", "invalid value")) if items else "invalid value"
    return text[:1].upper() + text[1:] + "."


def _too_many_periods(grain: Grain, span: Span, zone: ZoneInfo) -> str | None:
    if len(grain_periods(grain, span.start, span.end, zone)) <= MAX_PERIODS:
        return None
    return (
        f"At most {MAX_PERIODS} periods of {dict(GRAINS)[grain].lower()} can be drawn: "
        "shorten the period or choose a coarser grain."
    )


def _unknown(label: str, given: Sequence[str], known: set[str]) -> str | None:
    missing = [value for value in given if value not in known]
    return f"Unknown {label}: {', '.join(missing)}." if missing else None


def check(
    form: Form, zone: ZoneInfo, known_kpis: Sequence[str], objects: Sequence[Mapping[str, Any]]
) -> tuple[Choices | None, Errors]:
    """The checked choices, or None and a message per field."""
    errors: Errors = {}
    n1 = _span(form, "n1", zone, errors)
    n = _span(form, "n", zone, errors)
    if n1 and n and n1.start < n.end and n.start < n1.end:
        errors["n_to"] = "N-1 and N overlap: choose periods apart."
    grain = cast(Grain, form["grain"])
    if grain not in dict(GRAINS):
        errors["grain"] = f"Choose one of {', '.join(label for _, label in GRAINS)}."
    else:
        for key, span in (("n1", n1), ("n", n)):
            too_many = _too_many_periods(grain, span, zone) if span else None
            if too_many:
                errors.setdefault(f"{key}_to", too_many)
    found = {
        "kpi": _unknown("KPI", form["kpi"], set(known_kpis)),
        "ne": _unknown("network element", form["ne"], {o["ne"] for o in objects}),
        "cell": _unknown("cell", form["cell"], {o["name"] for o in objects}),
    }
    errors |= {name: message for name, message in found.items() if message}
    if "cell" not in errors and len(form["cell"]) > MAX_CELLS:
        errors["cell"] = f"Choose at most {MAX_CELLS} cells (or none, for all of them)."
    if errors or n1 is None or n is None:
        return None, errors
    kpis = form["kpi"] or list(known_kpis)
    return Choices(n1, n, grain, form["ne"], form["cell"], kpis), errors
