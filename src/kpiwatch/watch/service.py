"""Running the watch loop beside the API (``KPIWATCH_WATCH_ENABLED``) or on its own."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from kpiwatch.core.clock import Clock
from kpiwatch.core.config import Settings
from kpiwatch.core.db import Database
from kpiwatch.realtime.remote import redis_bus
from kpiwatch.realtime.watch_events import publishing
from kpiwatch.watch.config import WatchSettings
from kpiwatch.watch.runner import Runner

log = logging.getLogger(__name__)


@asynccontextmanager
async def watching(
    app: Any, db: Database, settings: WatchSettings, clock: Clock
) -> AsyncIterator[Runner | None]:
    """Run the check loop for the block's duration when the settings enable it."""
    app.state.watch_runner = None
    if not settings.enabled:
        yield None
        return
    runner = Runner(db, settings, clock)
    stop = asyncio.Event()
    async with runner:
        task = asyncio.create_task(runner.run(stop))
        app.state.watch_runner = runner
        log.info("watch loop started with %d monitors", len(runner.specs))
        try:
            yield runner
        finally:
            stop.set()
            await task


async def run_forever(db: Database, settings: WatchSettings, clock: Clock, core: Settings) -> None:
    """``kpiwatch serve --role watch``: the loop alone, until cancelled, publishing its
    events to the api processes' Socket.IO clients through Redis (``realtime.remote``)."""
    async with (
        Runner(db, settings, clock) as runner,
        redis_bus(core) as bus,
        publishing(runner, bus, db, clock),
    ):
        await runner.run()
