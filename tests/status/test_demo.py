"""The demo: its target answers on schedule, and its monitors come with replayed history."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select

from kpiwatch import demo
from kpiwatch.app import create_app
from kpiwatch.core.clock import Clock
from kpiwatch.core.config import Settings
from kpiwatch.core.context import Caller
from kpiwatch.core.db import Database
from kpiwatch.demo_target import answer
from kpiwatch.watch.config import WatchSettings
from kpiwatch.watch.models import check_rollups, monitors

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REPLAY_END = datetime(2026, 2, 12, 9, 0, tzinfo=UTC)


def test_it_follows_the_fixed_schedule() -> None:
    vpn_day = datetime(2026, 3, 1, tzinfo=UTC)  # an even ordinal: the VPN flaps
    assert answer("vpn", vpn_day.replace(hour=9, minute=29)).status == 200
    assert answer("vpn", vpn_day.replace(hour=9, minute=30)).status == 503
    assert answer("vpn", vpn_day.replace(hour=9, minute=44)).status == 503
    assert answer("vpn", vpn_day.replace(hour=9, minute=45)).status == 200
    assert answer("vpn", T0.replace(minute=30)).status == 200  # 2 March: an odd ordinal
    assert answer("portal", T0.replace(minute=20)).delay_ms == 1500
    assert answer("portal", T0.replace(minute=35)).delay_ms == 80
    assert answer("erp", datetime(2026, 2, 26, 14, 24, tzinfo=UTC)).status == 500
    assert answer("payments", datetime(2026, 2, 10, 3, 39, tzinfo=UTC)).status == 503
    assert answer("payments", datetime(2026, 2, 11, 3, 0, tzinfo=UTC)).status == 200


def test_it_serves_the_demo_target_when_enabled(settings: Settings, clock: Clock) -> None:
    clock.freeze(datetime(2026, 3, 1, 9, 31, tzinfo=UTC))
    watch = WatchSettings(enabled=False, demo_target=True)
    with TestClient(create_app(settings, clock, watch)) as client:
        vpn = client.get("/demo-target/vpn")
        assert (vpn.status_code, vpn.json()["data"]) == (503, {"ok": False})
        assert client.get("/demo-target/mail").json() == {"status": "healthy", "data": {"ok": True}}
        assert client.get("/demo-target/nope").status_code == 404
    with TestClient(create_app(settings, clock)) as client:
        assert client.get("/demo-target/mail").status_code == 404


async def _load(url: str) -> list[str]:
    db = Database(url)
    try:
        caller = Caller(1, "default", REPLAY_END, name="demo")
        watch = WatchSettings()
        target = "http://127.0.0.1:8000/demo-target"
        first = await demo.load_monitors(db, caller, target, watch, history_days=5)
        again = await demo.load_monitors(db, caller, target, watch, history_days=5)
        assert again == []
        return [str(c) for c in first]
    finally:
        await db.dispose()


def test_it_replays_history_through_the_real_state_machine(
    client: TestClient, database_url: str, clock: Clock
) -> None:
    clock.freeze(REPLAY_END)
    changes = asyncio.run(_load(database_url))
    assert changes[:5] == [
        f"created service {s}" for s in ("mail", "vpn", "erp", "portal", "payments")
    ]

    status = client.get("/api/system-status").json()
    assert status["overallStatus"] == "operational"
    assert status["lastUpdated"] == "2026-02-12T09:00:00Z"
    by_id = {s["id"]: s for s in status["services"]}
    # 7 Feb from 09:00 (15 h observed) to 12 Feb 09:00: 432000 s. The VPN flaps 15 min at
    # 01:30, 09:30 and 17:30 on even days: 7 Feb (two after 09:00), 9 and 11 Feb, 7200 s.
    # Payments is down 02:00-03:40 on 10 Feb (a failed condition): 6000 s, 93.05 % that day.
    assert by_id["vpn"]["uptime"] == "98.33"
    assert by_id["vpn"]["uptimeData"][-6:] == ["po", "o", "po", "o", "po", "o"]
    assert by_id["vpn"]["uptimeData"][:84] == ["nd"] * 84
    assert by_id["payments"]["uptime"] == "98.61"
    assert by_id["payments"]["uptimeData"][-6:] == ["o", "o", "o", "mo", "o", "o"]
    assert (by_id["mail"]["uptime"], by_id["portal"]["uptime"]) == ("100.00", "100.00")
    assert by_id["erp"]["uptimeData"][-6:] == ["o"] * 6

    async def portal_day() -> dict[str, object]:
        db = Database(database_url)
        try:
            async with db.read() as conn:
                row = (
                    await conn.execute(
                        select(check_rollups)
                        .join(monitors, monitors.c.id == check_rollups.c.monitor_id)
                        .where(
                            monitors.c.service_id == "portal",
                            check_rollups.c.grain == "day",
                            check_rollups.c.bucket_start == datetime(2026, 2, 8, tzinfo=UTC),
                        )
                    )
                ).one()
                return dict(row._mapping)
        finally:
            await db.dispose()

    rollup = asyncio.run(portal_day())
    # Slow at :20, :25 and :30 of every hour: 72 degraded checks of 288, 5 min each.
    assert (rollup["checks"], rollup["ok"], rollup["degraded"]) == (288, 216, 72)
    assert (rollup["degraded_s"], rollup["observed_s"], rollup["downtime_s"]) == (
        72 * 300,
        86400,
        0,
    )
