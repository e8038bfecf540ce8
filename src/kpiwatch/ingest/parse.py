"""Reading NDJSON and CSV bodies into validated rows of a dataset, a batch at a time.

A batch is checked column by column first: one ``map`` or ``set`` per field and rule, in C,
instead of a Python call per value, which is what makes bulk ingestion fast. When that
finds anything wrong (or a line that is blank or not JSON), the batch is checked again
record by record to name each bad line, field and reason; both ways give the same values.

Values come out in the dataset's field order; a timestamp as the UTC text SQLite stores
or, for PostgreSQL's binary ``COPY``, as µs since 2000-01-01 UTC (see ``core.pgcopy``).
Parsing is by hand with orjson because it is 1.8× faster than pydantic per line and the
per-field checks are simple.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from itertools import islice, repeat
from operator import add, attrgetter, itemgetter, methodcaller
from typing import IO, Any

import orjson

from kpiwatch.core.db import sqlite_timestamp
from kpiwatch.core.pgcopy import micros, micros_of
from kpiwatch.ingest.datasets import Dataset, Field

Convert = Callable[[Any], Any]
ConvertColumn = Callable[[Sequence[Any]], "Sequence[Any] | None"]
Errors = list[tuple[str, str]]
Item = tuple[int, "dict[str, Any] | None", Errors]
"""A record's first line number, the record (None when unreadable), and what is wrong."""

_NONE = type(None)


class BadValue(ValueError):
    pass


@dataclass
class Batch:
    """Checked lines of a body: the good rows column by column, or what is wrong."""

    columns: list[Sequence[Any]] = field(default_factory=list)
    rows: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    """``(line, field, reason)`` of every problem; rows are dropped once there is one."""
    bad_lines: int = 0


def _str(f: Field) -> Convert:
    max_length = f.max_length

    def convert(value: Any) -> str:
        if type(value) is str:
            text = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            text = str(value)
        else:
            raise BadValue("must be a string")
        if len(text) > max_length:
            raise BadValue(f"is longer than {max_length} characters")
        return text

    return convert


def _enum(f: Field) -> Convert:
    choices = frozenset(f.choices)
    allowed = ", ".join(f.choices)

    def convert(value: Any) -> str:
        if type(value) is not str or value not in choices:
            raise BadValue(f"must be one of {allowed}")
        return value

    return convert


def _int(f: Field) -> Convert:
    minimum = f.minimum

    def convert(value: Any) -> int:
        if type(value) is not int:
            if type(value) is str:
                try:
                    value = int(value)
                except ValueError:
                    raise BadValue("must be an integer") from None
            elif type(value) is float and value.is_integer():
                value = int(value)
            else:
                raise BadValue("must be an integer")
        if minimum is not None and value < minimum:
            raise BadValue(f"must be ≥ {minimum}")
        return int(value)

    return convert


def _timestamp(zone: tzinfo, as_text: bool) -> Convert:
    """The UTC text SQLite stores with ``as_text``, else µs since 2000 (both order the
    same way, so the row rules compare either)."""
    fromisoformat = datetime.fromisoformat

    def convert(value: Any) -> int | str:
        if type(value) is not str:
            raise BadValue("must be an ISO 8601 timestamp string")
        try:
            parsed = fromisoformat(value)
        except ValueError:
            raise BadValue(f"is not an ISO 8601 timestamp: {value[:40]!r}") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=zone)
        return sqlite_timestamp(parsed) if as_text else micros(parsed)

    return convert


def _or_empty(f: Field, convert: Convert) -> Convert:
    """``convert``, with null or "" giving the field's default, or an error when required."""
    required, default = f.required, f.default

    def convert_or_default(value: Any) -> Any:
        if value is None or value == "":
            if required:
                raise BadValue("is required")
            return default
        return convert(value)

    return convert_or_default


def _each(convert: Convert, values: Sequence[Any]) -> list[Any] | None:
    try:
        return list(map(convert, values))
    except BadValue:
        return None


def _column(f: Field, convert: Convert, zone: tzinfo, as_text: bool) -> ConvertColumn:
    """Converts a whole column, or None when a value is bad; values that are already what
    they convert to are passed through after a check by ``set``/``map``."""
    absent = set() if f.required or f.default is not None else {_NONE}
    if f.kind == "timestamp":
        return _timestamp_column(f, convert, zone, as_text)
    if f.kind == "enum":
        return _enum_column(frozenset(f.choices) | absent, convert)
    types = frozenset({int if f.kind == "int" else str} | absent)

    def column(values: Sequence[Any]) -> Sequence[Any] | None:
        if not types.issuperset(map(type, values)):
            return _each(convert, values)
        present = [v for v in values if v is not None] if absent else values
        if f.kind == "int":
            fits = f.minimum is None or min(present, default=f.minimum) >= f.minimum
        else:
            fits = "" not in present and max(map(len, present), default=0) <= f.max_length
        return values if fits else _each(convert, values)

    return column


