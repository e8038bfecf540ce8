"""Each user's RAN preferences: chosen KPIs, NEs and cells, default periods, thresholds.

One JSON document per user (``preferences`` row with key ``ran``), replaced whole by each
save, validated field by field (unknown fields, unknown KPIs, bad periods and out-of-range
thresholds are 422 with their path) and at most ``preference_max_bytes`` long. An analysis
request that leaves a field out takes it from here (``ran.analysis_params.resolve``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core import audit
from kpiwatch.core.context import Caller
from kpiwatch.core.db import upsert_into
from kpiwatch.core.errors import PermissionDenied
from kpiwatch.ran.analysis_models import preferences
from kpiwatch.ran.analysis_params import (
    Name,
    PeriodIn,
    Strict,
    ThresholdsIn,
    check_kpis,
    check_period_syntax,
)
from kpiwatch.ran.kpis import Grain

KEY = "ran"


class RangesIn(Strict):
    n_minus_1: PeriodIn | None = None
    n: PeriodIn | None = None


class PreferenceIn(Strict):
    """``POST /api/preference``: the whole document (fields left out are cleared)."""

    kpis: Annotated[list[str], Field(max_length=50)] = []
    nes: Annotated[list[Name], Field(max_length=1000)] = []
    cells: Annotated[list[Name], Field(max_length=5000)] = []
    default_ranges: RangesIn | None = None
    grain: Grain | None = None
    thresholds: ThresholdsIn | None = None

    @field_validator("kpis")
    @classmethod
    def _kpis(cls, value: list[str]) -> list[str]:
        return check_kpis(value) or []


def _user_id(caller: Caller) -> int:
    if caller.user_id is None:
        raise PermissionDenied("preferences belong to a user; an API key has none")
    return caller.user_id


def _shape(caller: Caller, value: dict[str, Any], updated_at: datetime | None) -> dict[str, Any]:
    return {"user": caller.name, "preferences": value, "updated_at": updated_at}


async def load(conn: AsyncConnection, caller: Caller) -> dict[str, Any]:
    """The caller's saved document, or the empty one."""
    row = (
        await conn.execute(
            select(preferences.c.value, preferences.c.updated_at).where(
                preferences.c.user_id == _user_id(caller), preferences.c.key == KEY
            )
        )
    ).first()
    if row is None:
        return _shape(caller, PreferenceIn().model_dump(mode="json"), None)
    return _shape(caller, row.value, row.updated_at)


async def saved(conn: AsyncConnection, caller: Caller) -> dict[str, Any]:
    """The document an analysis completes its request with ({} for API keys)."""
    if caller.user_id is None:
        return {}
    value: dict[str, Any] = (await load(conn, caller))["preferences"]
    return value


async def save(conn: AsyncConnection, caller: Caller, document: PreferenceIn) -> dict[str, Any]:
    user_id = _user_id(caller)
    ranges = document.default_ranges
    for name in ("n_minus_1", "n"):
        given = getattr(ranges, name) if ranges else None
        if given is not None:
            check_period_syntax(given, ("body", "default_ranges", name))
    value = document.model_dump(mode="json")
    statement = upsert_into(conn, preferences).values(
        user_id=user_id, key=KEY, tenant_id=caller.tenant_id, value=value, updated_at=caller.now
    )
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id", "key"],
            set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
        )
    )
    await audit.record(conn, caller, "update", "preference", user_id, {"key": KEY})
    return _shape(caller, value, caller.now)
