"""Ingest 1,000,000 service requests through POST /api/ingest in 10 requests.

Runs a real `kpiwatch serve` process per database (SQLite file, then PostgreSQL if
reachable), sends 10 NDJSON bodies of 100,000 rows each over loopback, and prints rows/s
for a first pass (all inserts) and a second pass of the same rows (all updates).
Targets: ≥ 100,000 rows/s on PostgreSQL, ≥ 50,000 rows/s on SQLite.

    .venv/bin/python bench/ingest.py [--rows 1000000] [--requests 10] [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson

from support import free_port, pg_database, pg_url

ROOT = Path(__file__).resolve().parent.parent
KPIWATCH = str(ROOT / ".venv" / "bin" / "kpiwatch")
SERVICES = [f"svc-{i:02d}" for i in range(50)]


def bodies(rows: int, requests: int) -> list[bytes]:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    per = rows // requests
    out = []
    for r in range(requests):
        lines = []
        for i in range(r * per, (r + 1) * per):
            created = start + timedelta(seconds=i * 61)
            done = i % 5 != 0
            lines.append(
                orjson.dumps(
                    {
                        "id": f"SR-{i:08d}",
                        "service": SERVICES[i % 50],
                        "category": "incident" if i % 3 else "access",
                        "priority": f"P{i % 4 + 1}",
                        "status": "done" if done else "open",
                        "created_at": created.isoformat(),
                        "first_response_at": (created + timedelta(minutes=5)).isoformat(),
                        "resolved_at": (created + timedelta(hours=i % 9 + 1)).isoformat()
                        if done
                        else None,
                        "sla_due_at": (created + timedelta(hours=8)).isoformat(),
                        "assignee": f"agent{i % 40}",
                        "reassignment_count": i % 3,
                    }
                )
            )
        out.append(b"\n".join(lines) + b"\n")
    return out


def run_cli(env: dict[str, str], *args: str) -> None:
    subprocess.run([KPIWATCH, *args], env=env, check=True, capture_output=True)


def measure(url: str, payloads: list[bytes], rows: int) -> list[float]:
    env = os.environ | {"KPIWATCH_DATABASE_URL": url, "KPIWATCH_LOG_LEVEL": "WARNING"}
    run_cli(env, "migrate")
    run_cli(
        env,
        "user",
        "create",
        "--username",
        "bench",
        "--password",
        "bench-pass",
        "--role",
        "reporter",
    )
    port = free_port()
    server = subprocess.Popen([KPIWATCH, "serve", "--port", str(port)], env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=600) as client:
            for _ in range(600):  # a loaded machine can take a while to start it
                try:
                    client.get("/api/health")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            token = client.post(
                "/api/auth/login", json={"username": "bench", "password": "bench-pass"}
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
            rates = []
            for label in ("insert", "update"):
                started = time.perf_counter()
                counted = 0
                for body in payloads:
                    response = client.post(
                        "/api/ingest/service_requests", content=body, headers=headers
                    )
                    response.raise_for_status()
                    result = response.json()
                    counted += result["inserted"] + result["updated"]
                elapsed = time.perf_counter() - started
                assert counted == rows, counted
                rates.append(rows / elapsed)
                print(
                    f"  {label:6} pass: {rows:,} rows in {elapsed:.2f} s "
                    f"= {rows / elapsed:,.0f} rows/s"
                )
            return rates
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    print(f"building {args.requests} NDJSON bodies of {args.rows // args.requests:,} rows…")
    payloads = bodies(args.rows, args.requests)
    print(f"  {sum(map(len, payloads)) / 1e6:.0f} MB in all")
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            print("SQLite (WAL):")
            measure(f"sqlite+aiosqlite:///{tmp}/bench.db", payloads, args.rows)
    if args.only in (None, "postgresql"):
        name = "kpiwatch_bench_ingest"
        try:
            asyncio.run(pg_database(name, create=True))
        except OSError as exc:
            print(f"PostgreSQL unreachable, skipped: {exc}", file=sys.stderr)
            return
        try:
            print("PostgreSQL:")
            measure(pg_url(name), payloads, args.rows)
        finally:
            asyncio.run(pg_database(name, create=False))


if __name__ == "__main__":
    main()
