"""Tables of RAN performance data: imported PM files, measured objects, counter values.

Values are stored a row per (object, measInfo counter list, period) with the counters'
values in one array (``pm_values.vals``), not a row per value: a row per value costs about
100 bytes with its key on PostgreSQL, an array about 9.5 bytes per value (DESIGN.md §3).
Which counter sits at which position is the row's schema (``pm_schemas.counters``).
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from kpiwatch.core.db import JSONType, UTCDateTime, metadata


class PmVector(TypeDecorator[list[float | None]]):
    """The values of one row: ``float8[]`` on PostgreSQL, a JSON array text on SQLite.

    ``None`` is a missing value (``NIL``, ``NULL`` or empty in the file). Read a position
    in SQL with ``pm_at(column, index)`` (0-based).
    """

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(Float(precision=53)))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: list[float | None] | None, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return orjson.dumps(value).decode()

    def process_result_value(self, value: Any, dialect: Dialect) -> list[float | None] | None:
        if value is None or dialect.name == "postgresql":
            return value  # type: ignore[no-any-return]
        return orjson.loads(value)  # type: ignore[no-any-return]


class pm_at(FunctionElement[float]):  # noqa: N801 - reads like the SQL function it stands for
    """``pm_at(vals, i)``: the value at 0-based position ``i`` of a ``PmVector`` column."""

    type = Float()
    inherit_cache = True
    name = "pm_at"


@compiles(pm_at, "postgresql")
def _pm_at_postgresql(element: pm_at, compiler: Any, **kw: Any) -> str:
    column, index = list(element.clauses)
    return f"({compiler.process(column, **kw)})[{compiler.process(index, **kw)} + 1]"


@compiles(pm_at, "sqlite")
def _pm_at_sqlite(element: pm_at, compiler: Any, **kw: Any) -> str:
    column, index = list(element.clauses)
    return (
        f"json_extract({compiler.process(column, **kw)}, "
        f"'$[' || {compiler.process(index, **kw)} || ']')"
    )


def value_at(column: ColumnElement[Any], index: int) -> pm_at:
    return pm_at(column, index)


pm_files = Table(
    "pm_files",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(255), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("format", String(16), nullable=False),  # 32.435 | 28.532 | csv
    Column("ne", String(255)),
    Column("period_start", UTCDateTime),
    Column("period_end", UTCDateTime),
    Column("gran_s", Integer),
    Column("size_bytes", Integer, nullable=False),
    Column("blocks", Integer, nullable=False),
    Column("values_count", Integer, nullable=False),
    Column("suspect_count", Integer, nullable=False, server_default="0"),
    Column("rejected", JSONType, nullable=False),  # [{line, group, reason}]
    Column("imported_at", UTCDateTime, nullable=False),
    Column("imported_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    UniqueConstraint("tenant_id", "sha256", name="uq_pm_files_tenant_sha256"),
    Index("ix_pm_files_tenant_imported", "tenant_id", "imported_at"),
)

# A measured object: a cell, or the managed element itself. ``ne`` is the managed element's
# id (``ENB7`` of ``ManagedElement=ENB7``), ``cell`` the value of the name's last part.
pm_objects = Table(
    "pm_objects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(1000), nullable=False),
    Column("ne", String(255), nullable=False),
    Column("cell", String(255), nullable=False),
    Column("object_class", String(100), nullable=False),
    UniqueConstraint("tenant_id", "name", name="uq_pm_objects_tenant_name"),
    Index("ix_pm_objects_tenant_ne", "tenant_id", "ne"),
    Index("ix_pm_objects_tenant_cell", "tenant_id", "cell"),
)

# The ordered counter list of one measInfo block; ``digest`` identifies it (sha1 of the
# group and the counters) so the same list gets the same id on every import.
pm_schemas = Table(
    "pm_schemas",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("digest", String(40), nullable=False),
    Column("group_name", String(255), nullable=False),
    Column("counters", JSONType, nullable=False),
    UniqueConstraint("tenant_id", "digest", name="uq_pm_schemas_tenant_digest"),
)

# Which objects report which schema, and when: what the PEG master and the KPI queries
# read instead of scanning the values.
pm_object_schemas = Table(
    "pm_object_schemas",
    metadata,
    Column("tenant_id", Integer, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
    Column("object_id", Integer, ForeignKey("pm_objects.id", ondelete="CASCADE"), primary_key=True),
    Column("schema_id", Integer, ForeignKey("pm_schemas.id", ondelete="CASCADE"), primary_key=True),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
)

# One row per object, schema and period. ``period_start`` = the file's end time − its
# granularity; ``suspect`` is the measValue's flag (suspect rows count in no KPI).
pm_values = Table(
    "pm_values",
    metadata,
    Column("tenant_id", Integer, primary_key=True),
    Column("object_id", Integer, primary_key=True),
    Column("schema_id", Integer, primary_key=True),
    Column("period_start", UTCDateTime, primary_key=True),
    Column("gran_s", Integer, nullable=False),
    Column("suspect", Boolean, nullable=False, server_default="0"),
    Column("file_id", Integer, nullable=False),
    Column("vals", PmVector, nullable=False),
    Index("ix_pm_values_tenant_period", "tenant_id", "period_start"),
)

# The daily rollup of ``pm_values``: per (object, schema, local day of the tenant) and per
# position of the schema's counter list, over the day's rows that are not suspect: the sum
# of the values, how many there were, the seconds they cover (Σ gran_s) and Σ(value ×
# gran_s); sums, seconds and weighted are None where the day has no value. ``day_start``
# is the local midnight (UTC) in the zone ``pm_day_zones`` names (``ran.days``).
pm_days = Table(
    "pm_days",
    metadata,
    Column("tenant_id", Integer, primary_key=True),
    Column("object_id", Integer, primary_key=True),
    Column("schema_id", Integer, primary_key=True),
    Column("day_start", UTCDateTime, primary_key=True),
    Column("sums", PmVector, nullable=False),
    Column("counts", PmVector, nullable=False),
    Column("seconds", PmVector, nullable=False),
    Column("weighted", PmVector, nullable=False),
    Index("ix_pm_days_tenant_day", "tenant_id", "day_start"),
)

# The time zone whose days a tenant's ``pm_days`` hold, complete; no row (or another zone
# than the tenant's) means they are to be rebuilt, and queries read ``pm_values``.
pm_day_zones = Table(
    "pm_day_zones",
    metadata,
    Column("tenant_id", Integer, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
    Column("zone", String(64), nullable=False),
)

# The PEG master: every counter seen, in which measInfo group and object class.
pm_counters = Table(
    "pm_counters",
    metadata,
    Column("tenant_id", Integer, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(255), primary_key=True),
    Column("group_name", String(255), primary_key=True),
    Column("object_class", String(100), primary_key=True),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
    Column("objects", Integer, nullable=False),
)
