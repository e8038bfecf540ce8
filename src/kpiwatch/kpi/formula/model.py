"""A checked formula and the parts its value is made of.

Each aggregate of a formula is kept as one or more *parts*, named after its function and
its place in the formula (``N``, 1 for the first aggregate):

- ``count_N``, ``open_N``, ``sum_N``: one number; parts of several rows are summed;
- ``avg_N.sum`` and ``avg_N.count``: each summed; the average is sum / count;
- ``min_N``, ``max_N``: the smallest / largest of the parts;
- ``pXX_N``, ``count_distinct_N``: kept for display, but not combinable: a rollup
  recomputes them from the rows (``compute.compute_rollup``);
- ``pXX_N.le_<ms>`` … ``pXX_N.le_inf``: a percentile of a histogram field, one count per
  bucket, each summed; the percentile is read from them (``histogram``).

Counter aggregates (``sum(pm.X)``) are kept the same way, but for ``avg``, a mean weighted
by time: ``avg_N.weighted`` (Σ value × seconds it covers) and ``avg_N.seconds`` (Σ seconds
of the rows with a value); ``seconds_N`` is the seconds covered by the rows with a value.
A counter part over no value is ``None`` (nothing was measured), not 0.

A KPI's value is always ``Formula.value(parts)``: aggregates from parts, then the
arithmetic, so a rollup over services or periods is Σnumerator / Σdenominator, never a
mean of ratios. A snapshot (``open``) rolled up over *periods* is its value at the end of
the last period.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

from kpiwatch.kpi.formula import histogram
from kpiwatch.kpi.formula.ast import (
    PERCENTILES,
    Aggregate,
    BinOp,
    FieldRef,
    Neg,
    Node,
    Number,
    render,
)

ADDITIVE_FUNCTIONS = frozenset({"count", "open", "sum", "avg", "min", "max", "seconds"})

Parts = Mapping[str, float | int | None]


class NotAdditive(ValueError):
    """The formula has percentiles or ``count_distinct``: its parts cannot be combined."""


def part_keys(agg: Aggregate) -> tuple[str, ...]:
    """The names under which an aggregate is kept in ``parts``."""
    if agg.buckets:
        return histogram.part_keys(agg.key, agg.buckets)
    if agg.func == "avg" and agg.counter is not None:
        return (f"{agg.key}.weighted", f"{agg.key}.seconds")
    if agg.func == "avg":
        return (f"{agg.key}.sum", f"{agg.key}.count")
    return (agg.key,)


def aggregate_reader(agg: Aggregate) -> Callable[[Parts], float | None]:
    """An aggregate's value as a function of its parts (``None``: no data); the keys are
    found once, since a backfill reads tens of thousands of rows."""
    if agg.buckets:
        q = PERCENTILES[agg.func]
        return lambda parts: histogram.value(agg.key, agg.buckets, q, parts)
    if agg.func == "avg":
        total_key, count_key = part_keys(agg)

        def mean(parts: Parts) -> float | None:
            total, count = parts.get(total_key), parts.get(count_key)
            return None if total is None or not count else float(total) / float(count)

        return mean
    key = agg.key

    def single(parts: Parts) -> float | None:
        value = parts.get(key)
        return None if value is None else float(value)

    return single


def _combine(
    agg: Aggregate, key: str, values: Sequence[float | int | None], periods: bool
) -> float | int | None:
    present = [v for v in values if v is not None]
    if agg.func == "open" and periods:
        return values[-1] if values else None
    if agg.func == "min":
        return min(present) if present else None
    if agg.func == "max":
        return max(present) if present else None
    if agg.counter is not None and not present:
        return None
    return sum(present)


Evaluator = Callable[[Parts], float | None]


def _evaluator(node: Node) -> Evaluator:
    """``node`` as a function of the parts (a backfill evaluates it for every row)."""
    if isinstance(node, Number):
        constant = float(node.value)
        return lambda _: constant
    if isinstance(node, Aggregate):
        return aggregate_reader(node)
    if isinstance(node, Neg):
        operand = _evaluator(node.operand)

        def negated(parts: Parts) -> float | None:
            value = operand(parts)
            return None if value is None else -value

        return negated
    if isinstance(node, BinOp):
        left, right, op = _evaluator(node.left), _evaluator(node.right), node.op

        def combined(parts: Parts) -> float | None:
            a, b = left(parts), right(parts)
            if a is None or b is None:
                return None
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            return None if b == 0 else a / b

        return combined
    raise TypeError(f"not a KPI expression node: {node!r}")


def _with_keys(node: Node) -> Node:
    if isinstance(node, Aggregate):
        return FieldRef(node.key)
    if isinstance(node, BinOp):
        return replace(node, left=_with_keys(node.left), right=_with_keys(node.right))
    if isinstance(node, Neg):
        return replace(node, operand=_with_keys(node.operand))
    return node


def _describe_counter(agg: Aggregate) -> str:
    counter = f"counter {agg.counter}"
    if agg.func == "avg":
        return (
            f"{agg.key} = mean of {counter} weighted by the seconds each value covers; "
            f"kept as {agg.key}.weighted and {agg.key}.seconds"
        )
    what = {
        "sum": f"sum of {counter}",
        "count": f"number of values of {counter}",
        "seconds": f"seconds covered by the values of {counter}",
        "min": f"smallest value of {counter}",
        "max": f"largest value of {counter}",
    }[agg.func]
    return f"{agg.key} = {what} (suspect values left out)"


def _describe(agg: Aggregate) -> str:
    if agg.counter is not None:
        return _describe_counter(agg)
    where = f" where {render(agg.where)}" if agg.where is not None else ""
    if agg.span is not None:
        start, end = agg.span[0].name, agg.span[1].name
        return (
            f"{agg.key} = rows of {agg.dataset.name}{where} open at the end of the period "
            f"({start} before the end, {end} empty or not before the end)"
        )
    if agg.measure is None:
        what = f"count of rows of {agg.dataset.name}"
    else:
        kind = "the histogram " if agg.buckets else ""
        what = f"{agg.func} of {kind}{render(agg.measure)} over {agg.dataset.name}"
    kept = ""
    if agg.func == "avg":
        kept = f"; kept as {agg.key}.sum and {agg.key}.count"
    elif agg.buckets:
        kept = f"; kept as a count per bucket, {agg.key}.le_{agg.buckets[0]} …, interpolated"
    elif agg.func not in ADDITIVE_FUNCTIONS:
        kept = "; recomputed from the rows for any rollup"
    by = agg.by.name if agg.by is not None else "?"
    return f"{agg.key} = {what}{where} (in the period of {by}{kept})"


@dataclass(frozen=True)
class Formula:
    """A parsed formula that matches the dataset catalog (build it with ``parse()``)."""

    text: str
    expr: Node
    aggregates: tuple[Aggregate, ...]
    dimensions_allowed: tuple[str, ...]
    """Fields every dataset of the formula has and that can group it (text, choice, int)."""

    @property
    def canonical(self) -> str:
        """The formula in canonical form, with every default written out."""
        return render(self.expr)

    @property
    def datasets(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a.dataset.name for a in self.aggregates))

    @property
    def counters(self) -> tuple[str, ...]:
        """The RAN counters a counter formula reads (empty for a dataset formula)."""
        return tuple(dict.fromkeys(a.counter for a in self.aggregates if a.counter is not None))

    @property
    def additive(self) -> bool:
        """True when parts can be combined (no percentile, no ``count_distinct``)."""
        return all(a.func in ADDITIVE_FUNCTIONS or a.buckets for a in self.aggregates)

    @property
    def part_keys(self) -> tuple[str, ...]:
        return tuple(k for a in self.aggregates for k in part_keys(a))

    @cached_property
    def _evaluate(self) -> Evaluator:
        return _evaluator(self.expr)

    def value(self, parts: Parts) -> float | None:
        """The KPI value from the parts of one period and dimension combination."""
        return self._evaluate(parts)

    def combine(
        self, many: Sequence[Parts], *, across_periods: bool = False
    ) -> dict[str, float | int | None]:
        """Parts of several rows as one (rows in period order when ``across_periods``)."""
        if not self.additive:
            kinds = ", ".join(a.key for a in self.aggregates if a.func not in ADDITIVE_FUNCTIONS)
            raise NotAdditive(f"{kinds} cannot be combined from parts; recompute from rows")
        return {
            key: _combine(agg, key, [p.get(key) for p in many], across_periods)
            for agg in self.aggregates
            for key in part_keys(agg)
        }

    def explain(self) -> str:
        """What the formula computes, one line per aggregate, in words ops people read."""
        lines = [f"value = {render(_with_keys(self.expr))}"]
        lines += [_describe(a) for a in self.aggregates]
        if self.dimensions_allowed:
            lines.append("dimensions: " + ", ".join(self.dimensions_allowed))
        return "\n".join(lines)


def rollup(
    formula: Formula, many: Sequence[Parts], *, across_periods: bool = False
) -> tuple[float | None, dict[str, float | int | None]]:
    """The value and combined parts of several rows: Σ parts, then the formula."""
    parts = formula.combine(many, across_periods=across_periods)
    return formula.value(parts), parts
