"""kpiwatch: operations KPIs, SLAs, health checks and a status page from real data."""

from __future__ import annotations

__version__ = "0.1.0"
