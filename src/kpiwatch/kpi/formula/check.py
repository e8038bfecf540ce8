"""Matching a syntax tree against the dataset catalog, at definition time.

``check(tree, text, datasets)`` returns a ``Formula`` or raises ``FormulaError`` at the
position of the first problem: an unknown function, dataset or field; a measure that is
not a number where one is needed (``sum(service of …)``); a comparison of different kinds
(a timestamp with a number, text with a number) or of two constants; a value that is not
one of an enum field's choices; a time field that is not a timestamp; a clause that does
not belong to its aggregate (``by`` in ``open()``, ``from … to`` elsewhere); a histogram
field read by anything but a percentile.

A counter aggregate (``sum(pm.X)``) takes one of ``COUNTER_FUNCTIONS``; a formula reads
either datasets or counters, not both (counters are grouped by ``ne`` and ``cell``, which
no dataset has). Counter names are not checked against what was imported: a counter no
file reported yet simply has no data.

It also fills in the defaults, so the checked formula says exactly what is computed:
``by`` (an event aggregate's time field) is ``DEFAULT_TIME_FIELDS[dataset]``, else the
dataset's first timestamp field; ``from … to`` of ``open()`` is ``DEFAULT_SPANS[dataset]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from kpiwatch.ingest.datasets import Dataset
from kpiwatch.kpi.formula.ast import (
    AGGREGATE_FUNCTIONS,
    COUNTER_FUNCTIONS,
    DURATION_UNITS,
    PERCENTILES,
    Aggregate,
    And,
    BinOp,
    Compare,
    Cond,
    Duration,
    FieldRef,
    InList,
    IsNull,
    Neg,
    Node,
    Not,
    Number,
    Or,
    Pos,
    Str,
    aggregates_of,
)
from kpiwatch.kpi.formula.errors import FormulaError
from kpiwatch.kpi.formula.model import Formula

DEFAULT_TIME_FIELDS = {"service_requests": "created_at", "deployments": "finished_at"}
DEFAULT_SPANS = {
    "service_requests": ("created_at", "resolved_at"),
    "deployments": ("started_at", "finished_at"),
}
_NUMERIC = ("sum", "avg", "min", "max", "p50", "p90", "p95", "p99")
_DIMENSION_KINDS = ("str", "enum", "int")
_ORDERING = ("<", "<=", ">", ">=")
COUNTER_DIMENSIONS = ("ne", "cell")


def _fail(message: str, pos: Pos, expected: list[str] | None = None) -> FormulaError:
    return FormulaError(message, pos[0], pos[1], expected)


class _Checker:
    def __init__(self, datasets: Mapping[str, Dataset]) -> None:
        self.datasets = datasets
        self.count = 0

    def expr(self, node: Node) -> Node:
        if isinstance(node, BinOp):
            return replace(node, left=self.expr(node.left), right=self.expr(node.right))
        if isinstance(node, Neg):
            return replace(node, operand=self.expr(node.operand))
        if isinstance(node, Aggregate):
            return self.aggregate(node)
        return node

    def aggregate(self, agg: Aggregate) -> Aggregate:
        func = agg.func
        if agg.counter is not None:
            return self._counter(agg)
        if func not in AGGREGATE_FUNCTIONS:
            if func in DURATION_UNITS:
                raise _fail(
                    f"{func}() measures one row; put it inside an aggregate, e.g. "
                    f"avg({func}(resolved_at - created_at) of service_requests)",
                    agg.pos,
                )
            raise _fail(f"unknown aggregate '{func}'", agg.pos, list(AGGREGATE_FUNCTIONS))
        dataset = self.datasets.get(agg.dataset.name)
        if dataset is None:
            raise _fail(
                f"unknown dataset '{agg.dataset.name}'", agg.dataset.pos, sorted(self.datasets)
            )
        buckets = self._check_measure(agg, dataset)
        if agg.where is not None:
            self.cond(agg.where, dataset)
        self.count += 1
        agg = replace(agg, key=f"{func}_{self.count}", buckets=buckets)
        if func == "open":
            return self._snapshot(agg, dataset)
        if agg.span is not None:
            raise _fail(
                "'from … to …' belongs to open(); place rows in time with 'by <field>'",
                agg.span[0].pos,
            )
        by = agg.by
        if by is None:
            name = DEFAULT_TIME_FIELDS.get(dataset.name) or next(
                (f.name for f in dataset.fields if f.kind == "timestamp"), None
            )
            if name is None:
                raise _fail(f"dataset '{dataset.name}' has no timestamp field", agg.pos)
            by = FieldRef(name, agg.pos)
        self._timestamp(by, dataset, "by")
        return replace(agg, by=by)

    def _counter(self, agg: Aggregate) -> Aggregate:
        assert agg.counter is not None
        if agg.func not in COUNTER_FUNCTIONS:
            raise _fail(
                f"{agg.func}() does not apply to a counter", agg.pos, list(COUNTER_FUNCTIONS)
            )
        name = agg.counter
        if name.endswith((".", "-")) or ".." in name:
            raise _fail(f"'pm.{name}' is not a counter name", agg.dataset.pos)
        self.count += 1
        return replace(agg, key=f"{agg.func}_{self.count}")

    def _snapshot(self, agg: Aggregate, dataset: Dataset) -> Aggregate:
        if agg.by is not None:
            raise _fail(
                "open() counts rows open at the end of each period: it takes "
                "'from <start> to <end>', not 'by'",
                agg.by.pos,
            )
        span = agg.span
        if span is None:
            names = DEFAULT_SPANS.get(dataset.name)
            if names is None:
                raise _fail(
                    f"open() on '{dataset.name}' needs 'from <start field> to <end field>'",
                    agg.pos,
                )
            span = (FieldRef(names[0], agg.pos), FieldRef(names[1], agg.pos))
        self._timestamp(span[0], dataset, "from")
        self._timestamp(span[1], dataset, "to")
        return replace(agg, span=span)

    def _check_measure(self, agg: Aggregate, dataset: Dataset) -> tuple[int, ...]:
        """Checks the measure; answers the bucket bounds of a histogram percentile."""
        func, measure = agg.func, agg.measure
        if measure is None:
            if func == "count_distinct" or func in _NUMERIC:
                raise _fail(
                    f"{func}() needs a measure: {func}(<field or expression> of {dataset.name})",
                    agg.pos,
                )
            return ()
        if func == "open":
            raise _fail("open() counts rows; it takes no '<measure> of'", _start(measure))
        kind = self.measure(measure, dataset)
        if kind == "histogram" and isinstance(measure, FieldRef):
            if func not in PERCENTILES:
                raise _fail(
                    f"{_what(measure, kind)} is read by p50, p90, p95 or p99, e.g. "
                    f"p95({measure.name} of {dataset.name})",
                    measure.pos,
                    list(PERCENTILES),
                )
            found = dataset.field(measure.name)
            return found.buckets if found is not None else ()
        if func in _NUMERIC and kind != "number":
            raise _fail(f"{func}() needs a number, not {_what(measure, kind)}", _start(measure))
        return ()

    def _field(self, ref: FieldRef, dataset: Dataset) -> str:
        found = dataset.field(ref.name)
        if found is None:
            raise _fail(
                f"unknown field '{ref.name}' in dataset '{dataset.name}'",
                ref.pos,
                [f.name for f in dataset.fields],
            )
        return "number" if found.kind in ("int", "number") else found.kind

    def _timestamp(self, ref: FieldRef, dataset: Dataset, clause: str) -> None:
        kind = self._field(ref, dataset)
        if kind != "timestamp":
            raise _fail(
                f"'{clause}' needs a timestamp field, not {_what(ref, kind)}",
                ref.pos,
                [f.name for f in dataset.fields if f.kind == "timestamp"],
            )

    def measure(self, node: Node, dataset: Dataset) -> str:
        """The kind of a per-row value: number, str, enum or timestamp."""
        if isinstance(node, Number):
            return "number"
        if isinstance(node, FieldRef):
            return self._field(node, dataset)
        if isinstance(node, Duration):
            if node.unit not in DURATION_UNITS:
                raise _fail(f"unknown function '{node.unit}'", node.pos, list(DURATION_UNITS))
            for ref in (node.end, node.start):
                kind = self._field(ref, dataset)
                if kind != "timestamp":
                    raise _fail(
                        f"{node.unit}() subtracts timestamps, not {_what(ref, kind)}",
                        ref.pos,
                    )
            return "number"
        if isinstance(node, Neg | BinOp):
            sides = [node.operand] if isinstance(node, Neg) else [node.left, node.right]
            for side in sides:
                kind = self.measure(side, dataset)
                if kind != "number":
                    raise _fail(f"arithmetic needs numbers, not {_what(side, kind)}", _start(side))
            return "number"
        raise _fail("an aggregate cannot contain another aggregate", node.pos)

    def operand(self, node: Node | Str, dataset: Dataset) -> str:
        if isinstance(node, Str):
            return "str"
        return self.measure(node, dataset)

    def cond(self, node: Cond, dataset: Dataset) -> None:
        if isinstance(node, And | Or):
            self.cond(node.left, dataset)
            self.cond(node.right, dataset)
        elif isinstance(node, Not):
            self.cond(node.operand, dataset)
        elif isinstance(node, IsNull):
            if isinstance(node.operand, Str | Number):
                raise _fail("'is null' needs a field", node.pos)
            self.operand(node.operand, dataset)
        elif isinstance(node, InList):
            kind = self.operand(node.operand, dataset)
            if kind == "timestamp":
                raise _fail("'in' compares a field with constants, not a timestamp", node.pos)
            for value in node.values:
                self._match(node.operand, kind, value, dataset, "=")
        else:
            self._compare(node, dataset)

    def _compare(self, node: Compare, dataset: Dataset) -> None:
        left, right = node.left, node.right
        if isinstance(left, Str | Number) and isinstance(right, Str | Number):
            raise _fail(
                "this compares two constants; name a field (without quotes) on one side",
                node.pos,
            )
        if isinstance(left, Str | Number):
            left, right = right, left
        self._match(left, self.operand(left, dataset), right, dataset, node.op)

    def _match(
        self, left: Node | Str, kind: str, right: Node | Str, dataset: Dataset, op: str
    ) -> None:
        other = self.operand(right, dataset)
        if kind == "enum" and op in _ORDERING:
            raise _fail(
                f"{_what(left, kind)} holds choices; compare it with =, != or in", _start(left)
            )
        same = {kind, other} <= {"str", "enum"} or kind == other
        if not same:
            raise _fail(
                f"cannot compare {_what(left, kind)} with {_what(right, other)}", _start(left)
            )
        if kind == "enum" and isinstance(right, Str) and isinstance(left, FieldRef):
            choices = getattr(dataset.field(left.name), "choices", ())
            if right.value not in choices:
                raise _fail(
                    f"'{right.value}' is not a value of {left.name} in {dataset.name}",
                    right.pos,
                    list(choices),
                )


def _start(node: Node | Str) -> Pos:
    return node.left.pos if isinstance(node, BinOp) else node.pos


def _what(node: Node | Str, kind: str) -> str:
    if isinstance(node, Str):
        return "a quoted string"
    if isinstance(node, Number):
        return "a number"
    if isinstance(node, FieldRef):
        names = {"str": "text", "enum": "choice", "number": "number"}
        return f"{names.get(kind, kind)} field '{node.name}'"
    return "a number" if kind == "number" else f"a {kind}"


def check(tree: Node, text: str, datasets: Mapping[str, Dataset]) -> Formula:
    """The formula of a syntax tree, checked against ``datasets`` and with defaults set."""
    checker = _Checker(datasets)
    expr = checker.expr(tree)
    aggregates = tuple(aggregates_of(expr))
    if not aggregates:
        raise _fail("a formula needs at least one aggregate, e.g. count(service_requests)", (1, 1))
    kinds = {a.counter is not None for a in aggregates}
    if len(kinds) == 2:
        odd = next(
            a for a in aggregates if (a.counter is not None) != (aggregates[0].counter is not None)
        )
        raise _fail("a formula reads either datasets or counters (pm.…), not both", odd.pos)
    if aggregates[0].counter is not None:
        return Formula(text, expr, aggregates, COUNTER_DIMENSIONS)
    used = [datasets[name] for name in dict.fromkeys(a.dataset.name for a in aggregates)]
    dimensions = tuple(
        f.name
        for f in used[0].fields
        if f.kind in _DIMENSION_KINDS
        and f.name != "id"
        and all((g := d.field(f.name)) is not None and g.kind == f.kind for d in used)
    )
    return Formula(text, expr, aggregates, dimensions)
