"""Deleting what is past retention (``WatchSettings``, docs/status.md): normal results after
hours, abnormal ones, minute, hour and day rollups and the closed timeline after days. The
runner calls ``prune`` once a day, beside its loop."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete

from kpiwatch.core.db import Database
from kpiwatch.watch.config import WatchSettings
from kpiwatch.watch.models import GRAINS, check_results, check_rollups, status_timeline
from kpiwatch.watch.writer import Batch

# Results kept for the short retention only; the others (down, degraded) are abnormal.
NORMAL = ("up", "maintenance")


def _cutoffs(settings: WatchSettings, now: datetime) -> dict[str, datetime]:
    """Rows older than these go: per result kind and per rollup grain."""
    return {
        "normal": now - timedelta(hours=settings.results_retention_h),
        "abnormal": now - timedelta(days=settings.abnormal_retention_days),
        "minute": now - timedelta(days=settings.minute_retention_days),
        "hour": now - timedelta(days=settings.hour_retention_days),
        "day": now - timedelta(days=settings.rollup_retention_days),
    }


async def prune(db: Database, settings: WatchSettings, now: datetime) -> dict[str, int]:
    """Delete expired rows; answers how many of each kind went."""
    cutoff = _cutoffs(settings, now)
    results, r = check_results.c, check_rollups.c
    statements = {
        "results": delete(check_results).where(
            results.at < cutoff["normal"], results.status.in_(NORMAL)
        ),
        "abnormal_results": delete(check_results).where(results.at < cutoff["abnormal"]),
        **{
            f"{grain}_rollups": delete(check_rollups).where(
                r.grain == grain, r.bucket_start < cutoff[grain]
            )
            for grain in GRAINS
        },
        "timeline": delete(status_timeline).where(status_timeline.c.ended_at < cutoff["day"]),
    }
    counts: dict[str, int] = {}
    async with db.write() as conn:
        for name, statement in statements.items():
            counts[name] = (await conn.execute(statement)).rowcount
    return counts


def trim(batch: Batch, settings: WatchSettings, now: datetime) -> None:
    """Drop from a batch what ``prune`` at ``now`` would delete at once: a replay of past
    checks (the demo's history, the storage benchmark) need not write it."""
    cutoff = _cutoffs(settings, now)
    kept = [
        r
        for r in batch.results
        if r.at >= cutoff["abnormal"] and (r.at >= cutoff["normal"] or r.status not in NORMAL)
    ]
    batch.results.clear()
    batch.results.extend(kept)
    for key in [k for k in batch.deltas if k[2] < cutoff[k[1]]]:
        del batch.deltas[key]
