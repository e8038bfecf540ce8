"""Builds the ASGI app: every slice's router, error handlers, request logging."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from kpiwatch import __version__
from kpiwatch.core import api_admin, api_auth, api_health, errors
from kpiwatch.core.clock import Clock
from kpiwatch.core.config import Settings, get_settings
from kpiwatch.core.db import Database
from kpiwatch.core.events import EventBus
from kpiwatch.core.logs import RequestLogMiddleware
from kpiwatch.core.secrets import signing_key
from kpiwatch.ingest import api as ingest_api
from kpiwatch.kpi import api as kpi_api
from kpiwatch.kpi import scheduler as kpi_scheduler
from kpiwatch.status import api as status_api
from kpiwatch.status import api_maintenance
from kpiwatch.watch import api as watch_api
from kpiwatch.watch import metrics as watch_metrics
from kpiwatch.watch.config import WatchSettings
from kpiwatch.watch.service import watching
from kpiwatch.web import kpi_pages
from kpiwatch.web.assets import mount_static


def create_app(
    settings: Settings | None = None,
    clock: Clock | None = None,
    watch: WatchSettings | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    watch = watch or WatchSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.database_url)
        app.state.db = db
        app.state.secret_key = await signing_key(db, settings)
        scheduler = (
            kpi_scheduler.start(db, app.state.clock, settings.kpi_refresh_s)
            if settings.scheduler_enabled
            else None
        )
        try:
            async with watching(app, db, watch, app.state.clock):
                yield
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)
            await db.dispose()

    app = FastAPI(title="kpiwatch", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    app.state.clock = clock or Clock()
    app.state.events = EventBus()
    app.state.watch_settings = watch
    errors.install_handlers(app)
    for router in (
        api_health.router,
        api_auth.router,
        api_admin.router,
        ingest_api.router,
        kpi_api.router,
    ):
        app.include_router(router)
    for router in (
        status_api.router,
        api_maintenance.router,
        watch_api.router,
        watch_metrics.router,
    ):
        app.include_router(router)
    app.include_router(kpi_pages.router)
    mount_static(app)
    app.add_middleware(RequestLogMiddleware)
    return app
