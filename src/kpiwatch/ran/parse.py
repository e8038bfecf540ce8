"""Reading a PM file: ``parse_pm(data, name)`` → ``PmFile``.

The content decides the format, never the name: gzip by its magic bytes (decompressed as a
stream, and refused past ``max_bytes`` so a small ``.gz`` cannot expand without bound), then
XML (``ran.parse_xml``: TS 32.435 ``measCollecFile`` or TS 28.532 ``measDataFile``) when
the text starts with ``<`` (or a UTF-16 byte order mark), else the simple CSV
(``ran.parse_csv``). The name, when it follows TS 32.432 (``ran.filenames``), fills in the
NE and the period the content leaves open.

Errors: ``PmFileError(file, line, reason)`` for a file that cannot be read or — without
``lenient`` — has any wrong ``measInfo`` (or CSV line); with ``lenient`` the wrong parts
are listed in ``PmFile.rejected`` and the rest is kept. Malformed XML always rejects the
whole file.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import zlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from kpiwatch.ran.filenames import FileName, parse_filename
from kpiwatch.ran.measurements import PmFile, PmFileError
from kpiwatch.ran.parse_csv import read_csv
from kpiwatch.ran.parse_xml import CHUNK, read_xml

MAX_BYTES = 2 << 30  # decompressed; the largest multi-NE PM files are a few hundred MB
_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # libxml2 reads UTF-16 XML by its BOM
_XML_START = re.compile(rb"\s*<")
_DECLARATION = re.compile(rb"<\?xml[ \t\r\n][^?]*\?>")
_ROOT = re.compile(rb"<[A-Za-z_]")
_LEADING = re.compile(rb"(?:\s|<\?(?!xml[ \t\r\n])[^?]*(?:\?(?!>)[^?]*)*\?>)*")
_DOCTYPE = b"<!DOCTYPE"
_DOCTYPE_UTF16 = ("<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))


def _gunzip(data: bytes, name: str, limit: int) -> Iterator[bytes]:
    """The decompressed bytes in chunks; a ``PmFileError`` when damaged or past ``limit``.

    zlib directly rather than ``gzip.GzipFile``, whose reader is Python and costs more than
    the parse on small files; every member of a multi-member file is read.
    """
    left, rest = limit, data
    while rest:
        stream = zlib.decompressobj(wbits=31)  # 31: a gzip header and trailer
        pending = rest
        while not stream.eof:
            try:
                chunk = stream.decompress(pending, min(CHUNK, left + 1))
            except zlib.error as error:
                raise PmFileError(name, None, f"the gzip data is damaged: {error}") from None
            if not chunk and not stream.eof and len(stream.unconsumed_tail) == len(pending):
                raise PmFileError(name, None, "the gzip data is damaged: it ends early")
            pending = stream.unconsumed_tail
            left -= len(chunk)
            if left < 0:
                raise PmFileError(name, None, f"more than {limit:,} bytes once decompressed")
            if chunk:
                yield chunk
        rest = stream.unused_data
        if not rest.strip(b"\x00"):
            return  # the zero padding some writers leave after the last member


def _chunks(data: bytes, name: str, max_bytes: int) -> Iterator[bytes]:
    if data.startswith(_GZIP_MAGIC):
        return _gunzip(data, name, max_bytes)
    return (data[at : at + CHUNK] for at in range(0, len(data), CHUNK))


def _prolog(head: bytes) -> bytes:
    """Move an XML declaration that follows processing instructions to the front.

    Some 28.532 producers write ``<?xml-stylesheet …?>`` (or a vendor PI) before the
    declaration, which XML forbids and libxml2 refuses. Moving the declaration keeps the
    encoding it names, and the line numbers of everything after it.
    """
    if head.startswith(b"<?xml "):
        return head  # the usual case, at no cost
    leading = _LEADING.match(head)
    start = leading.end() if leading else 0
    if start == 0 or not head.startswith(b"<?xml", start):
        return head
    declaration = _DECLARATION.match(head, start)
    if declaration is None:
        return head
    return declaration.group() + head[:start] + head[declaration.end() :]


def _refuse_doctype(head: bytes, name: str) -> None:
    """Refuse a document type declaration before libxml2 sees it.

    PM files have none, and a declaration is how entity bombs and external entities come
    in. libxml2 told not to resolve entities still parses their definitions (and stops a
    bomb by its amplification limit only); refusing the declaration outright is simpler to
    trust. ``read_xml`` also checks the parsed document's DTD, for a declaration placed
    past the first chunk looked at here.
    """
    root = _ROOT.search(head)
    prolog = head if root is None else head[: root.start()]
    at = prolog.find(_DOCTYPE)
    if at >= 0:
        line = prolog.count(b"\n", 0, at) + 1
        raise PmFileError(name, line, "a document type declaration is not allowed")
    if head.startswith(_UTF16_BOMS) and any(m in head for m in _DOCTYPE_UTF16):
        raise PmFileError(name, None, "a document type declaration is not allowed")


def parse_pm(
    data: bytes, name: str, *, lenient: bool = False, max_bytes: int = MAX_BYTES
) -> PmFile:
    """Read one PM file given as its raw bytes (compressed bytes for ``.gz``)."""
    chunks = _chunks(data, name, max_bytes)
    head = next(chunks, b"")
    if head.startswith(_BOM):
        head = head[len(_BOM) :]
    if not head or head.isspace():
        raise PmFileError(name, None, "the file is empty")
    facts = parse_filename(name)
    pm = PmFile(
        name=name, format="csv", sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data)
    )
    if _XML_START.match(head) or head.startswith(_UTF16_BOMS):
        _refuse_doctype(head, name)
        name_ne = facts.ne if facts else None
        document = itertools.chain((_prolog(head),), chunks)
        content = read_xml(document, name, lenient=lenient, name_ne=name_ne)
        pm.format = content.format
        pm.blocks, pm.rejected = content.blocks, content.rejected
        nes, begin, end = content.nes, content.begin, content.end
    else:
        try:
            text = b"".join((head, *chunks)).decode("utf-8")
        except UnicodeDecodeError as error:
            raise PmFileError(name, None, f"neither XML nor UTF-8 CSV text: {error}") from None
        csv_content = read_csv(text, name, lenient=lenient)
        pm.blocks, pm.rejected = csv_content.blocks, csv_content.rejected
        nes, begin, end = csv_content.nes, None, None
    _facts(pm, nes, begin, end, facts)
    return pm


def _facts(
    pm: PmFile,
    nes: list[str],
    begin: datetime | None,
    end: datetime | None,
    facts: FileName | None,
) -> None:
    """The file's NE, period and granularity: the content's when it is unambiguous, else
    the name's, else the span of its blocks."""
    pm.ne = nes[0] if len(set(nes)) == 1 else (facts.ne if facts else None)
    pm.period_start = begin or (facts.period_start if facts else None)
    pm.period_end = end or (facts.period_end if facts else None)
    if pm.blocks:
        pm.period_start = pm.period_start or min(b.period_start for b in pm.blocks)
        pm.period_end = pm.period_end or max(b.period_end for b in pm.blocks)
    grans = {b.gran_s for b in pm.blocks}
    pm.gran_s = grans.pop() if len(grans) == 1 else None


def parse_path(path: str | Path, *, lenient: bool = False, max_bytes: int = MAX_BYTES) -> PmFile:
    """``parse_pm`` of a file on disk, named by its base name."""
    file = Path(path)
    return parse_pm(file.read_bytes(), file.name, lenient=lenient, max_bytes=max_bytes)
