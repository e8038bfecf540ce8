"""Deleting what is past retention: normal results after hours, abnormal ones, rollups and
the timeline after days (``WatchSettings``). The runner calls ``prune`` once a day."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete

from kpiwatch.core.db import Database
from kpiwatch.watch.config import WatchSettings
from kpiwatch.watch.models import check_results, check_rollups, status_timeline


async def prune(db: Database, settings: WatchSettings, now: datetime) -> dict[str, int]:
    """Delete expired rows; answers how many of each kind went."""
    short = now - timedelta(hours=settings.results_retention_h)
    long = now - timedelta(days=settings.abnormal_retention_days)
    minutes = now - timedelta(days=settings.minute_retention_days)
    rollups = now - timedelta(days=settings.rollup_retention_days)
    statements = {
        "results": delete(check_results).where(
            check_results.c.at < short, check_results.c.status == "up"
        ),
        "abnormal_results": delete(check_results).where(check_results.c.at < long),
        "minute_rollups": delete(check_rollups).where(
            check_rollups.c.grain == "minute", check_rollups.c.bucket_start < minutes
        ),
        "rollups": delete(check_rollups).where(check_rollups.c.bucket_start < rollups),
        "timeline": delete(status_timeline).where(status_timeline.c.ended_at < rollups),
    }
    counts: dict[str, int] = {}
    async with db.write() as conn:
        for name, statement in statements.items():
            counts[name] = (await conn.execute(statement)).rowcount
    return counts
