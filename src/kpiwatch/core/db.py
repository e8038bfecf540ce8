"""Engine, connections and the column types every slice uses.

SQLite runs in WAL mode with a busy timeout, and writes go through ``Database.write()``,
which serialises writers inside the process and starts SQLite transactions with
``BEGIN IMMEDIATE`` so a second process waits for the lock instead of failing on upgrade.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and returned timezone-aware.

    SQLite keeps it as ``YYYY-MM-DD HH:MM:SS.ffffff`` text (SQLAlchemy's format), which
    sorts and compares correctly because every value is UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: kpiwatch stores aware UTC times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def upsert_into(conn: AsyncConnection, table: Any) -> Any:
    """``INSERT`` into ``table`` with the dialect's ``ON CONFLICT`` clauses
    (``on_conflict_do_update`` / ``on_conflict_do_nothing``, ``excluded``)."""
    return (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(table)


def sqlite_timestamp(value: datetime) -> str:
    """The text SQLite stores for ``UTCDateTime`` (for bulk writes that bypass the ORM)."""
    return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]


_BEGIN_MODES = {"": "BEGIN", "IMMEDIATE": "BEGIN IMMEDIATE"}


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below decide how transactions start.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(_BEGIN_MODES[conn.get_execution_options().get("begin_mode", "")])


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


class Database:
    """The application's database: an engine plus read and write transactions."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.dialect = self.engine.dialect.name
        self._write_lock = asyncio.Lock() if self.dialect == "sqlite" else None

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that commits when the block ends and rolls back on error."""
        if self._write_lock is None:
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self._write_lock, self.engine.connect() as conn:
            conn = await conn.execution_options(begin_mode="IMMEDIATE")
            async with conn.begin():
                yield conn

    async def dispose(self) -> None:
        await self.engine.dispose()