def _enum_column(good: frozenset[Any], convert: Convert) -> ConvertColumn:
    def column(values: Sequence[Any]) -> Sequence[Any] | None:
        try:
            fits = good.issuperset(values)
        except TypeError:  # an unhashable value (a list, an object): not a choice
            fits = False
        return values if fits else _each(convert, values)

    return column


_TO_UTC = methodcaller("astimezone", UTC)
_SQLITE_TEXT = methodcaller("isoformat", " ", "microseconds")
_FIRST_26 = itemgetter(slice(0, 26))
_TZINFO = attrgetter("tzinfo")
_FIRST_19 = itemgetter(slice(0, 19))
_T_TO_SPACE = methodcaller("replace", "T", " ")
# The separators of 2026-01-31T23:30:00Z and 2026-01-31 23:30:00+00:00 (20 or 25 long);
# after "+" in 25 characters only 00:00 can follow when the time parsed as UTC.
_SHAPE = itemgetter(4, 7, 10, 13, 16, 19)
_UTC_SHAPES = frozenset(("-", "-", t, ":", ":", z) for t in "T " for z in "Z+")
_UTC_LENGTHS = frozenset({20, 25})


def _sqlite_texts(texts: Sequence[str], parsed: list[datetime]) -> list[str]:
    """What SQLite stores for each time (see ``core.db.sqlite_timestamp``)."""
    if (
        {UTC}.issuperset(map(_TZINFO, parsed))
        and _UTC_LENGTHS.issuperset(map(len, texts))
        and _UTC_SHAPES.issuperset(map(_SHAPE, texts))
    ):
        # Already UTC to the second (…Z or …+00:00): the stored text is made of slices,
        # 5× cheaper than formatting the datetimes.
        return list(map(add, map(_T_TO_SPACE, map(_FIRST_19, texts)), repeat(".000000")))
    return list(map(_FIRST_26, map(_SQLITE_TEXT, map(_TO_UTC, parsed))))


def _timestamp_column(f: Field, convert: Convert, zone: tzinfo, as_text: bool) -> ConvertColumn:
    fromisoformat = datetime.fromisoformat

    def column(values: Sequence[Any]) -> Sequence[Any] | None:
        if "" in values or (None in values and f.required):
            return _each(convert, values)
        texts = [v for v in values if v is not None] if None in values else values
        try:
            parsed = list(map(fromisoformat, texts))
        except (TypeError, ValueError):
            return _each(convert, values)
        if None in map(_TZINFO, parsed):  # a local time: read in the tenant's zone
            return _each(convert, values)
        out: list[Any] = _sqlite_texts(texts, parsed) if as_text else micros_of(parsed)
        if texts is values:
            return out
        found = iter(out)
        return [None if v is None else next(found) for v in values]

    return column


