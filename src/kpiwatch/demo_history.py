"""90 days of check history for the demo's monitors, so the status page's bars are full on
the first start.

The history is *replayed*, not invented: for each past check time the demo target's
schedule (``demo_target.answer``) says what the service would have answered, the same
judgement as a live check (status code, keyword, JSON path, conditions) turns that into a
result, and the runner's own state machine, rollup deltas and batch writer store it. So
retries, the dating back of outages, downtime seconds, day codes and the status timeline
are exactly what the live watch server would have produced; writing percentages directly
would show bars that the code could never have computed, and would hide a bug in the
real path.

Two economies, both about volume, not about figures: the replay checks every
``STEP_S`` (5 minutes; 26 k steps per monitor instead of 130 k), with every scripted
event lasting at least three steps so the retries confirm it as they do live; and what
retention would delete at once (``watch.retention.trim``: normal results older than their
short retention, hour rollups older than theirs) is not written.

Only monitors that have never been checked are replayed, so loading the demo again adds
nothing: the time the demo was not running stays "no data".
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta

from kpiwatch.core.clock import Clock
from kpiwatch.core.db import Database
from kpiwatch.demo_target import answer
from kpiwatch.watch import retention
from kpiwatch.watch.checks import answer_error, classify
from kpiwatch.watch.config import WatchSettings
from kpiwatch.watch.runner import Runner
from kpiwatch.watch.spec import CheckResult, MonitorSpec

STEP_S = 300
DAYS = 90


def _service_of(spec: MonitorSpec) -> str | None:
    marker = "/demo-target/"
    if spec.url is None or marker not in spec.url:
        return None
    return spec.url.rsplit(marker, 1)[1].strip("/") or None


def replayed_result(spec: MonitorSpec, service: str, at: datetime) -> CheckResult:
    """The result a live check of ``spec`` would have recorded at ``at``."""
    scripted = answer(service, at)
    body = json.dumps(scripted.body)
    error = answer_error(spec, scripted.status, body, scripted.delay_ms)
    return classify(spec, at, scripted.delay_ms, status_code=scripted.status, error=error)


async def seed(
    db: Database, settings: WatchSettings, now: datetime, days: int = DAYS
) -> dict[str, int]:
    """Replay ``days`` of demo-target checks ending at ``now`` for never-checked demo
    monitors; answers the number of replayed checks per service."""
    runner = Runner(db, settings.model_copy(update={"buffer_max": 10**7}), Clock())
    await runner.load()
    pending = {
        mid: (replace(spec, interval_s=STEP_S), service)
        for mid, spec in runner.specs.items()
        if (service := _service_of(spec)) is not None and mid not in runner.states
    }
    runner.specs = {mid: spec for mid, (spec, _service) in pending.items()}
    counts: dict[str, int] = {}
    start = now - timedelta(days=days)
    steps = int((now - start).total_seconds() // STEP_S)
    for first in range(0, steps + 1, 288):
        for step in range(first, min(first + 288, steps + 1)):
            at = now - timedelta(seconds=(steps - step) * STEP_S)
            for spec, service in pending.values():
                runner.process(replayed_result(spec, service, at))
                counts[service] = counts.get(service, 0) + 1
        retention.trim(runner.batch, settings, now)
        if not await runner.flush():
            raise RuntimeError("writing the demo history failed (see the log)")
    return counts
