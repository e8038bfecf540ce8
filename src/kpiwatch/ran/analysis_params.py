"""What an N-1 vs N analysis is asked for: two periods, a selection, KPIs and thresholds.

Periods come in the seed's form ``"2024-01-01_00:00~2024-01-01_23:59"`` or in ISO 8601
(``"2024-01-01T00:00~2024-01-02T00:00"``, ``"2024-01-01~2024-01-01"``, ``/`` instead of
``~``, or ``{"start": …, "end": …}``). Times without an offset are in the tenant's time
zone. The end is read as people write it:

- ``YYYY-MM-DD_HH:MM``: that minute is included (``23:59`` runs to midnight);
- ``YYYY-MM-DD``: that day is included;
- an ISO date-time (and the object form): the end is excluded, as everywhere in kpiwatch.

Each period lasts at most ``MAX_PERIOD``, and N-1 and N must not overlap. Fields a request
leaves out are taken from the caller's saved preference, then from the defaults of
``ran.compare.Thresholds``; the job stores the resolved parameters, so it can be rerun
exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kpiwatch.core.errors import InvalidInput
from kpiwatch.ran.compare import Thresholds
from kpiwatch.ran.kpis import RAN_KPIS, Grain

MAX_PERIOD = timedelta(days=31)
_SEED = re.compile(r"^(\d{4}-\d{2}-\d{2})_(\d{2}:\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Name = Annotated[str, Field(min_length=1, max_length=255)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RangeIn(Strict):
    start: datetime
    end: datetime


PeriodIn = Annotated[str, Field(min_length=1, max_length=100)] | RangeIn


class ThresholdsIn(Strict):
    """Any field left out keeps the preference's or the default value."""

    alpha: float | None = Field(None, gt=0, lt=1, description="Significance level.")
    rate_pp: float | None = Field(
        None, ge=0, le=100, description="Smallest change that counts for KPIs in %, in pp."
    )
    volume_pct: float | None = Field(
        None, ge=0, le=10_000, description="Smallest relative change that counts otherwise, %."
    )
    min_attempts: int | None = Field(
        None, ge=0, le=10**12, description="Rates: fewest trials in each period to test."
    )
    min_samples: int | None = Field(
        None, ge=1, le=100_000, description="Other KPIs: fewest intervals in each period."
    )
    per_kpi: dict[str, Annotated[float, Field(ge=0)]] | None = Field(
        None, max_length=100, description="A threshold of its own for some KPIs."
    )

    @field_validator("per_kpi")
    @classmethod
    def _known(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        for name in value or {}:
            if name not in RAN_KPIS:
                raise ValueError(f"unknown KPI {name!r}")
        return value


def check_kpis(names: list[str] | None) -> list[str] | None:
    if names is None:
        return None
    unknown = [n for n in names if n not in RAN_KPIS]
    if unknown:
        raise ValueError(f"unknown KPIs {', '.join(unknown)}; known: {', '.join(RAN_KPIS)}")
    return list(dict.fromkeys(names))


class AnalysisIn(Strict):
    """``POST /api/async-analysis/start`` and ``/api/analysis/trigger-llm-analysis``."""

    n_minus_1: PeriodIn | None = Field(None, description="The reference period N-1.")
    n: PeriodIn | None = Field(None, description="The period compared with it, N.")
    ne: Name | list[Name] | None = Field(None, description="Only these NEs (ids or full names).")
    cellid: Name | list[Name] | None = Field(
        None, description="Only these cells (ids or full names)."
    )
    kpi_types: list[str] | None = Field(
        None, min_length=1, max_length=50, description="KPI names of the pack; default: all."
    )
    grain: Grain | None = Field(None, description="Interval of the samples: 15min, hour, day.")
    thresholds: ThresholdsIn | None = None
    use_llm: bool = Field(True, description="Ask the LLM for the narrative when configured.")
    user_id: str | None = Field(
        None, max_length=150, description="Accepted for the seed's clients; the caller owns it."
    )
    enable_mock: bool = Field(False, description="Must be false: kpiwatch never makes up data.")

    @field_validator("kpi_types")
    @classmethod
    def _kpis(cls, value: list[str] | None) -> list[str] | None:
        return check_kpis(value)

    @field_validator("enable_mock")
    @classmethod
    def _no_mock(cls, value: bool) -> bool:
        if value:
            raise ValueError("kpiwatch has no mock analysis: every number comes from counters")
        return value


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime
    label: str

    def as_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "label": self.label}

    @classmethod
    def from_dict(cls, value: dict[str, str]) -> Span:
        return cls(
            datetime.fromisoformat(value["start"]),
            datetime.fromisoformat(value["end"]),
            value["label"],
        )


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)


