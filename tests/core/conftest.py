"""Helpers of the core tests: read the database behind the app, as the app stored it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Executable, select

from kpiwatch.core.db import make_engine
from kpiwatch.core.models import audit_log, tenants, users

Rows = Callable[[Executable], list[dict[str, Any]]]


async def _fetch(url: str, statement: Executable) -> list[dict[str, Any]]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return [dict(r._mapping) for r in await conn.execute(statement)]
    finally:
        await engine.dispose()


@pytest.fixture
def rows(database_url: str) -> Rows:
    """Run a ``select`` on the test database (outside the app) and return its rows."""
    return lambda statement: asyncio.run(_fetch(database_url, statement))


@pytest.fixture
def user_id(rows: Rows) -> Callable[[str], int]:
    """The id of a user by username."""

    def lookup(username: str) -> int:
        found = rows(select(users.c.id).where(users.c.username == username))
        assert len(found) == 1, f"no user {username!r}"
        return int(found[0]["id"])

    return lookup


@pytest.fixture
def audit_entries(rows: Rows) -> Callable[[], list[dict[str, Any]]]:
    """Every audit entry, oldest first, with its tenant's slug instead of its id."""

    def entries() -> list[dict[str, Any]]:
        return rows(
            select(
                tenants.c.slug.label("tenant"),
                audit_log.c.action,
                audit_log.c.entity,
                audit_log.c.entity_id,
                audit_log.c.user_id,
                audit_log.c.username,
                audit_log.c.detail,
                audit_log.c.ip,
                audit_log.c.at,
            )
            .join(tenants, tenants.c.id == audit_log.c.tenant_id)
            .order_by(audit_log.c.id)
        )

    return entries
