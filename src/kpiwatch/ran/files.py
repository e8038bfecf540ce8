"""Importing PM files: parse off the event loop, skip what the tenant has, store all or nothing.

A file is identified by the sha256 of its bytes: a file the tenant imported before is
answered ``duplicate`` with the stored file's id, and nothing changes. A file the parser
rejects (``PmFileError``) stores nothing and is answered ``rejected`` with the line and the
reason. Every other file gets its ``pm_files`` row (counts, suspect blocks, the blocks
rejected in lenient mode) and its values in one transaction, which one audit entry
naming its files records.

``import_files()`` takes many files: it parses the next batch while the database writes
the previous one, and writes ``per_transaction`` files per transaction (a bulk load pays
the per-transaction costs once per batch; a failing write still leaves no file half
stored). Parsing runs in a worker thread: a pool of worker processes measured 2× slower
on the two shared cores this runs on (PostgreSQL needs the second core, and unpickling
the parsed blocks costs half as much as storing them; see bench/RESULTS.md).
"""

from __future__ import annotations

import asyncio
import glob
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core import audit
from kpiwatch.core.context import Caller
from kpiwatch.core.db import Database
from kpiwatch.core.models import users
from kpiwatch.ran import store
from kpiwatch.ran.measurements import MeasBlock, PmFile, PmFileError
from kpiwatch.ran.models import pm_files
from kpiwatch.ran.parse import parse_pm

Status = Literal["imported", "duplicate", "rejected"]
Source = tuple[str, bytes]  # the file's name and its bytes
NAME_LENGTH = 255
# Files are parsed a batch ahead of the one being written: this bounds the memory both hold.
BATCH_BYTES = 32 * 1024 * 1024
PER_TRANSACTION = 1000  # files; see import_files()
LOOKUP_CHUNK = 500  # hashes per IN (...), under every driver's parameter limit


@dataclass
class FileResult:
    """What became of one file; the fields of ``POST /api/pm/files``'s answer."""

    name: str
    status: Status
    file_id: int | None = None
    values: int = 0
    blocks: int = 0
    suspect: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)  # [{line, group, reason}]
    error: dict[str, Any] | None = None  # {line, reason} when the whole file was rejected

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ParsedFile:
    """A file ready to store: parsed, rejected, or known from an earlier import."""

    name: str
    sha256: str
    size: int
    pm: PmFile | None = None
    error: tuple[int | None, str] | None = None
    known: FileResult | None = None  # already imported: the answer is ready


def describe(result: FileResult) -> str:
    """A file's outcome in words, one line per rejected block after the first."""
    if result.status == "duplicate":
        return f"duplicate of file {result.file_id}, nothing changed"
    if result.status == "rejected":
        assert result.error is not None
        line = result.error["line"]
        return f"rejected{f' at line {line}' if line else ''}: {result.error['reason']}"
    text = (
        f"imported as file {result.file_id}: {result.values:,} values in {result.blocks:,} blocks"
    )
    if result.suspect:
        text += f", {result.suspect:,} suspect"
    if result.rejected:
        text += f", {len(result.rejected)} block(s) rejected"
        for r in result.rejected:
            group = f" ({r['group']})" if r["group"] else ""
            text += f"\n  line {r['line']}{group}: {r['reason']}"
    return text


def file_name(name: str | None) -> str:
    """The name a file is stored under: its last path part, without control characters,
    at most 255 characters (the end is kept: it holds the NE and the period)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[-NAME_LENGTH:] or "unnamed"


def _parse(data: bytes, name: str, lenient: bool) -> PmFile | tuple[int | None, str]:
    """Parse one file; a rejection comes back as ``(line, reason)``."""
    try:
        return parse_pm(data, name, lenient=lenient)
    except PmFileError as exc:
        return exc.line, exc.reason


def _parse_all(batch: list[Source], lenient: bool) -> list[PmFile | tuple[int | None, str]]:
    return [_parse(data, name, lenient) for name, data in batch]


def _digests(batch: list[Source]) -> list[str]:
    return [hashlib.sha256(data).hexdigest() for _, data in batch]


def batches(sources: Iterable[Source], size: int) -> Iterator[list[Source]]:
    """Up to ``size`` files per batch, fewer when they hold over ``BATCH_BYTES``."""
    batch: list[Source] = []
    held = 0
    for source in sources:
        batch.append(source)
        held += len(source[1])
        if len(batch) >= size or held >= BATCH_BYTES:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch


def _stored_result(name: str, row: Any) -> FileResult:
    return FileResult(
        name=name,
        status="duplicate",
        file_id=row.id,
        values=row.values_count,
        blocks=row.blocks,
        suspect=row.suspect_count,
        rejected=list(row.rejected),
    )


async def _known(conn: AsyncConnection, tenant_id: int, digests: Iterable[str]) -> dict[str, Any]:
    """The tenant's stored files among these hashes, by hash."""
    wanted = sorted(set(digests))
    found: dict[str, Any] = {}
    for first in range(0, len(wanted), LOOKUP_CHUNK):
        result = await conn.execute(
            select(
                pm_files.c.sha256,
                pm_files.c.id,
                pm_files.c.values_count,
                pm_files.c.blocks,
                pm_files.c.suspect_count,
                pm_files.c.rejected,
            ).where(
                pm_files.c.tenant_id == tenant_id,
                store.one_of(conn, pm_files.c.sha256, wanted[first : first + LOOKUP_CHUNK]),
            )
        )
        found.update({row.sha256: row for row in result})
    return found


