"""What the runner works with: a monitor's configuration and one check's result."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from kpiwatch.watch import conditions as conditions_

ERROR_TYPES = (
    "timeout",
    "connection_error",
    "dns_error",
    "tls_error",
    "http_error",
    "keyword_mismatch",
    "json_mismatch",
    "condition_failed",
)


@dataclass(frozen=True)
class MonitorSpec:
    id: int
    tenant_id: int
    service_id: str
    tz: ZoneInfo
    type: str
    created_at: datetime
    url: str | None = None
    host: str | None = None
    port: int | None = None
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    expected_status: tuple[int, ...] = ()
    follow_redirects: bool = True
    keyword: str | None = None
    keyword_absent: bool = False
    json_path: str | None = None
    json_expected: str | None = None
    tls_days_min: int | None = None
    conditions: tuple[conditions_.Condition, ...] = ()
    interval_s: float = 60.0
    timeout_s: float = 10.0
    grace_s: float = 60.0
    failures_before_down: int = 3
    successes_before_up: int = 1
    degraded_ms: int = 7000

    @classmethod
    def from_row(cls, row: dict[str, Any], tz: ZoneInfo) -> MonitorSpec:
        return cls(
            id=row["id"],
            tenant_id=row["tenant_id"],
            service_id=row["service_id"],
            tz=tz,
            type=row["type"],
            created_at=row["created_at"],
            url=row["url"],
            host=row["host"],
            port=row["port"],
            method=row["method"],
            headers=dict(row["headers"] or {}),
            body=row["body"],
            expected_status=tuple(row["expected_status"] or ()),
            follow_redirects=row["follow_redirects"],
            keyword=row["keyword"],
            keyword_absent=row["keyword_absent"],
            json_path=row["json_path"],
            json_expected=row["json_expected"],
            tls_days_min=row["tls_days_min"],
            conditions=tuple(conditions_.parse(c) for c in row.get("conditions") or ()),
            interval_s=row["interval_s"],
            timeout_s=row["timeout_s"],
            grace_s=row["grace_s"],
            failures_before_down=row["failures_before_down"],
            successes_before_up=row["successes_before_up"],
            degraded_ms=row["degraded_ms"],
        )


@dataclass(frozen=True)
class CheckResult:
    """One check. ``status`` is ``up``, ``degraded``, ``down`` or ``maintenance``."""

    monitor_id: int
    at: datetime
    status: str
    status_code: int | None = None
    response_ms: float | None = None
    error_type: str | None = None
    error_message: str | None = None
    timings: dict[str, float] | None = None

    @property
    def is_success(self) -> bool:
        return self.status in ("up", "degraded")
