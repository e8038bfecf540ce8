"""The built-in datasets: their fields, types and rules.

A dataset is what KPI formulas aggregate and, for the event datasets, what
``POST /api/ingest/{dataset}`` accepts. Each field has a kind (``str``, ``enum``, ``int``,
``timestamp``; ``number`` and ``histogram`` in read-only datasets); ``row_rules`` check
facts that span fields (a closed request needs ``resolved_at``, nothing ends before it
starts). Timestamps carry a UTC offset (``2026-01-31T23:30:00+09:00``, ``…Z``); one
without an offset is read in the tenant's time zone.

``monitor_hours`` and ``monitor_days`` are the watch server's rollups (views, see
``watch.models``), written by the watch server only: one row per monitor and UTC hour or
tenant-local day. A ``histogram`` field is a latency histogram (its buckets are columns
``<field>_le_<ms>``); the percentiles read it (``p95(latency of monitor_days)``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import is_not, lt
from typing import Any, Protocol

from sqlalchemy import Table

from kpiwatch.ingest.models import deployments, service_requests
from kpiwatch.watch.models import HIST_BOUNDS_MS, monitor_days, monitor_hours


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # "str" | "enum" | "int" | "timestamp"
    required: bool = False
    max_length: int = 100
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    default: Any = None
    description: str = ""
    buckets: tuple[int, ...] = ()
    """A histogram's bucket upper bounds (ms); the last bucket has none."""


# A rule is bound once to a dataset's field positions (``rule.bind(index)``); the check it
# returns takes a row's values in field order and answers ``(field, reason)`` or None.
RowCheck = Callable[[tuple[Any, ...]], "tuple[str, str] | None"]


class RowRule(Protocol):
    """A fact across the fields of a row, checked row by row or for whole columns."""

    def bind(self, index: dict[str, int]) -> RowCheck: ...

    def holds(self, columns: dict[str, Sequence[Any]]) -> bool:
        """True when no row of the columns (values by field name) breaks the rule."""
        ...


@dataclass(frozen=True)
class Dataset:
    name: str
    table: Table
    fields: tuple[Field, ...]
    row_rules: tuple[RowRule, ...] = field(default=())
    description: str = ""
    ingestable: bool = True
    finest_period: str | None = None
    """The shortest KPI period its rows fit (a day row cannot be split into hours)."""

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class _NotBefore:
    later: str
    earlier: str

    def bind(self, index: dict[str, int]) -> RowCheck:
        i, j = index[self.later], index[self.earlier]

        def check(row: tuple[Any, ...]) -> tuple[str, str] | None:
            a, b = row[i], row[j]
            if a is not None and b is not None and a < b:
                return self.later, f"is before {self.earlier}"
            return None

        return check

    def holds(self, columns: dict[str, Sequence[Any]]) -> bool:
        later, earlier = columns[self.later], columns[self.earlier]
        if None in later or None in earlier:
            pairs = zip(later, earlier, strict=True)
            return not any(a < b for a, b in pairs if a is not None and b is not None)
        return not any(map(lt, later, earlier))


@dataclass(frozen=True)
class _PresentWhen:
    """``column`` is set exactly when the status is one of ``statuses``."""

    column: str
    statuses: frozenset[str]

    def bind(self, index: dict[str, int]) -> RowCheck:
        i, s = index[self.column], index["status"]

        def check(row: tuple[Any, ...]) -> tuple[str, str] | None:
            status, value = row[s], row[i]
            if (status in self.statuses) == (value is not None):
                return None
            if value is None:
                return self.column, f"is required when status is {status}"
            return self.column, f"must be empty when status is {status}"

        return check

    def holds(self, columns: dict[str, Sequence[Any]]) -> bool:
        wanted = list(map(self.statuses.__contains__, columns["status"]))
        return wanted == list(map(is_not, columns[self.column], repeat(None)))


SERVICE_REQUESTS = Dataset(
    "service_requests",
    service_requests,
    (
        Field("id", "str", required=True),
        Field("service", "str", required=True),
        Field("category", "str"),
        Field("priority", "str", max_length=20),
        Field(
            "status", "enum", required=True, choices=("open", "in_progress", "done", "cancelled")
        ),
        Field("created_at", "timestamp", required=True),
        Field("first_response_at", "timestamp"),
        Field("resolved_at", "timestamp", description="when it was closed (done or cancelled)"),
        Field("sla_due_at", "timestamp"),
        Field("assignee", "str"),
        Field("reassignment_count", "int", minimum=0, default=0),
    ),
    (
        _PresentWhen("resolved_at", frozenset({"done", "cancelled"})),
        _NotBefore("resolved_at", "created_at"),
        _NotBefore("first_response_at", "created_at"),
    ),
    "Service requests and tickets (ITSM).",
)

DEPLOYMENTS = Dataset(
    "deployments",
    deployments,
    (
        Field("id", "str", required=True),
        Field("service", "str", required=True),
        Field(
            "status",
            "enum",
            required=True,
            choices=("succeeded", "failed", "rolled_back", "in_progress"),
        ),
        Field("started_at", "timestamp", required=True),
        Field("finished_at", "timestamp"),
    ),
    (
        _PresentWhen("finished_at", frozenset({"succeeded", "failed", "rolled_back"})),
        _NotBefore("finished_at", "started_at"),
    ),
    "Deployments and their outcome.",
)


def _rollup_fields(time_field: str, what: str) -> tuple[Field, ...]:
    def number(name: str, description: str) -> Field:
        return Field(name, "number", description=description)

    return (
        Field("service", "str", required=True, max_length=50),
        Field("monitor", "str", required=True, description="the monitor's name"),
        Field(time_field, "timestamp", required=True, description=f"start of the {what}"),
        number("checks", "checks run (maintenance ones excluded)"),
        number("ok", "checks up"),
        number("degraded", "checks slower than the monitor's degraded_ms"),
        number("failed", "checks down"),
        number("maintenance", "checks skipped during a maintenance window"),
        number("observed_s", "seconds observed (up, degraded or down)"),
        number("downtime_s", "seconds down"),
        number("degraded_s", "seconds degraded"),
        number("maintenance_s", "seconds in maintenance (not observed)"),
        number("timed", "checks with a response time"),
        number("sum_ms", "sum of the response times"),
        number("min_ms", "fastest response"),
        number("max_ms", "slowest response"),
        Field(
            "latency",
            "histogram",
            buckets=HIST_BOUNDS_MS,
            description="response times by bucket (read by p50, p90, p95, p99)",
        ),
    )


MONITOR_HOURS = Dataset(
    "monitor_hours",
    monitor_hours,
    _rollup_fields("hour", "UTC hour"),
    description="The watch server's checks per monitor and hour (kept 30 days).",
    ingestable=False,
    finest_period="HOURLY",
)
MONITOR_DAYS = Dataset(
    "monitor_days",
    monitor_days,
    _rollup_fields("day", "tenant-local day"),
    description="The watch server's checks per monitor and local day (kept 400 days).",
    ingestable=False,
    finest_period="DAILY",
)

DATASETS: dict[str, Dataset] = {
    d.name: d for d in (SERVICE_REQUESTS, DEPLOYMENTS, MONITOR_HOURS, MONITOR_DAYS)
}
