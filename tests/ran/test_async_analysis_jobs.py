"""Analysis jobs: progress while running, cancel (running and queued), the list and health,
a job orphaned by a dead process, and a clean stop that puts running jobs back in the queue.

A loopback LLM that holds its answer keeps a job at the narrative step (85 %) for as long
as the test needs.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select
from tests.conftest import T0
from tests.ran.analysis_support import (
    N_MINUS_1,
    LlmServer,
    N,
    hourly_csv,
    login_headers,
    start,
    upload,
    wait_for,
)

from kpiwatch.app import create_app
from kpiwatch.core.clock import Clock
from kpiwatch.core.config import Settings
from kpiwatch.core.db import make_engine
from kpiwatch.core.models import tenants
from kpiwatch.ran.analysis_models import analysis_jobs
from kpiwatch.ran.analysis_params import AnalysisIn, resolve
from kpiwatch.ran.jobs import RESTART_ERROR

Headers = Callable[[str], dict[str, str]]
COUNTERS = {
    ("ENB7", "C1", "RRC.ConnEstabAtt.sum"): ([1000] * 6, [1000] * 6),
    ("ENB7", "C1", "RRC.ConnEstabSucc.sum"): ([990] * 6, [960] * 6),
}


@pytest.fixture
def llm() -> Iterator[LlmServer]:
    with LlmServer("hold", "a narrative") as server:
        yield server


@pytest.fixture
def settings(database_url: str, llm: LlmServer) -> Settings:
    return Settings(database_url=database_url, scheduler_enabled=False, llm_url=llm.url)


def _until(check: Callable[[], dict[str, Any] | None], timeout: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (found := check()) is None:
        assert time.monotonic() < deadline, "condition never met"
        time.sleep(0.05)
    return found


def _at_narrative(client: TestClient, auth: dict[str, str], job_id: str) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        job: dict[str, Any] = client.get(
            f"/api/async-analysis/status/{job_id}", headers=auth
        ).json()
        return job if (job["status"], job["progress"]) == ("running", 85) else None

    return _until(check)


def test_it_shows_progress_and_cancels_a_running_job(
    client: TestClient, headers: Headers, llm: LlmServer
) -> None:
    upload(client, headers, "bob", hourly_csv(COUNTERS))
    job = start(client, headers, kpi_types=["RRC_SETUP_SR"])
    auth = headers("carol")
    running = _at_narrative(client, auth, job["analysis_id"])
    assert running["started_at"] is not None and running["finished_at"] is None
    assert len(llm.requests) == 1  # waiting for the LLM's answer
    health = client.get("/api/async-analysis/health", headers=auth).json()
    assert (health["workers"], health["running_here"]) == (2, 1)
    assert health["jobs"]["running"] == 1
    cancel = f"/api/async-analysis/cancel/{job['analysis_id']}"
    cancelled = client.post(cancel, headers=headers("bob"))
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["error"]) == (
        "cancelled",
        "cancelled by bob",
    )
    llm.release()
    time.sleep(0.3)  # had the job gone on, it would have finished by now
    final = client.get(f"/api/async-analysis/status/{job['analysis_id']}", headers=auth).json()
    assert (final["status"], final["progress"], final["result_id"]) == ("cancelled", 85, None)
    refused = client.get(f"/api/async-analysis/result/{job['analysis_id']}", headers=auth)
    assert refused.status_code == 409
    assert refused.json()["detail"].endswith("is cancelled: cancelled by bob")
    assert client.get("/api/analysis/results", headers=auth).json()["total"] == 0
    again = client.post(cancel, headers=headers("bob"))
    assert again.status_code == 409


def test_it_lists_jobs_newest_first_with_a_status_filter(
    client: TestClient, headers: Headers, clock: Clock
) -> None:
    first = start(client, headers, kpi_types=["RRC_SETUP_SR"], use_llm=False)
    wait_for(client, headers("bob"), first["analysis_id"])
    clock.advance(minutes=1)
    second = start(client, headers, "alice", kpi_types=["RRC_SETUP_SR"], use_llm=False)
    wait_for(client, headers("bob"), second["analysis_id"])
    auth = headers("carol")
    listed = client.get("/api/async-analysis/list", headers=auth).json()
    assert listed["total"] == 2
    assert [j["analysis_id"] for j in listed["items"]] == [
        second["analysis_id"],
        first["analysis_id"],
    ]
    assert [j["requested_by"] for j in listed["items"]] == ["alice", "bob"]
    assert client.get("/api/async-analysis/list?status=running", headers=auth).json()["total"] == 0
    paged = client.get("/api/async-analysis/list?status=succeeded&limit=1&page=2", headers=auth)
    assert [j["analysis_id"] for j in paged.json()["items"]] == [first["analysis_id"]]
    wrong = client.get("/api/async-analysis/list?status=done", headers=auth)
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["loc"] == ["query", "status", 0]


def test_it_cancels_a_queued_job_when_no_worker_runs_here(database_url: str, clock: Clock) -> None:
    settings = Settings(database_url=database_url, scheduler_enabled=False, analysis_workers=0)
    with TestClient(create_app(settings, clock)) as client:
        auth = login_headers(client)
        job = start(client, auth, kpi_types=["RRC_SETUP_SR"])
        time.sleep(0.2)
        status = client.get(f"/api/async-analysis/status/{job['analysis_id']}", headers=auth("bob"))
        assert (status.json()["status"], status.json()["progress"]) == ("queued", 0)
        health = client.get("/api/async-analysis/health", headers=auth("carol")).json()
        assert (health["status"], health["workers"]) == ("no workers in this process", 0)
        assert health["jobs"]["queued"] == 1
        assert health["llm"] == {"configured": False, "analyzer": "deterministic"}
        cancelled = client.post(
            f"/api/async-analysis/cancel/{job['analysis_id']}", headers=auth("alice")
        )
        assert cancelled.json()["status"] == "cancelled"
        assert cancelled.json()["error"] == "cancelled by alice"


def _job_row(tenant_id: int, status: str, heartbeat_ago: timedelta | None) -> dict[str, Any]:
    body = AnalysisIn(n_minus_1=N_MINUS_1, n=N, kpi_types=["RRC_SETUP_SR"], use_llm=False)
    params = resolve(body, {}, ZoneInfo("UTC"))
    beat = None if heartbeat_ago is None else T0 - heartbeat_ago
    return {
        "id": uuid.uuid4().hex,
        "tenant_id": tenant_id,
        "username": "bob",
        "params": {"analysis": params.as_dict(), "timezone": "UTC", "source": "async-analysis"},
        "status": status,
        "progress": 40 if status == "running" else 0,
        "worker": "host:4242:dead" if status == "running" else None,
        "created_at": T0 - timedelta(hours=1),
        "started_at": beat,
        "heartbeat_at": beat,
    }


async def _insert(url: str, *states: tuple[str, timedelta | None]) -> list[str]:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            tenant = (
                await conn.execute(select(tenants.c.id).where(tenants.c.slug == "default"))
            ).scalar_one()
            rows = [_job_row(tenant, status, ago) for status, ago in states]
            await conn.execute(insert(analysis_jobs), rows)
        return [row["id"] for row in rows]
    finally:
        await engine.dispose()


async def _status(url: str, job_id: str) -> tuple[str, int]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    select(analysis_jobs.c.status, analysis_jobs.c.progress).where(
                        analysis_jobs.c.id == job_id
                    )
                )
            ).one()
        return row.status, row.progress
    finally:
        await engine.dispose()


def test_it_fails_a_job_orphaned_by_a_dead_process_at_start(
    database_url: str, clock: Clock
) -> None:
    orphan, alive, queued = asyncio.run(
        _insert(
            database_url,
            ("running", timedelta(minutes=10)),  # no heartbeat for 10 min: its process died
            ("running", timedelta(seconds=5)),  # another process is still on it
            ("queued", None),
        )
    )
    settings = Settings(database_url=database_url, scheduler_enabled=False)
    with TestClient(create_app(settings, clock)) as client:
        auth = login_headers(client)("carol")
        failed = client.get(f"/api/async-analysis/status/{orphan}", headers=auth).json()
        assert (failed["status"], failed["error"]) == ("failed", RESTART_ERROR)
        assert failed["finished_at"] is not None
        still = client.get(f"/api/async-analysis/status/{alive}", headers=auth).json()
        assert (still["status"], still["progress"]) == ("running", 40)
        done = wait_for(client, auth, queued)
        assert done["status"] == "succeeded"


def test_it_puts_a_running_job_back_in_the_queue_on_a_clean_stop(
    database_url: str, settings: Settings, clock: Clock, llm: LlmServer
) -> None:
    with TestClient(create_app(settings, clock)) as client:
        auth = login_headers(client)
        job = start(client, auth, kpi_types=["RRC_SETUP_SR"])
        _at_narrative(client, auth("bob"), job["analysis_id"])
    assert asyncio.run(_status(database_url, job["analysis_id"])) == ("queued", 0)