def _bound(text: str, zone: ZoneInfo, is_end: bool) -> datetime:
    text = text.strip()
    seed = _SEED.match(text)
    if seed:
        moment = _local(datetime.fromisoformat(f"{seed[1]}T{seed[2]}"), zone)
        return moment + timedelta(minutes=1) if is_end else moment
    if _DATE.match(text):
        moment = _local(datetime.fromisoformat(text), zone)
        return moment + timedelta(days=1) if is_end else moment
    return _local(datetime.fromisoformat(text), zone)


def parse_period(value: str | RangeIn, zone: ZoneInfo, loc: tuple[str, ...]) -> Span:
    """The period as UTC instants [start, end); ``InvalidInput`` at ``loc`` when wrong."""
    try:
        if isinstance(value, RangeIn):
            start, end = _local(value.start, zone), _local(value.end, zone)
            label = f"{value.start.isoformat()}~{value.end.isoformat()}"
        else:
            separator = "~" if "~" in value else "/"
            first, found, last = value.partition(separator)
            if not found:
                raise ValueError("write start~end, e.g. 2024-01-01_00:00~2024-01-01_23:59")
            start, end = _bound(first, zone, False), _bound(last, zone, True)
            label = value.strip()
    except ValueError as exc:
        raise InvalidInput.field(loc, f"not a period: {exc}") from exc
    if end <= start:
        raise InvalidInput.field(loc, "the period ends before it starts")
    if end - start > MAX_PERIOD:
        raise InvalidInput.field(loc, f"a period lasts at most {MAX_PERIOD.days} days")
    return Span(start, end, label)


def check_period_syntax(value: str | RangeIn, loc: tuple[str, ...]) -> None:
    """Checks a period without a tenant (preferences): the same rules, in UTC."""
    parse_period(value, ZoneInfo("UTC"), loc)


@dataclass(frozen=True)
class AnalysisParams:
    """Everything a job needs, resolved: what ``analysis_jobs.params`` stores."""

    n_minus_1: Span
    n: Span
    nes: list[str] | None
    cells: list[str] | None
    kpis: list[str]
    grain: Grain
    thresholds: Thresholds
    use_llm: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "n_minus_1": self.n_minus_1.as_dict(),
            "n": self.n.as_dict(),
            "nes": self.nes,
            "cells": self.cells,
            "kpis": self.kpis,
            "grain": self.grain,
            "thresholds": self.thresholds.as_dict(),
            "use_llm": self.use_llm,
        }

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> AnalysisParams:
        return cls(
            n_minus_1=Span.from_dict(value["n_minus_1"]),
            n=Span.from_dict(value["n"]),
            nes=value["nes"],
            cells=value["cells"],
            kpis=value["kpis"],
            grain=value["grain"],
            thresholds=Thresholds(**value["thresholds"]),
            use_llm=value["use_llm"],
        )


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _listed(value: str | list[str] | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(dict.fromkeys(value))


def resolve(body: AnalysisIn, preference: dict[str, Any], zone: ZoneInfo) -> AnalysisParams:
    """The request completed by the caller's preference and the defaults, checked."""
    ranges = preference.get("default_ranges") or {}
    periods = {}
    for name in ("n_minus_1", "n"):
        given = _first(getattr(body, name), ranges.get(name))
        if given is None:
            raise InvalidInput.field(("body", name), "Field required", "missing")
        if isinstance(given, dict):
            given = RangeIn.model_validate(given)
        periods[name] = parse_period(given, zone, ("body", name))
    before, after = periods["n_minus_1"], periods["n"]
    if before.start < after.end and after.start < before.end:
        raise InvalidInput.field(("body", "n"), "N-1 and N overlap")
    nes = _listed(_first(body.ne, preference.get("nes") or None))
    cells = _listed(_first(body.cellid, preference.get("cells") or None))
    kept = ThresholdsIn.model_validate(preference.get("thresholds") or {})
    given = body.thresholds or ThresholdsIn()
    defaults = Thresholds()
    thresholds = Thresholds(
        **{
            key: _first(getattr(given, key), getattr(kept, key), getattr(defaults, key))
            for key in ("alpha", "rate_pp", "volume_pct", "min_attempts", "min_samples")
        },
        per_kpi={**(kept.per_kpi or {}), **(given.per_kpi or {})},
    )
    return AnalysisParams(
        n_minus_1=before,
        n=after,
        nes=nes,
        cells=cells,
        kpis=body.kpi_types or preference.get("kpis") or list(RAN_KPIS),
        grain=_first(body.grain, preference.get("grain"), "hour"),
        thresholds=thresholds,
        use_llm=body.use_llm,
    )
