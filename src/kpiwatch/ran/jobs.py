"""Analysis jobs: rows in ``analysis_jobs`` run by a bounded pool of asyncio workers.

- A worker **claims** the oldest queued job with one conditional UPDATE (``WHERE status =
  'queued'``, ``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and a rowcount check, so several
  processes can share the queue. Idle workers wake when this process queues a job and
  every ``analysis_poll_s`` for jobs queued elsewhere.
- A running job reports **progress** through ``JobContext.step``, an UPDATE guarded by
  ``status = 'running'``: when it matches no row the job was cancelled, and the job stops
  there. A heartbeat task refreshes ``heartbeat_at`` while the job waits (on the LLM, say)
  and stops the job as soon as it sees it cancelled, in this process or another.
- **Cancel** marks a queued or running job ``cancelled``; a job running in this process is
  interrupted at once, one in another process at its next step or heartbeat.
- A job left ``running`` by a process that died has a heartbeat older than
  ``analysis_lease_s``: at start-up and at every poll it is marked **failed** ("interrupted
  by a restart"). Failing rather than requeueing is deliberate: a job that crashed its
  process would crash the next one too, and the user can start it again in one click.
  A process that stops cleanly puts its running jobs back in the queue instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core.clock import Clock
from kpiwatch.core.db import Database
from kpiwatch.ran.analysis_models import analysis_jobs

log = logging.getLogger(__name__)

RESTART_ERROR = "interrupted by a restart: the process running it stopped"


class JobCancelled(Exception):
    """The job's row is no longer ``running``: it was cancelled (or failed by a sweep)."""


@dataclass(frozen=True)
class Job:
    id: str
    tenant_id: int
    user_id: int | None
    params: dict[str, Any]


class JobContext:
    """What a running job may do to its own row."""

    def __init__(self, db: Database, clock: Clock, job: Job) -> None:
        self.db = db
        self.clock = clock
        self.job = job

    async def step(self, progress: int) -> None:
        """Record progress (0-100); raises ``JobCancelled`` when the job was cancelled."""
        async with self.db.write() as conn:
            await self._touch(conn, progress=max(0, min(99, progress)))

    async def heartbeat(self) -> None:
        async with self.db.write() as conn:
            await self._touch(conn)

    async def finish(self, conn: AsyncConnection, result_id: int) -> None:
        """Mark the job succeeded in the transaction that stores its result."""
        now = self.clock.now()
        await self._touch(
            conn, status="succeeded", progress=100, result_id=result_id, finished_at=now
        )

    async def _touch(self, conn: AsyncConnection, **values: Any) -> None:
        result = await conn.execute(
            update(analysis_jobs)
            .where(analysis_jobs.c.id == self.job.id, analysis_jobs.c.status == "running")
            .values(heartbeat_at=self.clock.now(), **values)
        )
        if result.rowcount != 1:
            raise JobCancelled(self.job.id)


Runner = Callable[[JobContext], Awaitable[None]]


async def fail_orphans(db: Database, clock: Clock, lease_s: float) -> int:
    """Mark failed the running jobs whose heartbeat is older than the lease."""
    now = clock.now()
    async with db.write() as conn:
        result = await conn.execute(
            update(analysis_jobs)
            .where(
                analysis_jobs.c.status == "running",
                analysis_jobs.c.heartbeat_at < now - timedelta(seconds=lease_s),
            )
            .values(status="failed", error=RESTART_ERROR, finished_at=now)
        )
    if result.rowcount:
        log.warning(
            "analysis jobs left running by a dead process marked failed",
            extra={"fields": {"jobs": result.rowcount}},
        )
    return int(result.rowcount)


