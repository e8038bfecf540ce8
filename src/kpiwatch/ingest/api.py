"""/api/ingest: bulk NDJSON or CSV into a dataset, and the datasets' descriptions."""

from __future__ import annotations

import tempfile
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from kpiwatch.core.deps import DbDep, ReporterDep, SettingsDep
from kpiwatch.core.errors import KpiwatchError, PayloadTooLarge
from kpiwatch.ingest import service
from kpiwatch.ingest.datasets import DATASETS

router = APIRouter(prefix="/api/ingest", tags=["ingest"])


class UnsupportedMediaType(KpiwatchError):
    status_code = 415


class IngestOut(BaseModel):
    dataset: str
    received: int
    inserted: int
    updated: int


@router.get("")
async def list_datasets() -> list[dict[str, Any]]:
    """The datasets that can be ingested, with their fields."""
    return [service.describe(d) for d in DATASETS.values() if d.ingestable]


@router.post(
    "/{dataset}",
    response_model=IngestOut,
    openapi_extra={
        "requestBody": {
            "content": {"application/x-ndjson": {}, "text/csv": {}},
            "required": True,
        }
    },
)
async def ingest(
    dataset: str, request: Request, caller: ReporterDep, db: DbDep, settings: SettingsDep
) -> dict[str, Any]:
    """Upsert rows by `id`: one JSON object per line, or CSV with a header. All or nothing."""
    service.dataset_named(dataset)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    fmt = service.FORMATS.get(media)
    if fmt is None:
        raise UnsupportedMediaType("send application/x-ndjson or text/csv")
    limit = settings.ingest_max_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"body is over the {limit} byte limit")
    # A body within the limit stays in memory; the spool keeps the reading code one path.
    with tempfile.SpooledTemporaryFile(max_size=limit) as body:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"body is over the {limit} byte limit")
            body.write(chunk)
        body.seek(0)
        result = await service.ingest(db, caller, dataset, body, fmt)
    return result.__dict__
