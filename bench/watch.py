"""The watch server under load, the status API's latency, and a year of storage.

1. **Check loop**: N http monitors at a 60 s interval against a local aiohttp target (a
   separate process), for ``--seconds`` (180): achieved checks/s, lateness of each check
   against its slot (p50/p99, from the runner's own ``lateness`` ring), CPU and peak RSS of
   the watch process (read from /proc), rows written. Target: 20,000 monitors (333
   checks/s) with p99 lateness ≤ 1 s and RSS ≤ 300 MB.
2. **Status API**: ``GET /api/system-status`` on a real ``kpiwatch serve --role api`` for
   50 services with 90 days of hour and day rollups (fed through ``rollups.upsert``):
   p50/p95 over sequential requests, as served and with its caches off, beside
   ``GET /api/services`` for the machine's floor. Target: p95 ≤ 15 ms.
3. **A year of storage**: ``--year-monitors`` monitors (2) checked every 60 s for 365 days
   with 1 % failures, fed through the runner's state machine, rollups and batch writer
   (no network), each with realistic phase timings. What retention would delete is not
   written (``watch.retention.trim``); the watch tables' size per monitor is then projected to
   1,000 monitors (the size is linear in monitors: every monitor writes the same rows).
   Target: ≤ 1 GB.

    .venv/bin/python bench/watch.py [--monitors 20000 5000 …] [--seconds 180]
        [--only sqlite|postgresql] [--skip loop,status,year] [--year-monitors 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import func, insert, select

from kpiwatch.core.clock import Clock
from kpiwatch.core.db import Database
from kpiwatch.core.migrate import upgrade
from kpiwatch.core.models import tenants
from kpiwatch.status.models import services
from kpiwatch.watch import retention, rollups
from kpiwatch.watch.config import WatchSettings
from kpiwatch.watch.models import check_results, check_rollups, monitors, status_timeline
from kpiwatch.watch.runner import Runner
from kpiwatch.watch.spec import CheckResult
from kpiwatch.watch.target import Target
from support import free_port, pg_database, pg_url

ROOT = Path(__file__).resolve().parent.parent
KPIWATCH = str(ROOT / ".venv" / "bin" / "kpiwatch")
TICK = os.sysconf("SC_CLK_TCK")
WATCH_TABLES = ("monitors", "monitor_state", "check_results", "check_rollups", "status_timeline")


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


@contextmanager
def database(backend: str, label: str) -> Iterator[str]:
    """A fresh, migrated database for one measurement."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{tmp}/{label}.db"
            asyncio.run(_migrate(url))
            yield url
        return
    name = f"kpiwatch_bench_{label}"
    asyncio.run(pg_database(name, create=True))
    url = pg_url(name)
    try:
        asyncio.run(_migrate(url))
        yield url
    finally:
        asyncio.run(pg_database(name, create=False))


async def _migrate(url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db.engine)
    finally:
        await db.dispose()


