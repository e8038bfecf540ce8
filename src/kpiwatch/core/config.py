"""One settings object, read from the environment (prefix ``KPIWATCH_``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr
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
        50 * 1024 * 1024,
        description="Largest body accepted by POST /api/ingest/{dataset} and POST /api/pm/files.",
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
    llm_url: str | None = Field(
        None,
        description="OpenAI-compatible chat endpoint that writes analysis narratives: "
        "a base URL such as http://host:8000/v1 (``/chat/completions`` is added) or the full "
        "…/chat/completions URL. Unset, the deterministic analyzer writes them.",
    )
    llm_model: str = Field("gpt-4o-mini", description="Model name sent to the LLM endpoint.")
    llm_api_key: SecretStr | None = Field(
        None, description="Bearer key of the LLM endpoint (never logged)."
    )
    llm_timeout_s: float = Field(
        30.0, gt=0, le=600, description="Longest wait for the LLM before falling back."
    )
    analysis_workers: int = Field(
        2,
        ge=0,
        le=32,
        description="Analysis jobs this process runs at once; 0 runs none (another process "
        "with workers picks the queued jobs up).",
    )
    analysis_lease_s: float = Field(
        60.0,
        gt=0,
        description="A running analysis job whose heartbeat is older than this was left by "
        "a dead process and is marked failed.",
    )
    analysis_poll_s: float = Field(
        2.0, gt=0, description="How often idle workers look for jobs queued by other processes."
    )
    preference_max_bytes: int = Field(
        64 * 1024, ge=1024, description="Largest preference document a user can save."
    )
    public_url: str | None = Field(
        None,
        description="Base URL people reach kpiwatch at (https://status.example.com), used "
        "for links in notifications and subscription mails; unset: http://host:port.",
    )
    smtp_host: str | None = Field(
        None, description="SMTP server for e-mail notifications; unset: no e-mail is sent."
    )
    smtp_port: int = Field(587, ge=1, le=65535, description="Port of the SMTP server.")
    smtp_security: Literal["starttls", "ssl", "none"] = Field(
        "starttls",
        description="starttls (upgrade the connection), ssl (TLS from the start, usually "
        "port 465) or none (a local relay only).",
    )
    smtp_username: str | None = Field(None, description="SMTP login, when the server needs one.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password (never logged).")
    smtp_from: str = Field(
        "kpiwatch <kpiwatch@localhost>", description="From address of notification mails."
    )
    notify_worker: bool = Field(
        True,
        description="Deliver queued notifications from this process (`serve --role notify` "
        "runs a delivery worker alone).",
    )
    notify_timeout_s: float = Field(
        10.0, gt=0, le=120, description="Longest wait for a webhook receiver or SMTP server."
    )
    notify_max_attempts: int = Field(
        6, ge=1, le=50, description="Attempts per notification before it is marked failed."
    )
    notify_backoff_s: float = Field(
        30.0,
        gt=0,
        description="Wait after the first failed attempt; it doubles after each further one.",
    )
    notify_backoff_max_s: float = Field(
        3600.0, gt=0, description="Longest wait between two attempts of one notification."
    )
    notify_poll_s: float = Field(
        2.0,
        gt=0,
        description="How often an idle worker looks for notifications queued by other "
        "processes (its own process wakes it at once).",
    )
    notify_lease_s: float = Field(
        120.0,
        gt=0,
        description="A claimed notification not finished within this time (its worker "
        "died) is claimed again by another worker.",
    )
    notify_batch: int = Field(
        50, ge=1, le=1000, description="Notifications a worker claims and sends at once."
    )
    notify_allow_private_targets: bool = Field(
        False,
        description="Let visitors' webhook subscriptions reach loopback and private "
        "addresses (off: such a target is refused, so the public form cannot probe the "
        "internal network). Admin-configured channels may always use them.",
    )
    subscribe_max_per_ip: int = Field(
        10, ge=1, description="Subscription requests one address may make per window."
    )
    subscribe_window_s: int = Field(
        3600, ge=1, description="Window of the subscription request limit."
    )
    subscribe_resend_s: int = Field(
        600,
        ge=0,
        description="A pending subscription gets at most one confirmation message per this "
        "many seconds, however often it is requested again.",
    )
    subscribe_confirm_ttl_s: int = Field(
        7 * 86400, ge=60, description="How long a confirmation link stays valid."
    )
    demo_password: str | None = Field(
        None, description="Password of the demo admin; generated once when unset."
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
