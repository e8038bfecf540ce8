"""/api/pm/files (upload and list PM files) and /api/master/pegs (the PEG master).

An upload answers 200 with a result per file when at least one file was imported or was
already there, even if others were rejected (each says why); it answers 422 when every
file was rejected, the detail naming each file, line and reason. Either way a rejected
file stores nothing and the others are stored whole.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from kpiwatch.core.deps import DbDep, ReporterDep, SettingsDep, ViewerDep
from kpiwatch.core.errors import InvalidInput, KpiwatchError, PayloadTooLarge
from kpiwatch.ran import files, pegs

router = APIRouter(tags=["ran"])

MAX_FILES = 1000
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class UnsupportedMediaType(KpiwatchError):
    status_code = 415


class RejectedBlock(BaseModel):
    line: int | None
    group: str | None
    reason: str


class FileError(BaseModel):
    line: int | None
    reason: str


class FileResultOut(BaseModel):
    name: str
    status: str
    file_id: int | None
    values: int
    blocks: int
    suspect: int
    rejected: list[RejectedBlock]
    error: FileError | None


class UploadOut(BaseModel):
    files: list[FileResultOut]
    imported: int
    duplicate: int
    rejected: int


class PmFileOut(BaseModel):
    id: int
    name: str
    format: str
    sha256: str
    size_bytes: int
    ne: str | None
    period_start: datetime | None
    period_end: datetime | None
    gran_s: int | None
    blocks: int
    values: int
    suspect: int
    rejected: list[RejectedBlock]
    imported_at: datetime
    imported_by: str | None


class PmFilePage(BaseModel):
    items: list[PmFileOut]
    total: int
    page: int
    limit: int


class PegOut(BaseModel):
    peg_name: str
    group: str
    object_class: str
    first_seen: datetime
    last_seen: datetime
    objects: int


def _rejection(index: int, result: files.FileResult) -> dict[str, Any]:
    """A rejected file as a 422 detail item: FastAPI's ``loc/msg/type``, and the file, line
    and reason on their own."""
    assert result.error is not None
    line, reason = result.error["line"], result.error["reason"]
    where = f"{result.name} line {line}" if line is not None else result.name
    return {
        "loc": ["body", "files", index],
        "msg": f"{where}: {reason}",
        "type": "pm_file_rejected",
        "file": result.name,
        "line": line,
        "reason": reason,
    }


def _flag(value: str, loc: tuple[str, ...]) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise InvalidInput.field(loc, f"{value!r} is not a boolean: use true or false")


async def _limited(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"body is over the {limit} byte limit")
        yield chunk


async def _read_form(request: Request, limit: int) -> tuple[list[files.Source], str | None]:
    """The uploaded files and the form's ``lenient`` field, reading at most ``limit`` bytes."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "multipart/form-data":
        raise UnsupportedMediaType("send multipart/form-data with the PM files in 'files'")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"body is over the {limit} byte limit")
    parser = MultiPartParser(
        request.headers, _limited(request, limit), max_files=MAX_FILES, max_fields=10
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise InvalidInput.field(("body",), exc.message) from exc
    try:
        sources: list[files.Source] = []
        lenient: str | None = None
        for key, value in form.multi_items():
            if key == "files" and isinstance(value, UploadFile):
                sources.append((value.filename or "", await value.read()))
            elif key == "lenient" and isinstance(value, str):
                lenient = value
            else:
                raise InvalidInput.field(
                    ("body", key), "unexpected field: send the files in 'files' (and 'lenient')"
                )
    finally:
        await form.close()
    if not sources:
        raise InvalidInput.field(("body", "files"), "at least one file is required")
    return sources, lenient


@router.post(
    "/api/pm/files",
    response_model=UploadOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["files"],
                        "properties": {
                            "files": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                            },
                            "lenient": {"type": "boolean"},
                        },
                    }
                }
            },
        }
    },
)
async def upload_files(
    request: Request,
    caller: ReporterDep,
    db: DbDep,
    settings: SettingsDep,
    lenient: Annotated[
        bool, Query(description="Keep the good measInfo blocks of a file with bad ones.")
    ] = False,
) -> dict[str, Any]:
    """Import PM files (TS 32.435 / 28.532 XML, gzip, CSV), each stored whole or not at all."""
    sources, form_lenient = await _read_form(request, settings.ingest_max_bytes)
    if form_lenient is not None:
        lenient = lenient or _flag(form_lenient, ("body", "lenient"))
    results = await files.import_files(db, caller, sources, lenient=lenient)
    counts = {status: 0 for status in ("imported", "duplicate", "rejected")}
    for result in results:
        counts[result.status] += 1
    if counts["rejected"] == len(results):
        raise InvalidInput([_rejection(index, r) for index, r in enumerate(results)])
    return {"files": [r.as_dict() for r in results], **counts}


@router.get("/api/pm/files", response_model=PmFilePage)
async def list_files(
    caller: ViewerDep,
    db: DbDep,
    page: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Imported PM files, newest first: when, by whom, counts and rejected blocks."""
    async with db.read() as conn:
        items, total = await files.list_files(conn, caller.tenant_id, page=page, limit=limit)
    return {"items": items, "total": total, "page": page, "limit": limit}


@router.get("/api/master/pegs", response_model=list[PegOut])
async def list_pegs(
    caller: ViewerDep,
    db: DbDep,
    response: Response,
    group: Annotated[str | None, Query(description="measInfo group, exactly.")] = None,
    prefix: Annotated[str | None, Query(description="Start of the counter name.")] = None,
    object_class: Annotated[str | None, Query(description="e.g. EUtranCellFDD.")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, Any]]:
    """The PEG master: every counter seen, its group, object class, first/last period and
    number of objects. The total before paging is in ``X-Total-Count``."""
    async with db.read() as conn:
        found, total = await pegs.list_pegs(
            conn,
            caller.tenant_id,
            group=group,
            prefix=prefix,
            object_class=object_class,
            limit=limit,
            offset=offset,
        )
    response.headers["X-Total-Count"] = str(total)
    return found
