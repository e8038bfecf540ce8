"""The signing key: from the settings, or generated once and kept in the database."""

from __future__ import annotations

import secrets

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from kpiwatch.core.config import Settings
from kpiwatch.core.db import Database
from kpiwatch.core.models import app_secrets


async def stored_secret(db: Database, name: str, make: str) -> str:
    """The value stored under ``name``; ``make`` is stored first when there is none."""
    async with db.read() as conn:
        value = (
            await conn.execute(select(app_secrets.c.value).where(app_secrets.c.name == name))
        ).scalar_one_or_none()
    if value is not None:
        return str(value)
    try:
        async with db.write() as conn:
            await conn.execute(insert(app_secrets).values(name=name, value=make))
        return make
    except IntegrityError:  # another process stored one first: use theirs
        return await stored_secret(db, name, make)


async def signing_key(db: Database, settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    return await stored_secret(db, "secret_key", secrets.token_urlsafe(48))