class RowReader:
    """Validates the records of one dataset for one tenant (time zone for naive times).

    Timestamps come out as SQLite's stored text with ``sqlite_times``, else as µs since
    2000-01-01 UTC for PostgreSQL's binary ``COPY``.
    """

    def __init__(self, dataset: Dataset, zone: tzinfo, *, sqlite_times: bool = False) -> None:
        makers = {"str": _str, "enum": _enum, "int": _int}
        self.dataset = dataset
        self.names = tuple(f.name for f in dataset.fields)
        self.known = frozenset(self.names)
        self.all_fields = itemgetter(*self.names)
        index = {name: i for i, name in enumerate(self.names)}
        self.rules = [rule.bind(index) for rule in dataset.row_rules]
        self.columns: list[tuple[str, Convert]] = []
        self.column_checks: list[tuple[str, ConvertColumn]] = []
        for f in dataset.fields:
            convert = _timestamp(zone, sqlite_times) if f.kind == "timestamp" else makers[f.kind](f)
            self.columns.append((f.name, _or_empty(f, convert)))
            self.column_checks.append((f.name, _column(f, self.columns[-1][1], zone, sqlite_times)))

    def check(self, record: dict[str, Any]) -> tuple[tuple[Any, ...] | None, Errors]:
        """The record's values in field order, or the ``(field, reason)`` pairs against it."""
        get = record.get
        try:
            # The fast path for good records; a bad one is checked again field by field.
            values = tuple([convert(get(name)) for name, convert in self.columns])
        except BadValue:
            return None, self._errors(record)
        if len(record) > len(self.columns) or not self.known.issuperset(record):
            return None, self._errors(record)
        broken = [b for rule in self.rules if (b := rule(values)) is not None]
        return (None, broken) if broken else (values, [])

    def check_columns(self, records: list[Any]) -> list[Sequence[Any]] | None:
        """The records' values column by column when every one is good, else None."""
        if not {dict}.issuperset(map(type, records)):
            return None
        raw: list[Sequence[Any]]
        try:
            # Every field in every record, and (as keys are unique) no other key.
            raw = list(zip(*map(self.all_fields, records), strict=True))
            if sum(map(len, records)) != len(records) * len(self.names):
                return None
        except KeyError:  # an optional field left out
            if not self.known.issuperset(set().union(*records)):
                return None
            raw = [list(map(dict.get, records, repeat(name))) for name in self.names]
        columns = []
        for (_, convert), values in zip(self.column_checks, raw, strict=True):
            checked = convert(values)
            if checked is None:
                return None
            columns.append(checked)
        named = dict(zip(self.names, columns, strict=True))
        if not all(rule.holds(named) for rule in self.dataset.row_rules):
            return None
        return columns

    def _errors(self, record: dict[str, Any]) -> Errors:
        errors: Errors = []
        for name, convert in self.columns:
            try:
                convert(record.get(name))
            except BadValue as exc:
                errors.append((name, str(exc)))
        errors += [(k, "is not a field of this dataset") for k in record if k not in self.known]
        return errors

    def _one_by_one(self, items: Iterator[Item]) -> Batch:
        batch = Batch()
        rows: list[tuple[Any, ...]] = []
        for line, record, problems in items:
            values = None
            if record is not None and not problems:
                values, problems = self.check(record)
            if problems:
                batch.bad_lines += 1
                batch.errors += [(line, name, reason) for name, reason in problems]
            elif not batch.errors:
                assert values is not None
                rows.append(values)
        if not batch.errors:
            batch.rows = len(rows)
            batch.columns = list(zip(*rows, strict=True))
        return batch

    def ndjson(self, body: IO[bytes], size: int) -> Iterator[Batch]:
        """Batches of ``size`` lines."""
        start = 1
        while lines := list(islice(body, size)):
            try:
                records = list(map(orjson.loads, lines))
            except orjson.JSONDecodeError:
                records = None  # a blank or broken line: look at each
            columns = None if records is None else self.check_columns(records)
            if columns is not None:
                yield Batch(columns, len(lines))
            else:
                yield self._one_by_one(_ndjson_items(lines, start))
            start += len(lines)

    def csv(self, body: IO[bytes], size: int) -> Iterator[Batch]:
        """Batches of ``size`` records."""
        items = self._csv_items(body)
        while chunk := list(islice(items, size)):
            records = [record for _, record, problems in chunk if not problems]
            columns = self.check_columns(records) if len(records) == len(chunk) else None
            if columns is not None:
                yield Batch(columns, len(records))
            else:
                yield self._one_by_one(iter(chunk))

    def _csv_items(self, body: IO[bytes]) -> Iterator[Item]:
        text = io.TextIOWrapper(body, encoding="utf-8-sig", newline="")
        reader = csv.reader(text)
        try:
            header = next(reader, None)
            if header is None:
                return
            unknown = [h for h in header if h not in self.known]
            missing = [f.name for f in self.dataset.fields if f.required and f.name not in header]
            if unknown or missing or len(set(header)) != len(header):
                errors = [(h, "is not a field of this dataset") for h in unknown]
                errors += [(m, "is a required column") for m in missing]
                if len(set(header)) != len(header):
                    errors.append(("", "a column is named twice"))
                yield 1, None, errors
                return
            width = len(header)
            line_no = reader.line_num + 1
            for cells in reader:
                start, line_no = line_no, reader.line_num + 1
                if not cells:
                    continue
                if len(cells) != width:
                    yield start, None, [("", f"has {len(cells)} cells, the header has {width}")]
                    continue
                yield start, dict(zip(header, cells, strict=True)), []
        except UnicodeDecodeError:
            yield reader.line_num + 1, None, [("", "is not valid UTF-8")]
        except csv.Error as exc:
            yield reader.line_num, None, [("", f"malformed CSV: {exc}")]


def _ndjson_items(lines: list[bytes], start: int) -> Iterator[Item]:
    for line_no, raw in enumerate(lines, start):
        if not raw.strip():
            continue
        try:
            record = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            yield line_no, None, [("", f"invalid JSON: {exc}")]
            continue
        if type(record) is not dict:
            yield line_no, None, [("", "each line must be a JSON object")]
            continue
        yield line_no, record, []
