"""Migration ``kpi_0014`` on a database that holds KPI values: every value kept, keyed by
KPI, period and dimensions instead of an id, and the way back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from sqlalchemy import bindparam, inspect, text
from sqlalchemy.exc import IntegrityError

from kpiwatch.core.db import UTCDateTime, make_engine
from kpiwatch.core.migrate import alembic_config, upgrade

DAY = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
NEXT = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
INSERT = text(
    "INSERT INTO kpi_values (kpi_id, period_start, period_end, dims_key, dims, value, parts, "
    "computed_at) VALUES (3, :start, :end, :key, :dims, :value, '{}', :start)"
).bindparams(bindparam("start", type_=UTCDateTime), bindparam("end", type_=UTCDateTime))
VALUES = [
    {"key": "", "dims": "{}", "value": 80.0},
    {"key": '{"service":"mail"}', "dims": '{"service": "mail"}', "value": 75.0},
]
READ = "SELECT dims_key, value FROM kpi_values ORDER BY dims_key"


async def _migrate(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        await upgrade(engine, "kpi_0013")
        async with engine.begin() as conn:
            for row in VALUES:
                await conn.execute(INSERT, {"start": DAY, "end": NEXT, **row})
        await upgrade(engine)
        out: dict[str, Any] = {}
        async with engine.connect() as conn:
            out["after"] = [tuple(r) for r in await conn.execute(text(READ))]
            out["key"] = await conn.run_sync(
                lambda c: inspect(c).get_pk_constraint("kpi_values")["constrained_columns"]
            )
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(INSERT, {"start": DAY, "end": NEXT, **VALUES[1]})
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: command.downgrade(alembic_config(c), "kpi_0013"))
        async with engine.begin() as conn:
            out["back"] = [tuple(r) for r in await conn.execute(text(READ))]
            out["ids"] = sorted((await conn.execute(text("SELECT id FROM kpi_values"))).scalars())
            await conn.execute(INSERT, {"start": NEXT, "end": NEXT, **VALUES[0]})
        return out
    finally:
        await engine.dispose()


def test_it_keys_the_values_by_kpi_period_and_dimensions(fresh_url: str) -> None:
    found = asyncio.run(_migrate(fresh_url))
    assert found["after"] == [("", 80.0), ('{"service":"mail"}', 75.0)]
    assert found["key"] == ["kpi_id", "period_start", "dims_key"]
    assert found["back"] == found["after"]
    assert found["ids"] == [1, 2]