class JobPool:
    """``workers`` asyncio tasks that run queued analysis jobs with ``runner``."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        runner: Runner,
        *,
        workers: int,
        lease_s: float,
        poll_s: float,
    ) -> None:
        self.db = db
        self.clock = clock
        self.runner = runner
        self.size = workers
        self.lease_s = lease_s
        self.poll_s = poll_s
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()
        self._workers: list[asyncio.Task[None]] = []
        self._running: dict[str, asyncio.Task[None]] = {}

    @property
    def running_here(self) -> list[str]:
        return sorted(self._running)

    async def start(self) -> None:
        await fail_orphans(self.db, self.clock, self.lease_s)
        self._workers = [
            asyncio.create_task(self._work(), name=f"analysis-worker-{i}") for i in range(self.size)
        ]
        self._workers.append(asyncio.create_task(self._sweep(), name="analysis-sweeper"))

    async def stop(self) -> None:
        """Stop the workers; the jobs they were running go back to the queue."""
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []

    def notify(self) -> None:
        """A job was queued: wake an idle worker now rather than at the next poll."""
        self._wake.set()

    def interrupt(self, job_id: str) -> bool:
        """Stop a job running in this process (its row is already ``cancelled``)."""
        task = self._running.get(job_id)
        if task is None:
            return False
        task.cancel()
        return True

    async def _work(self) -> None:
        while True:
            try:
                job = await self._claim()
            except Exception:
                log.exception("claiming an analysis job failed")
                job = None
            if job is None:
                await self._idle()
                continue
            await self._run(job)

    async def _idle(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self.poll_s)
        self._wake.clear()

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(self.lease_s / 2)
            try:
                await fail_orphans(self.db, self.clock, self.lease_s)
            except Exception:
                log.exception("sweeping orphaned analysis jobs failed")

    async def _claim(self) -> Job | None:
        now = self.clock.now()
        async with self.db.write() as conn:
            candidate = (
                await conn.execute(
                    select(
                        analysis_jobs.c.id,
                        analysis_jobs.c.tenant_id,
                        analysis_jobs.c.user_id,
                        analysis_jobs.c.params,
                    )
                    .where(analysis_jobs.c.status == "queued")
                    .order_by(analysis_jobs.c.created_at, analysis_jobs.c.id)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                )
            ).first()
            if candidate is None:
                return None
            claimed = await conn.execute(
                update(analysis_jobs)
                .where(analysis_jobs.c.id == candidate.id, analysis_jobs.c.status == "queued")
                .values(
                    status="running",
                    progress=0,
                    worker=self.name,
                    started_at=now,
                    heartbeat_at=now,
                )
            )
        if claimed.rowcount != 1:
            return None
        return Job(candidate.id, candidate.tenant_id, candidate.user_id, candidate.params)

    async def _run(self, job: Job) -> None:
        context = JobContext(self.db, self.clock, job)
        task = asyncio.create_task(self._guarded(context), name=f"analysis-job-{job.id}")
        self._running[job.id] = task
        beat = asyncio.create_task(self._heartbeat(context, task))
        try:
            await asyncio.wait([task])
            if not task.cancelled() and (error := task.exception()) is not None:
                log.error("analysis job could not be recorded as failed", exc_info=error)
        except asyncio.CancelledError:  # the pool stops: the job goes back to the queue
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await self._requeue(job.id)
            raise
        finally:
            beat.cancel()
            self._running.pop(job.id, None)

    async def _guarded(self, context: JobContext) -> None:
        try:
            await self.runner(context)
        except JobCancelled:
            log.info("analysis job stopped: cancelled", extra={"fields": {"job": context.job.id}})
        except Exception as exc:
            log.exception("analysis job failed", extra={"fields": {"job": context.job.id}})
            await self._fail(context.job.id, f"{type(exc).__name__}: {exc}")

    async def _heartbeat(self, context: JobContext, task: asyncio.Task[None]) -> None:
        while not task.done():
            await asyncio.sleep(self.lease_s / 3)
            try:
                await context.heartbeat()
            except JobCancelled:
                task.cancel()
                return
            except Exception:
                log.exception("analysis job heartbeat failed")

    async def _fail(self, job_id: str, error: str) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                update(analysis_jobs)
                .where(analysis_jobs.c.id == job_id, analysis_jobs.c.status == "running")
                .values(status="failed", error=error[:2000], finished_at=self.clock.now())
            )

    async def _requeue(self, job_id: str) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                update(analysis_jobs)
                .where(analysis_jobs.c.id == job_id, analysis_jobs.c.status == "running")
                .values(status="queued", progress=0, worker=None, started_at=None)
            )
