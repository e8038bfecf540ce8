"""Helpers for KPI tests: ingest rows as a persona, run the formula engine in the app."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from datetime import datetime
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from kpiwatch.core import tenancy
from kpiwatch.kpi.formula import Formula, parse
from kpiwatch.kpi.formula.compute import KpiRow, compute, compute_rollup

Ingest = Callable[[str, str, list[dict[str, Any]]], None]


@pytest.fixture
def ingest(client: TestClient, headers: Callable[[str], dict[str, str]]) -> Ingest:
    """``ingest(persona, dataset, rows)`` through ``POST /api/ingest/<dataset>``."""

    def send(persona: str, dataset: str, rows: list[dict[str, Any]]) -> None:
        body = b"\n".join(orjson.dumps(row) for row in rows)
        response = client.post(
            f"/api/ingest/{dataset}",
            content=body,
            headers={**headers(persona), "Content-Type": "application/x-ndjson"},
        )
        assert response.status_code == 200, response.text
        assert response.json()["inserted"] == len(rows)

    return send


@pytest.fixture
def tenant_id(client: TestClient) -> Callable[[str], int]:
    async def lookup(slug: str) -> int:
        async with client.app.state.db.read() as conn:
            return await tenancy.tenant_id_by_slug(conn, slug)

    return lambda slug: client.portal.call(lookup, slug)


class Kpi:
    """Computes a formula in the test app's database."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def compute(
        self,
        formula: str | Formula,
        tenant: int,
        spans: Sequence[tuple[datetime, datetime]],
        dimensions: Sequence[str] = (),
        spare: int = 0,
    ) -> list[KpiRow]:
        """``spare``: more connections sharing the work (``compute(spare=…)``)."""
        checked = parse(formula) if isinstance(formula, str) else formula

        async def run() -> list[KpiRow]:
            db = self.client.app.state.db
            async with AsyncExitStack() as stack:
                conn, *others = [
                    await stack.enter_async_context(db.read()) for _ in range(1 + spare)
                ]
                return await compute(conn, checked, tenant, spans, dimensions, spare=others)

        return self.client.portal.call(run)

    def rollup(
        self,
        formula: str | Formula,
        tenant: int,
        spans: Sequence[tuple[datetime, datetime]],
        **options: Any,
    ) -> list[KpiRow]:
        checked = parse(formula) if isinstance(formula, str) else formula

        async def run() -> list[KpiRow]:
            async with self.client.app.state.db.read() as conn:
                return await compute_rollup(conn, checked, tenant, spans, **options)

        return self.client.portal.call(run)


@pytest.fixture
def kpi(client: TestClient) -> Kpi:
    return Kpi(client)
