"""The syntax tree of a formula and its canonical text.

Three layers of nodes:

- the KPI expression: ``Number``, ``BinOp``, ``Neg`` and ``Aggregate`` leaves;
- an aggregate's *measure*, computed per row: ``Number``, ``FieldRef``, ``Duration``,
  ``BinOp``, ``Neg``;
- an aggregate's *condition* (its ``where``): ``Compare``, ``InList``, ``IsNull``, ``And``,
  ``Or``, ``Not`` over operands (``FieldRef``, ``Duration``, ``Str``, ``Number``).

A *counter aggregate* (``sum(pm.RRC.ConnEstabAtt.sum)``) is an ``Aggregate`` whose
``counter`` names a RAN counter instead of a measure of a dataset (its dataset is ``pm``).

Every node keeps the 1-based (line, column) where it starts, ignored by equality.
``render()`` gives the canonical text of a node (parsing it gives back an equal tree).
``Formula.value()`` (``model``) computes the KPI expression, with ``None`` for "no data":
a missing value or a division by zero makes the result ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Pos = tuple[int, int]

AGGREGATE_FUNCTIONS = (
    "count",
    "count_distinct",
    "sum",
    "avg",
    "min",
    "max",
    "p50",
    "p90",
    "p95",
    "p99",
    "open",
)
COUNTER_FUNCTIONS = ("sum", "avg", "min", "max", "count", "seconds")
COUNTER_SOURCE = "pm"
PERCENTILES = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}
DURATION_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


@dataclass(frozen=True)
class Number:
    value: int | float
    pos: Pos = field(default=(0, 0), compare=False)


@dataclass(frozen=True)
class Str:
    value: str
    pos: Pos = field(default=(0, 0), compare=False)


@dataclass(frozen=True)
class Name:
    """A dataset name as written in an aggregate."""

    name: str
    pos: Pos = field(default=(0, 0), compare=False)


@dataclass(frozen=True)
class FieldRef:
    name: str
    pos: Pos = field(default=(0, 0), compare=False)


@dataclass(frozen=True)
class Duration:
    """``hours(end - start)``: the time between two timestamps of a row, in ``unit``."""

    unit: str
    end: FieldRef
    start: FieldRef
    pos: Pos = field(default=(0, 0), compare=False)


@dataclass(frozen=True)
class BinOp:
    op: str  # + - * /
    left: Node
    right: Node
    pos: Pos = field(default=(0, 0), compare=False)


@dataclass(frozen=True)
class Neg:
    operand: Node
    pos: Pos = field(default=(0, 0), compare=False)


@dataclass(frozen=True)
class Compare:
    op: str  # = != < <= > >=
    left: Operand
    right: Operand
    pos: Pos = field(default=(0, 0), compare=False)


@dataclass(frozen=True)
class InList:
    operand: Operand
    values: tuple[Str | Number, ...]
    negated: bool = False
    pos: Pos = field(default=(0, 0), compare=False)


@dataclass(frozen=True)
class IsNull:
    operand: Operand
    negated: bool = False
    pos: Pos = field(default=(0, 0), compare=False)


@dataclass(frozen=True)
class And:
    left: Cond
    right: Cond
    pos: Pos = field(default=(0, 0), compare=False)


@dataclass(frozen=True)
class Or:
    left: Cond
    right: Cond
    pos: Pos = field(default=(0, 0), compare=False)


@dataclass(frozen=True)
class Not:
    operand: Cond
    pos: Pos = field(default=(0, 0), compare=False)


@dataclass(frozen=True)
class Aggregate:
    """One aggregate of a dataset.

    ``by`` is the timestamp that places a row in a period (event aggregates); ``span`` is
    the (from, to) pair of a snapshot (``open``): a row counts at the end of a period when
    it started before that end and had not ended by then. After checking, exactly one of
    them is set (defaults filled in) and ``key`` names the aggregate in ``parts``.
    ``counter`` is set instead for an aggregate of a RAN counter (dataset ``pm``).
    ``buckets`` (set by checking) are the bucket bounds of a percentile of a histogram
    field (``p95(latency of monitor_days)``, see ``histogram``).
    """

    func: str
    dataset: Name
    measure: Node | None = None
    where: Cond | None = None
    by: FieldRef | None = None
    span: tuple[FieldRef, FieldRef] | None = None
    counter: str | None = None
    key: str = field(default="", compare=False)
    pos: Pos = field(default=(0, 0), compare=False)
    buckets: tuple[int, ...] = field(default=(), compare=False)

    @property
    def is_snapshot(self) -> bool:
        return self.func == "open"


Operand = FieldRef | Duration | Str | Number
Node = Number | FieldRef | Duration | BinOp | Neg | Aggregate
Cond = Compare | InList | IsNull | And | Or | Not

_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


def _literal(node: Str | Number) -> str:
    if isinstance(node, Str):
        return "'" + node.value.replace("'", "''") + "'"
    return repr(node.value) if isinstance(node.value, float) else str(node.value)


def _operand(node: Node, parent: int, right: bool) -> str:
    text = render(node)
    if isinstance(node, BinOp):
        mine = _PRECEDENCE[node.op]
        if mine < parent or (right and mine == parent):
            return f"({text})"
    return text


def render(node: Node | Cond | Str) -> str:
    """The canonical text of a node."""
    if isinstance(node, Str | Number):
        return _literal(node)
    if isinstance(node, FieldRef):
        return node.name
    if isinstance(node, Duration):
        return f"{node.unit}({node.end.name} - {node.start.name})"
    if isinstance(node, BinOp):
        level = _PRECEDENCE[node.op]
        left = _operand(node.left, level, right=False)
        return f"{left} {node.op} {_operand(node.right, level, right=True)}"
    if isinstance(node, Neg):
        inner = render(node.operand)
        return f"-({inner})" if isinstance(node.operand, BinOp | Neg) else f"-{inner}"
    if isinstance(node, Compare):
        return f"{render(node.left)} {node.op} {render(node.right)}"
    if isinstance(node, InList):
        values = ", ".join(_literal(v) for v in node.values)
        return f"{render(node.operand)} {'not in' if node.negated else 'in'} ({values})"
    if isinstance(node, IsNull):
        return f"{render(node.operand)} is {'not null' if node.negated else 'null'}"
    if isinstance(node, And):
        return " and ".join(
            f"({render(side)})" if isinstance(side, Or) else render(side)
            for side in (node.left, node.right)
        )
    if isinstance(node, Or):
        return f"{render(node.left)} or {render(node.right)}"
    if isinstance(node, Not):
        inner = render(node.operand)
        return f"not ({inner})" if isinstance(node.operand, And | Or) else f"not {inner}"
    return _render_aggregate(node)


def _render_aggregate(node: Aggregate) -> str:
    if node.counter is not None:
        return f"{node.func}({COUNTER_SOURCE}.{node.counter})"
    text = node.func + "("
    if node.measure is not None:
        text += render(node.measure) + " of "
    text += node.dataset.name
    if node.span is not None:
        text += f" from {node.span[0].name} to {node.span[1].name}"
    if node.where is not None:
        text += " where " + render(node.where)
    if node.by is not None:
        text += f" by {node.by.name}"
    return text + ")"


def aggregates_of(node: Node) -> list[Aggregate]:
    """The aggregates of a KPI expression, left to right."""
    if isinstance(node, Aggregate):
        return [node]
    if isinstance(node, BinOp):
        return aggregates_of(node.left) + aggregates_of(node.right)
    if isinstance(node, Neg):
        return aggregates_of(node.operand)
    return []
