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
from kpiwatch.core.logs import RequestLogMiddleware
from kpiwatch.core.secrets import signing_key
from kpiwatch.ingest import api as ingest_api


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.database_url)
        app.state.db = db
        app.state.secret_key = await signing_key(db, settings)
        try:
            yield
        finally:
            await db.dispose()

    app = FastAPI(title="kpiwatch", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    app.state.clock = clock or Clock()
    errors.install_handlers(app)
    for router in (api_health.router, api_auth.router, api_admin.router, ingest_api.router):
        app.include_router(router)
    app.add_middleware(RequestLogMiddleware)
    return app
