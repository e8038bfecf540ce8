"""Imports every slice's tables so that one ``metadata`` knows them all."""

from __future__ import annotations

from kpiwatch.core import models as core_models
from kpiwatch.incidents import models as incident_models
from kpiwatch.incidents import notify_models
from kpiwatch.ingest import models as ingest_models
from kpiwatch.kpi import models as kpi_models
from kpiwatch.ran import analysis_models
from kpiwatch.ran import models as ran_models
from kpiwatch.status import models as status_models
from kpiwatch.watch import models as watch_models

__all__ = [
    "analysis_models",
    "core_models",
    "incident_models",
    "ingest_models",
    "kpi_models",
    "notify_models",
    "ran_models",
    "status_models",
    "watch_models",
]
