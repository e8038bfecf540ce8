"""Settings of the watch server (prefix ``KPIWATCH_WATCH_``).

They live beside the slice rather than in ``core.config`` so the watch server can be tuned
without touching the core; ``create_app`` takes them like it takes ``Settings``.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WatchSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KPIWATCH_WATCH_", extra="ignore")

    enabled: bool | None = Field(
        None,
        description="Run the check runner inside the API process. Unset: on for "
        "`kpiwatch serve`, off elsewhere (tests, `kpiwatch demo --no-serve`).",
    )
    min_interval_s: float = Field(
        10.0, ge=0.5, description="Shortest interval a monitor may have (tests use 1 s)."
    )
    max_connections: int = Field(
        1000, ge=1, description="Connections the check client keeps open at most."
    )
    dns_cache_s: int = Field(300, ge=0, description="How long resolved names are reused.")
    flush_interval_s: float = Field(
        1.0, gt=0, description="Results are written at least this often."
    )
    buffer_max: int = Field(
        100_000,
        ge=1,
        description="Raw results kept in memory while the database is unreachable; past "
        "this the oldest are dropped (counted and logged), rollups are kept whole.",
    )
    reload_s: float = Field(10.0, gt=0, description="How often monitor changes are picked up.")
    results_retention_h: int = Field(
        48, ge=1, description="Normal check results (up, and maintenance) are kept this long."
    )
    abnormal_retention_days: int = Field(
        90,
        ge=1,
        description="Failed and degraded check results are kept this long: the days of the "
        "status page's bars, so every bad day can be explained check by check.",
    )
    minute_retention_days: int = Field(
        14, ge=1, description="Minute rollups (monitors checked more often than every 60 s)."
    )
    hour_retention_days: int = Field(30, ge=1, description="Hour rollups are kept this long.")
    rollup_retention_days: int = Field(
        400, ge=1, description="Day rollups and the closed status timeline are kept this long."
    )
    status_cache_s: float = Field(
        60.0,
        ge=0,
        description="GET /api/system-status answers from a board made at most once per "
        "second, whose days before today are read again at least this often (a late "
        "result of an earlier day shows within this time); 0 reads everything for every "
        "request.",
    )
    max_body_bytes: int = Field(
        1024 * 1024, ge=1024, description="Bytes of a response body read for keyword/JSON checks."
    )
    demo_target: bool = Field(
        False,
        description="Serve the demo services' scripted health endpoints under /demo-target/ "
        "(`kpiwatch demo` turns it on).",
    )
