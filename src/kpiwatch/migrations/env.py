"""Alembic environment: always called with a connection by ``kpiwatch.core.migrate``."""

from __future__ import annotations

from alembic import context

import kpiwatch.models  # noqa: F401  (registers every slice's tables)
from kpiwatch.core.db import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("run migrations with `kpiwatch migrate`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