async def parse_batch(
    db: Database,
    tenant_id: int,
    batch: list[Source],
    lenient: bool = False,
) -> list[ParsedFile]:
    """Hash the files, answer those already stored, parse the others in a worker thread."""
    batch = [(file_name(name), data) for name, data in batch]
    digests = await asyncio.to_thread(_digests, batch)
    async with db.read() as conn:
        known = await _known(conn, tenant_id, digests)
    prepared = [
        ParsedFile(name, digest, len(data), known=_stored_result(name, known[digest]))
        if digest in known
        else ParsedFile(name, digest, len(data))
        for (name, data), digest in zip(batch, digests, strict=True)
    ]
    todo = [(name, data) for (name, data), p in zip(batch, prepared, strict=True) if not p.known]
    pending = iter(await asyncio.to_thread(_parse_all, todo, lenient))
    for p in prepared:
        if p.known is None:
            outcome = next(pending)
            if isinstance(outcome, PmFile):
                p.pm = outcome
            else:
                p.error = outcome
    return prepared


def _file_row(tenant_id: int, caller: Caller, p: ParsedFile, pm: PmFile) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "name": p.name,
        "sha256": p.sha256,
        "format": pm.format,
        "ne": pm.ne,
        "period_start": pm.period_start,
        "period_end": pm.period_end,
        "gran_s": pm.gran_s,
        "size_bytes": p.size,
        "blocks": len(pm.blocks),
        "values_count": pm.values_count,
        "suspect_count": sum(1 for b in pm.blocks if b.suspect),
        "rejected": [{"line": r.line, "group": r.group, "reason": r.reason} for r in pm.rejected],
        "imported_at": caller.now,
        "imported_by": caller.user_id,
    }


async def _write(
    conn: AsyncConnection, caller: Caller, parsed: list[ParsedFile], recheck: bool
) -> list[FileResult]:
    """Store the batch's new files in the caller's transaction; answer every file.

    ``parse_batch`` answered the files stored before it ran; with ``recheck`` those stored
    since (by an earlier batch, or another upload) are looked up again.
    """
    tenant_id = caller.tenant_id
    known = (
        await _known(conn, tenant_id, (p.sha256 for p in parsed if p.pm is not None))
        if recheck
        else {}
    )
    results: list[FileResult] = []
    fresh: list[tuple[ParsedFile, PmFile, FileResult]] = []
    first_of: dict[str, FileResult] = {}
    twins: list[tuple[int, FileResult]] = []  # a file repeated in the batch, and its first
    for p in parsed:
        if p.known is not None:
            results.append(p.known)
        elif p.error is not None:
            line, reason = p.error
            results.append(FileResult(p.name, "rejected", error={"line": line, "reason": reason}))
        elif p.sha256 in known:
            results.append(_stored_result(p.name, known[p.sha256]))
        elif p.sha256 in first_of:
            twins.append((len(results), first_of[p.sha256]))
            results.append(FileResult(p.name, "duplicate"))
        else:
            assert p.pm is not None
            result = FileResult(p.name, "imported")
            first_of[p.sha256] = result
            fresh.append((p, p.pm, result))
            results.append(result)
    if not fresh:
        return results
    rows = [_file_row(tenant_id, caller, p, pm) for p, pm, _ in fresh]
    # The ids come back by hash: asking them in the rows' order would make SQLAlchemy
    # insert a row at a time on SQLite.
    inserted = await conn.execute(
        insert(pm_files).returning(pm_files.c.sha256, pm_files.c.id), rows
    )
    ids: dict[str, int] = {sha256: file_id for sha256, file_id in inserted}
    written: list[tuple[int, list[MeasBlock]]] = []
    for (p, pm, result), row in zip(fresh, rows, strict=True):
        file_id = result.file_id = ids[p.sha256]
        result.values = row["values_count"]
        result.blocks = row["blocks"]
        result.suspect = row["suspect_count"]
        result.rejected = row["rejected"]
        written.append((file_id, pm.blocks))
    await store.write_files(conn, tenant_id, written)
    # One entry per transaction (an upload, or a thousand files of the CLI) naming its
    # files: an entry per file would cost bulk imports a tenth of their time.
    imported = [{"id": r.file_id, "name": r.name, "values": r.values} for _, _, r in fresh]
    await audit.record(conn, caller, "pm_file.import", "pm_file", None, {"files": imported})
    for index, first in twins:
        results[index] = replace(first, name=results[index].name, status="duplicate")
    return results


