"""Text to syntax tree: the lark parser, its transformer and its syntax errors.

``parse_tree(text)`` returns the unchecked KPI expression (see ``ast``); ``check`` then
matches it against the dataset catalog. Syntax errors become ``FormulaError`` with the
position of the offending character or token and the tokens that would have fitted.
"""

from __future__ import annotations

from typing import Any

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError
from lark.lexer import PatternStr

from kpiwatch.kpi.formula.ast import (
    COUNTER_SOURCE,
    Aggregate,
    And,
    BinOp,
    Compare,
    Cond,
    Duration,
    FieldRef,
    InList,
    IsNull,
    Name,
    Neg,
    Node,
    Not,
    Number,
    Or,
    Pos,
    Str,
)
from kpiwatch.kpi.formula.errors import FormulaError
from kpiwatch.kpi.formula.grammar import GRAMMAR

_PARSER = Lark(GRAMMAR, parser="lalr", maybe_placeholders=True)

_TERMINAL_NAMES = {
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": "a quoted string",
    "COMPARE": "a comparison (=, !=, <, <=, >, >=)",
    "COUNTER": "a counter (pm.<name>)",
    "$END": "the end of the formula",
}


def _describe_terminal(name: str) -> str:
    if name in _TERMINAL_NAMES:
        return _TERMINAL_NAMES[name]
    pattern = _PARSER.get_terminal(name).pattern
    return f"'{pattern.value}'" if isinstance(pattern, PatternStr) else name.lower()


def _expected(names: set[str]) -> list[str]:
    return sorted({_describe_terminal(n) for n in names})


def _pos(token: Token) -> Pos:
    return (token.line or 1, token.column or 1)


def _end_of(text: str) -> Pos:
    lines = text.split("\n")
    return (len(lines), len(lines[-1]) + 1)


def _number(token: Token) -> int | float:
    text = str(token)
    return float(text) if any(c in text for c in ".eE") else int(text)


class _ToAst(Transformer[Token, Node]):
    """Builds ``ast`` nodes; every rule name matches one in the grammar."""

    def number(self, c: list[Token]) -> Number:
        return Number(_number(c[0]), _pos(c[0]))

    def negative_number(self, c: list[Token]) -> Number:
        return Number(-_number(c[1]), _pos(c[0]))

    def string(self, c: list[Token]) -> Str:
        return Str(str(c[0])[1:-1].replace("''", "'"), _pos(c[0]))

    def field(self, c: list[Token]) -> FieldRef:
        return FieldRef(str(c[0]), _pos(c[0]))

    def binop(self, c: list[Any]) -> BinOp:
        return BinOp(str(c[1]), c[0], c[2], c[0].pos)

    def neg(self, c: list[Any]) -> Neg:
        return Neg(c[1], _pos(c[0]))

    def duration(self, c: list[Token]) -> Duration:
        end, start = FieldRef(str(c[1]), _pos(c[1])), FieldRef(str(c[3]), _pos(c[3]))
        return Duration(str(c[0]).lower(), end, start, _pos(c[0]))

    def compare(self, c: list[Any]) -> Compare:
        op = "!=" if c[1] == "<>" else str(c[1])
        return Compare(op, c[0], c[2], c[0].pos)

    def literals(self, c: list[Any]) -> tuple[Str | Number, ...]:
        return tuple(c)

    def in_(self, c: list[Any]) -> InList:
        return InList(c[0], c[2], False, c[0].pos)

    def not_in(self, c: list[Any]) -> InList:
        return InList(c[0], c[3], True, c[0].pos)

    def is_null(self, c: list[Any]) -> IsNull:
        return IsNull(c[0], False, c[0].pos)

    def is_not_null(self, c: list[Any]) -> IsNull:
        return IsNull(c[0], True, c[0].pos)

    def and_(self, c: list[Any]) -> And:
        return And(c[0], c[2], c[0].pos)

    def or_(self, c: list[Any]) -> Or:
        return Or(c[0], c[2], c[0].pos)

    def not_(self, c: list[Any]) -> Not:
        return Not(c[1], _pos(c[0]))

    def where(self, c: list[Any]) -> tuple[str, Pos, Cond]:
        return ("where", _pos(c[0]), c[1])

    def by(self, c: list[Token]) -> tuple[str, Pos, FieldRef]:
        return ("by", _pos(c[0]), FieldRef(str(c[1]), _pos(c[1])))

    def span(self, c: list[Token]) -> tuple[str, Pos, tuple[FieldRef, FieldRef]]:
        start, end = FieldRef(str(c[1]), _pos(c[1])), FieldRef(str(c[3]), _pos(c[3]))
        return ("from", _pos(c[0]), (start, end))

    def aggregate(self, c: list[Any]) -> Aggregate:
        func, measure, _of, dataset, *clauses = c
        found: dict[str, Any] = {}
        for keyword, pos, value in clauses:
            if keyword in found:
                raise FormulaError(f"'{keyword}' appears twice in this aggregate", *pos)
            found[keyword] = value
        return Aggregate(
            func=str(func).lower(),
            dataset=Name(str(dataset), _pos(dataset)),
            measure=measure,
            where=found.get("where"),
            by=found.get("by"),
            span=found.get("from"),
            pos=_pos(func),
        )

    def counter_aggregate(self, c: list[Token]) -> Aggregate:
        func, counter = c
        return Aggregate(
            func=str(func).lower(),
            dataset=Name(COUNTER_SOURCE, _pos(counter)),
            counter=str(counter)[len(COUNTER_SOURCE) + 1 :],
            pos=_pos(func),
        )


def _syntax_error(text: str, exc: UnexpectedInput) -> FormulaError:
    if isinstance(exc, UnexpectedCharacters):
        expected = _expected(set(exc.allowed or ()))
        char = exc.char
        if char == "'":
            message = "unterminated string: a quoted string ends with ' on the same line"
        else:
            message = f"unexpected character {char!r}"
        return FormulaError(message, exc.line, exc.column, expected)
    if isinstance(exc, UnexpectedToken):
        expected = _expected(set(exc.accepts or exc.expected))
        token = exc.token
        if token.type == "$END":
            line, column = _end_of(text)
            message = "the formula is empty" if not text.strip() else "the formula ends too soon"
        else:
            line, column = _pos(token)
            shown = f"name '{token}'" if token.type == "NAME" else f"'{token}'"
            message = f"unexpected {shown}"
        if len(expected) <= 6:
            message += "; expected " + " or ".join(expected)
        return FormulaError(message, line, column, expected)
    line, column = _end_of(text)
    return FormulaError("the formula ends too soon", line, column)


def parse_tree(text: str) -> Node:
    """The unchecked syntax tree of a formula; raises ``FormulaError`` on a syntax error."""
    try:
        tree = _PARSER.parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    try:
        node: Node = _ToAst().transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, FormulaError):
            raise exc.orig_exc from None
        raise
    return node
