"""One settings object, read from the environment (prefix ``KPIWATCH_``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KPIWATCH_", extra="ignore")

    database_url: str = Field(
        "sqlite+aiosqlite:///./kpiwatch.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://…",
    )
    secret_key: str | None = Field(
        None,
        description="Key that signs tokens. When unset, one is generated on first start "
        "and stored in the database, so every process shares it.",
    )
    host: str = Field("127.0.0.1", description="Address `kpiwatch serve` binds to.")
    port: int = Field(8000, description="Port `kpiwatch serve` listens on.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Level of the JSON log lines written to stderr."
    )
    access_token_ttl_s: int = Field(24 * 3600, description="Lifetime of an access token.")
    refresh_token_ttl_s: int = Field(7 * 24 * 3600, description="Lifetime of a refresh token.")
    session_idle_s: int = Field(
        2 * 3600, description="A session unused for this long is ended (seed 004 §6.3)."
    )
    login_max_failures: int = Field(
        5, description="Failed logins per username or IP allowed within the window."
    )
    login_window_s: int = Field(15 * 60, description="Window of the login failure limit.")
    ingest_max_bytes: int = Field(
        50 * 1024 * 1024, description="Largest body accepted by POST /api/ingest/{dataset}."
    )
    scheduler_enabled: bool = Field(
        True, description="Run the periodic jobs (KPI refresh) in this process."
    )
    kpi_refresh_s: int = Field(
        300, ge=10, description="How often every KPI's current and previous period are recomputed."
    )
    redis_url: str | None = Field(
        None,
        description="redis://host:port/db. When set, Socket.IO events fan out through Redis "
        "to the clients of every kpiwatch process; unset, each process serves its own.",
    )
    redis_channel: str = Field(
        "kpiwatch",
        description="Redis pub/sub channel of the Socket.IO events; processes that should "
        "share events use the same one.",
    )
    demo_password: str | None = Field(
        None, description="Password of the demo admin; generated once when unset."
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