async def _add_monitors(db: Database, count: int, url: str, prefix: str = "svc") -> list[int]:
    """``count`` services with one http monitor each (one service for the loop bench)."""
    now = datetime.now(UTC)
    async with db.write() as conn:
        tenant = await conn.execute(select(tenants.c.id).where(tenants.c.slug == "default"))
        tenant_id = tenant.scalar_one()
        names = [prefix] if prefix == "bench" else [f"{prefix}-{i:02d}" for i in range(count)]
        await conn.execute(
            insert(services),
            [
                {"tenant_id": tenant_id, "id": n, "name": n, "created_at": now, "updated_at": now}
                for n in names
            ],
        )
        rows = [
            {
                "tenant_id": tenant_id,
                "service_id": names[i % len(names)],
                "name": f"m{i}",
                "type": "http",
                "url": url,
                "method": "GET",
                "headers": {},
                "expected_status": [],
                "conditions": [],
                "interval_s": 60.0,
                "timeout_s": 10.0,
                "grace_s": 60.0,
                "failures_before_down": 3,
                "successes_before_up": 1,
                "degraded_ms": 7000,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(count)
        ]
        for start in range(0, count, 5000):
            await conn.execute(insert(monitors), rows[start : start + 5000])
        found = await conn.execute(select(monitors.c.id).order_by(monitors.c.id))
        return list(found.scalars())


async def _count_rows(db: Database) -> dict[str, int]:
    out = {}
    async with db.read() as conn:
        for table in (check_results, check_rollups, status_timeline):
            out[table.name] = (
                await conn.execute(select(func.count()).select_from(table))
            ).scalar_one()
    return out


# --- 1. the check loop -------------------------------------------------------------------


def target_main(port: int) -> None:
    async def serve() -> None:
        target = Target("up")
        await target.start(port=port)
        print("ready", flush=True)
        await asyncio.Event().wait()

    asyncio.run(serve())


def watch_main(url: str, seconds: float, out: str) -> None:
    """The watch process: the real runner loop for ``seconds``, then its figures as JSON."""

    async def run() -> dict[str, Any]:
        db = Database(url)
        runner = Runner(db, WatchSettings(enabled=True), Clock())
        stop = asyncio.Event()
        async with runner:
            print("ready", flush=True)
            task = asyncio.create_task(runner.run(stop))
            await asyncio.sleep(seconds)
            stop.set()
            await task
        figures = {
            "checks": runner.lateness.count,
            "p50": runner.lateness.percentile(50),
            "p99": runner.lateness.percentile(99),
            "max": runner.lateness.percentile(100),
            "dropped": runner.dropped_total,
            "rows": await _count_rows(db),
        }
        await db.dispose()
        return figures

    try:
        import uvloop  # `kpiwatch serve` runs on uvloop through uvicorn when it is installed

        result = uvloop.run(run())
    except ImportError:
        result = asyncio.run(run())
    Path(out).write_text(json.dumps(result))


def _proc(pid: int) -> tuple[float, int]:
    """CPU seconds used so far and resident memory in bytes of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICK
    rss_kb = next(
        int(line.split()[1])
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if line.startswith("VmRSS:")
    )
    return cpu, rss_kb * 1024


def _wait_ready(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    line = process.stdout.readline()
    if line.strip() != "ready":
        raise RuntimeError(f"child process failed to start: {line!r}")


def loop_bench(backend: str, count: int, seconds: float) -> dict[str, Any]:
    port = free_port()
    me = [sys.executable, __file__]
    target = subprocess.Popen([*me, "_target", str(port)], stdout=subprocess.PIPE, text=True)
    try:
        _wait_ready(target)
        with database(backend, "watch_loop") as url:

            async def prepare() -> None:
                db = Database(url)
                await _add_monitors(db, count, f"http://127.0.0.1:{port}/health", "bench")
                await db.dispose()

            asyncio.run(prepare())
            with tempfile.NamedTemporaryFile(suffix=".json") as out:
                env = os.environ | {"KPIWATCH_LOG_LEVEL": "WARNING"}
                watch = subprocess.Popen(
                    [*me, "_watch", url, str(seconds), out.name],
                    stdout=subprocess.PIPE,
                    text=True,
                    env=env,
                )
                _wait_ready(watch)
                started, (cpu0, rss) = time.monotonic(), _proc(watch.pid)
                peak, cpu1, wall = rss, cpu0, started
                while watch.poll() is None:
                    time.sleep(1)
                    try:
                        cpu, rss = _proc(watch.pid)
                    except (FileNotFoundError, StopIteration):
                        break
                    if time.monotonic() - started <= seconds:
                        cpu1, wall = cpu, time.monotonic()
                    peak = max(peak, rss)
                if watch.wait() != 0:
                    raise RuntimeError("the watch process failed")
                figures: dict[str, Any] = json.loads(Path(out.name).read_text())
    finally:
        target.terminate()
        target.wait()
    figures.update(
        monitors=count,
        seconds=seconds,
        checks_per_s=figures["checks"] / seconds,
        cpu_percent=100 * (cpu1 - cpu0) / max(wall - started, 1e-9),
        rss_mb=peak / 2**20,
    )
    return figures


def print_loop(backend: str, f: dict[str, Any]) -> bool:
    ok = f["p99"] is not None and f["p99"] <= 1.0 and f["rss_mb"] <= 300
    rows = ", ".join(f"{k} {v:,}" for k, v in f["rows"].items())
    print(
        f"  {backend:10} {f['monitors']:>6,} monitors: {f['checks_per_s']:6.1f} checks/s "
        f"(target {f['monitors'] / 60:.1f}), lateness p50 {f['p50'] * 1000:.1f} ms "
        f"p99 {f['p99'] * 1000:.1f} ms max {f['max'] * 1000:.0f} ms, CPU {f['cpu_percent']:.0f} % "
        f"of a core, peak RSS {f['rss_mb']:.0f} MB, dropped {f['dropped']}; rows: {rows} "
        f"→ {'holds' if ok else 'MISSES'}",
        flush=True,
    )
    return ok


# --- 2. the status API -------------------------------------------------------------------


def _hour_delta(monitor_index: int, hour_index: int) -> rollups.Delta:
    """An hour of 60 checks at 60 s; the monitor fails one check in 100 (deterministic)."""
    delta = rollups.Delta()
    for minute in range(60):
        k = hour_index * 60 + minute
        failed = (k + monitor_index * 37) % 100 == 0
        delta.add("checks", 1)
        delta.add("failed" if failed else "ok", 1)
        delta.add("observed_s", 60)
        delta.add_latency(40 + (k * 7 + monitor_index) % 160)
    return delta


async def _feed_rollups(db: Database, ids: list[int], days: int, now: datetime) -> None:
    first_hour = (now - timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    for i, monitor_id in enumerate(ids):
        deltas: dict[rollups.Key, rollups.Delta] = {}
        for h in range(days * 24):
            hour = first_hour + timedelta(hours=h)
            delta = _hour_delta(i, h)
            deltas[(monitor_id, "hour", hour)] = delta
            day = hour.replace(hour=0)
            if (monitor_id, "day", day) in deltas:
                deltas[(monitor_id, "day", day)].merge(delta)
            else:
                copy = rollups.Delta()
                copy.merge(delta)
                deltas[(monitor_id, "day", day)] = copy
        async with db.write() as conn:
            await rollups.upsert(conn, deltas)


def _timed(client: httpx.Client, path: str, requests: int) -> tuple[float, float]:
    """p50 and p95 (ms) of ``requests`` sequential GETs of ``path`` after 30 warm-up ones."""
    for _ in range(30):
        client.get(path)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(path).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return times[len(times) // 2], times[int(len(times) * 0.95) - 1]


def _measure_status(url: str, cache_s: str, count: int, requests: int) -> dict[str, Any]:
    port = free_port()
    env = os.environ | {
        "KPIWATCH_DATABASE_URL": url,
        "KPIWATCH_LOG_LEVEL": "WARNING",
        "KPIWATCH_WATCH_STATUS_CACHE_S": cache_s,
    }
    server = subprocess.Popen([KPIWATCH, "serve", "--role", "api", "--port", str(port)], env=env)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for _ in range(200):
                try:
                    client.get("/api/health")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            body = client.get("/api/system-status").json()
            assert len(body["services"]) == count
            assert all(len(s["uptimeData"]) == 90 for s in body["services"])
            return {
                "status": _timed(client, "/api/system-status", requests),
                "services": _timed(client, "/api/services", requests),
            }
    finally:
        server.terminate()
        server.wait()


def status_bench(backend: str, count: int = 50, days: int = 90, requests: int = 300) -> None:
    """As served (a board per second, the past days kept up to 60 s), then with every
    request reading everything (KPIWATCH_WATCH_STATUS_CACHE_S=0); ``/api/services`` (one
    small query after resolving the tenant) shows what any request costs on the machine."""
    with database(backend, "watch_status") as url:

        async def prepare() -> None:
            db = Database(url)
            ids = await _add_monitors(db, count, "http://127.0.0.1:9/health")
            await _feed_rollups(db, ids, days, datetime.now(UTC))
            await db.dispose()

        asyncio.run(prepare())
        served = _measure_status(url, "60", count, requests)
        uncached = _measure_status(url, "0", count, requests)
    (p50, p95), (u50, u95) = served["status"], uncached["status"]
    f50, f95 = served["services"]
    verdict = "holds" if p95 <= 15 else "MISSES"
    print(
        f"  {backend:10} {count} services × {days} days, {requests} requests: p50 {p50:.1f} ms, "
        f"p95 {p95:.1f} ms → {verdict} (≤ 15 ms); every request read in full: p50 {u50:.1f} "
        f"ms, p95 {u95:.1f} ms; GET /api/services p50 {f50:.1f} ms, p95 {f95:.1f} ms",
        flush=True,
    )


# --- 3. a year of storage ----------------------------------------------------------------


def _watch_bytes(url: str) -> dict[str, int]:
    """Bytes per watch table with its indexes (PostgreSQL, after VACUUM FULL), or of the
    whole SQLite file (after VACUUM) as ``{"file": …}``."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1]
        with sqlite3.connect(path) as conn:
            conn.execute("VACUUM")
        return {"file": os.path.getsize(path)}

    async def measure() -> dict[str, int]:
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await conn.execute("VACUUM FULL")
            return {
                table: await conn.fetchval("SELECT pg_total_relation_size($1)", table)
                for table in WATCH_TABLES
            }
        finally:
            await conn.close()

    return asyncio.run(measure())


def year_bench(backend: str, count: int) -> None:
    settings = WatchSettings()
    with database(backend, "watch_year") as url:
        empty = _watch_bytes(url)

        async def run() -> tuple[dict[str, int], float]:
            db = Database(url)
            ids = await _add_monitors(db, count, "http://127.0.0.1:9/health")
            end = datetime(2026, 1, 1, tzinfo=UTC)
            start = end - timedelta(days=365)
            runner = Runner(db, settings.model_copy(update={"buffer_max": 10**7}), Clock())
            await runner.load()
            started = time.perf_counter()
            for hour in range(365 * 24):
                for minute in range(60):
                    k = hour * 60 + minute
                    at = start + timedelta(minutes=k)
                    for i, monitor_id in enumerate(ids):
                        failed = (k + i * 37) % 100 == 0
                        ms = float(40 + (k * 7 + i) % 160)
                        runner.process(
                            CheckResult(
                                monitor_id,
                                at,
                                "down" if failed else "up",
                                500 if failed else 200,
                                ms,
                                "http_error" if failed else None,
                                "unexpected status 500" if failed else None,
                                {"dns": 0.4, "connect": 1.2, "first_byte": ms - 0.9, "total": ms},
                            )
                        )
                if hour % 6 == 5:
                    retention.trim(runner.batch, settings, end)
                    assert await runner.flush()
            retention.trim(runner.batch, settings, end)
            assert await runner.flush()
            elapsed = time.perf_counter() - started
            rows = await _count_rows(db)
            await db.dispose()
            return rows, elapsed

        rows, elapsed = asyncio.run(run())
        used = _watch_bytes(url)
    per_table = {t: (used[t] - empty[t]) / count for t in used}
    per_monitor = sum(per_table.values())
    projected = sum(empty.values()) + per_monitor * 1000
    verdict = "holds" if projected <= 2**30 else "MISSES"
    print(
        f"  {backend:10} {count} monitors × 365 days ({count * 525_600:,} checks fed in "
        f"{elapsed:.0f} s): {per_monitor / 2**20:.2f} MB per monitor; rows "
        + ", ".join(f"{k} {v:,}" for k, v in rows.items())
        + f"; projected for 1,000 monitors: {projected / 2**30:.2f} GB → {verdict} (≤ 1 GB)",
        flush=True,
    )
    if len(per_table) > 1:
        print(
            "  "
            + " " * 10
            + " per monitor: "
            + ", ".join(f"{t} {b / 2**20:.3f} MB" for t, b in per_table.items()),
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--monitors", type=int, nargs="+", default=[20_000])
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--skip", default="", help="comma-separated: loop, status, year")
    parser.add_argument("--year-monitors", type=int, default=2)
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    backends = [b for b in ("sqlite", "postgresql") if args.only in (None, b)]
    print(f"before: {load()}", flush=True)
    if "loop" not in skip:
        print(f"check loop, 60 s interval, {args.seconds:.0f} s per run:", flush=True)
        for backend in backends:
            held = [
                n
                for n in sorted(args.monitors)
                if print_loop(backend, loop_bench(backend, n, args.seconds))
            ]
            print(f"  {backend:10} largest N that holds: {max(held) if held else 'none'}")
    if "status" not in skip:
        print("GET /api/system-status:", flush=True)
        for backend in backends:
            status_bench(backend)
    if "year" not in skip:
        print("a year of 1,000 monitors at 60 s with 1 % failures (projected):", flush=True)
        for backend in backends:
            year_bench(backend, args.year_monitors)
    print(f"after: {load()}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_target":
        target_main(int(sys.argv[2]))
    elif len(sys.argv) > 1 and sys.argv[1] == "_watch":
        watch_main(sys.argv[2], float(sys.argv[3]), sys.argv[4])
    else:
        main()
