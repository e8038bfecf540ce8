"""Streaming reader of TS 32.435 ``measCollecFile`` and TS 28.532/28.550 ``measDataFile``.

Both share one structure: a ``fileHeader`` (``dnPrefix``, ``fileSender``, the collection's
``beginTime``), ``measData`` sections each naming one network element (``managedElement`` in
32.435, ``measEntity`` in 28.532) followed by ``measInfo`` groups, and a ``fileFooter``
with the end time. A ``measInfo`` has a ``granPeriod`` (``duration``, ``endTime``), the
counter names (``measTypes`` as one space-separated list, or ``measType p="1"`` elements)
and one ``measValue`` per object (``measResults`` as one list, or ``r p="1"`` elements,
and an optional ``suspect``).

Speed matters (millions of values per file set): lxml reports only the end of the few
elements read here, each ``measInfo`` is read whole and then cleared, the namespace is
never spelled out (tags are mapped to local names once), names and times are parsed once
per distinct text (they repeat in every file of a period), and a results list of plain
numbers is read by orjson as one JSON array; only text holding ``N``, ``n``, ``t``, ``f``,
``,``, ``_`` or ``"`` (``NIL``, ``NULL``, ``nan``, ``inf``, multi-values, ``1_0``, JSON
words) takes the careful path.

Security: entities are never resolved, no DTD or network access, no huge text nodes; a
document type declaration is refused (by ``parse_pm`` before parsing, and here once the
root is seen), and libxml2's own amplification limit stops an entity bomb that comes
first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson
from lxml import etree

from kpiwatch.ran.measurements import MeasBlock, PmFileError, Rejection
from kpiwatch.ran.parse_common import (
    BadValue,
    cell_of,
    duration_s,
    flag,
    indexed,
    ne_id,
    under,
    utc_time,
    values_of,
    with_prefix,
)

FORMATS = {"measCollecFile": "32.435", "measDataFile": "28.532"}
_EVENTS = tuple(
    "{*}" + tag for tag in ("fileHeader", "managedElement", "measEntity", "measInfo", "fileFooter")
)
CHUNK = 1 << 20


class _Reject(Exception):
    """One ``measInfo`` cannot be read: where and why."""

    def __init__(self, line: int | None, reason: str, token: str | None = None) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason
        self.token = token  # the value that is not a number


@dataclass
class XmlContent:
    format: str
    blocks: list[MeasBlock] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    nes: list[str] = field(default_factory=list)  # one per managedElement/measEntity
    begin: datetime | None = None  # fileHeader's beginTime
    end: datetime | None = None  # fileFooter's endTime


_LOCAL_NAMES: dict[Any, str] = {}  # "{namespace}name" → "name", shared by every file


def _local(tag: Any) -> str:
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        # a comment's or processing instruction's tag is a function: it has no name
        name = tag.rpartition("}")[2] if isinstance(tag, str) else ""
        if len(_LOCAL_NAMES) < 1024:  # a hostile file cannot grow it without bound
            _LOCAL_NAMES[tag] = name
    return name


@lru_cache(maxsize=1 << 14)  # the same cells come back in every period's file (≈ 8 MB at most)
def _object(
    prefix: str, me_dn: str, me_ne: str, other_ne: str, ldn: str | None
) -> tuple[str, str, str, str] | None:
    """``(name, ne, cell, object_class)`` of a ``measObjLdn`` under the managed element
    ``me_dn`` (whose id is ``me_ne``; ``other_ne`` when it has none and ``ldn`` names no
    ``ManagedElement``), or ``None`` when nothing names the NE."""
    own = (ldn or "").strip()
    ne = me_ne or ne_id(own, last=False) or other_ne
    if not ne:
        return None
    dn = under(me_dn, own) or f"ManagedElement={ne}"
    cell, object_class = cell_of(dn, ne)
    return with_prefix(prefix, dn), ne, cell, object_class


class _Reader:
    """The state of one file: the current network element and what was read so far."""

    def __init__(self, name: str, lenient: bool, name_ne: str | None) -> None:
        self.name = name
        self.lenient = lenient
        self.name_ne = name_ne
        self.content = XmlContent(format="")
        self.dn_prefix = ""
        self.sender_ne = ""
        self.me_dn = ""
        self.me_ne = ""
        self.periods: dict[tuple[str | None, str | None], tuple[datetime, int]] = {}
        self.spread: dict[tuple[tuple[str, ...], tuple[int, ...]], tuple[str, ...]] = {}

    # -- the file's frame -------------------------------------------------------------

    def root(self, elem: Any) -> None:
        root = elem.getroottree()
        if root.docinfo.internalDTD is not None:
            raise PmFileError(self.name, 1, "a document type declaration is not allowed")
        kind = _local(root.getroot().tag)
        if kind not in FORMATS:
            raise PmFileError(
                self.name,
                root.getroot().sourceline,
                f"<{kind}> is neither a TS 32.435 measCollecFile nor a TS 28.532 measDataFile",
            )
        self.content.format = FORMATS[kind]

    def header(self, elem: Any) -> None:
        self.dn_prefix = (elem.get("dnPrefix") or "").strip()
        for child in elem:
            local = _local(child.tag)
            if local == "fileSender":
                dn = child.get("localDn") or child.get("senderName") or ""
                self.sender_ne = ne_id(dn)
            elif child.get("beginTime"):
                self.content.begin = self.time(child, "beginTime")

    def footer(self, elem: Any) -> None:
        for child in elem:
            if isinstance(child.tag, str) and child.get("endTime"):
                self.content.end = self.time(child, "endTime")

    def time(self, elem: Any, attribute: str) -> datetime:
        text = elem.get(attribute)
        try:
            return utc_time(text)
        except ValueError:
            raise PmFileError(
                self.name,
                elem.sourceline,
                f"{attribute} {text!r} is not a date-time with a UTC offset",
            ) from None

    def managed_element(self, elem: Any) -> None:
        self.me_dn = (elem.get("localDn") or "").strip()
        self.me_ne = ne_id(self.me_dn) or (elem.get("userLabel") or "").strip()
        if self.me_ne:
            self.content.nes.append(self.me_ne)

    # -- measInfo ---------------------------------------------------------------------

    def period(self, info: Any, gran: Any) -> tuple[datetime, int]:
        if gran is None:
            raise _Reject(info.sourceline, "measInfo has no granPeriod")
        key = (gran.get("duration"), gran.get("endTime"))
        found = self.periods.get(key)
        if found is not None:
            return found
        try:
            seconds = duration_s(key[0] or "")
        except ValueError:
            raise _Reject(
                gran.sourceline, f"granPeriod duration {key[0]!r} is not an ISO 8601 duration"
            ) from None
        try:
            end = utc_time(key[1] or "")
        except ValueError:
            raise _Reject(
                gran.sourceline,
                f"granPeriod endTime {key[1]!r} is not a date-time with a UTC offset",
            ) from None
        found = self.periods[key] = (end, seconds)
        return found

    def counters(self, info: Any, types: Any, ptypes: list[Any]) -> tuple[tuple[str, ...], Any]:
        """The counter names, and for the ``p=`` form the position of each ``p``."""
        if types is not None:
            return _names(types.text or ""), None
        if not ptypes:
            raise _Reject(info.sourceline, "measInfo has no measTypes or measType")
        positions: dict[str, int] = {}
        for index, elem in enumerate(ptypes):
            p = elem.get("p")
            name = (elem.text or "").strip()
            if not name or p is None or p in positions:
                why = "no name" if not name else "no p" if p is None else "a repeated p"
                raise _Reject(elem.sourceline, f"measType p={p!r} has {why}")
            positions[p] = index
        return _names(" ".join((elem.text or "").strip() for elem in ptypes)), positions

    def values(
        self, counters: tuple[str, ...], text: str, ldn: str | None
    ) -> tuple[tuple[str, ...], list[float | None]]:
        """The values of the results list of ``measObjLdn=ldn``, in counter order
        (``_Reject`` when wrong)."""
        count = len(counters)
        if not (
            "N" in text
            or "n" in text
            or "," in text
            or "_" in text
            or '"' in text
            or "t" in text
            or "f" in text
        ):
            # Plain numbers: orjson reads them four times faster than float(str). Its JSON
            # grammar is stricter than ours ("+1", ".5" and "01" fail it), and true, false,
            # null and strings cannot pass the test above; whatever fails here takes the
            # careful path below, which also finds the right error.
            listed = "[" + text.strip().replace(" ", ",") + "]"
            try:
                numbers: list[float | None] = list(map(float, orjson.loads(listed)))
            except (orjson.JSONDecodeError, TypeError):
                pass
            else:
                if len(numbers) == count:
                    return counters, numbers
        tokens = text.split()
        if len(tokens) != count:
            raise _Reject(None, f"measValue {ldn!r} has {len(tokens)} values for {count} counters")
        try:
            values, widths = values_of(tokens)
        except BadValue as bad:
            reason = f"measValue {ldn!r} has a value {bad.token!r} that is not a number"
            raise _Reject(None, reason, bad.token) from None
        if widths is None:
            return counters, values
        key = (counters, widths)
        spread = self.spread.get(key)
        if spread is None:
            spread = self.spread[key] = indexed(counters, widths)
        return spread, values

    def meas_info(self, info: Any) -> list[MeasBlock]:
        local_names = _LOCAL_NAMES
        gran = types = None
        ptypes: list[Any] = []
        meas_values: list[Any] = []
        for child in info:
            kind = local_names.get(child.tag) or _local(child.tag)
            if kind == "measValue":
                meas_values.append(child)
            elif kind == "measTypes":
                types = child
            elif kind == "measType":
                ptypes.append(child)
            elif kind == "granPeriod":
                gran = child
        group = info.get("measInfoId") or ""
        end, gran_s = self.period(info, gran)
        counters, positions = self.counters(info, types, ptypes)
        count = len(counters)
        blocks: list[MeasBlock] = []
        frame = (self.dn_prefix, self.me_dn, self.me_ne, self.name_ne or self.sender_ne)
        for mv in meas_values:
            ldn = mv.get("measObjLdn")
            obj = _object(*frame, ldn)
            if obj is None:
                raise _Reject(None, "the managed element has no id (localDn or userLabel)")
            results = None
            rs: list[Any] = []
            suspect = False
            for child in mv:
                kind = local_names.get(child.tag) or _local(child.tag)
                if kind == "measResults":
                    results = child
                elif kind == "r":
                    rs.append(child)
                elif kind == "suspect":
                    suspect = _suspect(child)
            if positions is None:
                text = "" if results is None else (results.text or "")
                where = mv if results is None else results
            else:
                text = _by_position(rs, positions, count)
                where = rs[0] if rs else mv
            try:
                counted, values = self.values(counters, text, ldn)
            except _Reject as bad:
                # the line of the results list, or of the r holding the wrong value
                wrong = (r for r in rs if bad.token and bad.token in (r.text or ""))
                raise _Reject(next(wrong, where).sourceline, bad.reason) from None
            full_name, ne, cell, object_class = obj
            blocks.append(
                MeasBlock(
                    group, ne, full_name, cell, object_class, end, gran_s, counted, values, suspect
                )
            )
        return blocks

    def take(self, info: Any) -> None:
        try:
            self.content.blocks.extend(self.meas_info(info))
        except _Reject as bad:
            line = bad.line if bad.line is not None else info.sourceline
            if not self.lenient:
                raise PmFileError(self.name, line, bad.reason) from None
            group = info.get("measInfoId")
            self.content.rejected.append(Rejection(line, bad.reason, group))


@lru_cache(maxsize=1024)
def _names(text: str) -> tuple[str, ...]:
    """The counter names of a ``measTypes`` list: one tuple per list, shared by every
    block (and file) that uses it."""
    return tuple(text.split())


def _suspect(elem: Any) -> bool:
    try:
        return flag(elem.text or "")
    except ValueError as error:
        raise _Reject(elem.sourceline, str(error)) from None


def _by_position(rs: list[Any], positions: dict[str, int], count: int) -> str:
    """The ``r p=`` values as one results list in counter order (``NIL`` for an ``r``
    that is empty or left out)."""
    tokens = ["NIL"] * count
    for r in rs:
        index = positions.get(r.get("p"))
        if index is None:
            raise _Reject(r.sourceline, f"r p={r.get('p')!r} names no measType")
        tokens[index] = (r.text or "").strip() or "NIL"
    return " ".join(tokens)


def _handle(reader: _Reader, events: Iterable[tuple[str, Any]], checked: bool) -> bool:
    """Read what the parser reported so far, clearing it from the tree as it goes."""
    for _event, elem in events:
        if not checked:
            reader.root(elem)
            checked = True
        kind = _LOCAL_NAMES.get(elem.tag) or _local(elem.tag)
        if kind == "measInfo":
            reader.take(elem)
        elif kind in ("managedElement", "measEntity"):
            reader.managed_element(elem)
        elif kind == "fileHeader":
            reader.header(elem)
        elif kind == "fileFooter":
            reader.footer(elem)
        elem.clear()
        parent = elem.getparent()
        if parent is not None:
            while elem.getprevious() is not None:
                del parent[0]
    return checked


def read_xml(
    chunks: Iterable[bytes], name: str, *, lenient: bool, name_ne: str | None
) -> XmlContent:
    """Read a whole PM XML document given in ``chunks`` (``PmFileError`` when it cannot be
    read at all, or — without ``lenient`` — when any ``measInfo`` is wrong).

    The chunks (of ``CHUNK`` bytes from ``parse_pm``) are fed to a pull parser: memory
    stays bounded by a chunk and one ``measInfo``, and it runs twice as fast as
    ``iterparse`` reading a file object, which calls back into Python for every 32 kB.
    """
    reader = _Reader(name, lenient, name_ne)
    parser = etree.XMLPullParser(
        events=("end",),
        tag=_EVENTS,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
    )
    checked = False
    try:
        for chunk in chunks:
            parser.feed(chunk)
            checked = _handle(reader, parser.read_events(), checked)
        root = parser.close()
        checked = _handle(reader, parser.read_events(), checked)
    except etree.XMLSyntaxError as error:
        line = error.lineno or (error.position[0] if error.position else None)
        raise PmFileError(name, line, f"the XML is not well-formed: {error.msg}") from None
    if not checked:
        reader.root(root)
    return reader.content
