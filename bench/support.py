"""What the benchmarks share: the PostgreSQL to measure on, scratch databases, free ports."""

from __future__ import annotations

import os
import socket
import time

import asyncpg

PG = os.environ.get("KPIWATCH_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def pg_url(database: str) -> str:
    """The SQLAlchemy URL of ``database`` on the benchmark's PostgreSQL server."""
    return PG.rsplit("/", 1)[0] + "/" + database


async def pg_database(name: str, create: bool) -> None:
    """Drop the scratch database ``name``, and create it again when ``create``."""
    dsn = pg_url("postgres").replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if create:
            await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def machine_speed() -> str:
    """A fixed Python loop, timed: this machine kind's speed moves between sessions and
    within one (a VM), so each run says how fast the machine was when it ran."""
    started = time.perf_counter()
    total = 0
    for i in range(20_000_000):
        total += i
    return f"machine: 20 M Python additions in {time.perf_counter() - started:.2f} s"
