"""Settings of automatic incidents (prefix ``KPIWATCH_INCIDENTS_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class IncidentSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KPIWATCH_INCIDENTS_", extra="ignore")

    auto_open_after_s: int = Field(
        300,
        ge=0,
        description="How long a service opted into automatic incidents must be in major or "
        "partial outage before one is opened (a service's own setting wins).",
    )
    auto_quiet_s: int = Field(
        900,
        ge=0,
        description="How long a recovered service must stay out of outage before its "
        "automatic incident is resolved.",
    )
    auto_check_s: float = Field(
        15.0,
        gt=0,
        description="How often services are re-evaluated; a stored check batch with a state "
        "change triggers an evaluation at once.",
    )