async def store_batch(db: Database, caller: Caller, parsed: list[ParsedFile]) -> list[FileResult]:
    """Store one batch of ``parse_batch``'s files in one transaction; answer every file."""
    try:
        async with db.write() as conn:
            return await _write(conn, caller, parsed, recheck=False)
    except IntegrityError:
        # A file was stored since parse_batch looked (the same bytes earlier in this import,
        # or in another upload committed meanwhile): once more, and it answers duplicate.
        async with db.write() as conn:
            return await _write(conn, caller, parsed, recheck=True)


async def import_files(
    db: Database,
    caller: Caller,
    sources: Iterable[Source],
    *,
    lenient: bool = False,
    per_transaction: int = PER_TRANSACTION,
    on_batch: Callable[[list[FileResult]], None] | None = None,
) -> list[FileResult]:
    """Import files in order, ``per_transaction`` per transaction; answers in the same
    order. ``on_batch`` hears of each batch's files once its transaction has committed."""
    results: list[FileResult] = []
    writing: asyncio.Task[list[FileResult]] | None = None

    async def settle() -> None:
        assert writing is not None
        done = await writing
        results.extend(done)
        if on_batch is not None:
            on_batch(done)

    try:
        for batch in batches(sources, per_transaction):
            parsed = await parse_batch(db, caller.tenant_id, batch, lenient)
            if writing is not None:
                await settle()
            writing = asyncio.create_task(store_batch(db, caller, parsed))
        if writing is not None:
            await settle()
    finally:
        if writing is not None and not writing.done():
            writing.cancel()
    return results


async def import_file(
    db: Database, caller: Caller, data: bytes, name: str, *, lenient: bool = False
) -> FileResult:
    """Import one file; see ``import_files()``."""
    (result,) = await import_files(db, caller, [(name, data)], lenient=lenient)
    return result


async def list_files(
    conn: AsyncConnection, tenant_id: int, *, page: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """The tenant's imported files, newest first, with who imported them."""
    where = pm_files.c.tenant_id == tenant_id
    total = (
        await conn.execute(select(func.count()).select_from(pm_files).where(where))
    ).scalar_one()
    rows = await conn.execute(
        select(
            pm_files.c.id,
            pm_files.c.name,
            pm_files.c.format,
            pm_files.c.sha256,
            pm_files.c.size_bytes,
            pm_files.c.ne,
            pm_files.c.period_start,
            pm_files.c.period_end,
            pm_files.c.gran_s,
            pm_files.c.blocks,
            pm_files.c.values_count.label("values"),
            pm_files.c.suspect_count.label("suspect"),
            pm_files.c.rejected,
            pm_files.c.imported_at,
            users.c.username.label("imported_by"),
        )
        .select_from(pm_files.outerjoin(users, users.c.id == pm_files.c.imported_by))
        .where(where)
        .order_by(pm_files.c.imported_at.desc(), pm_files.c.id.desc())
        .limit(limit)
        .offset((page - 1) * limit)
    )
    return [dict(row._mapping) for row in rows], total


def pm_paths(patterns: Iterable[str]) -> list[Path]:
    """The files that paths, directories (recursively, hidden files left out) and glob
    patterns name, in order, each once. ``FileNotFoundError`` names a pattern that
    matches nothing."""
    found: dict[Path, None] = {}
    for pattern in patterns:
        path = Path(pattern)
        if path.exists():
            matches = [path]
        elif any(ch in pattern for ch in "*?["):
            matches = [Path(m) for m in sorted(glob.glob(pattern, recursive=True))]
        else:
            matches = []
        if not matches:
            raise FileNotFoundError(f"{pattern}: no such file, directory or match")
        for match in matches:
            if match.is_dir():
                inside = sorted(
                    p
                    for p in match.rglob("*")
                    if p.is_file()
                    and not any(part.startswith(".") for part in p.relative_to(match).parts)
                )
                found.update(dict.fromkeys(inside))
            elif match.is_file():
                found[match] = None
    return list(found)
