"""Gatus-style conditions of http monitors: ``[STATUS] == 200``, ``[RESPONSE_TIME] < 500``,
``[BODY].data.ok == true``, ``[CERTIFICATE_EXPIRATION] > 72h``.

A condition is ``<left> <operator> <right>`` with an operator among ``== != < <= > >=``.
Each side is a placeholder, a function or a value:

- placeholders: ``[STATUS]`` (the HTTP status code), ``[RESPONSE_TIME]`` (ms),
  ``[BODY]`` (the body's text) and ``[BODY].<json path>`` (a value of the JSON body, the
  path as ``json_path``), ``[CERTIFICATE_EXPIRATION]`` (ms until the server's
  certificate expires; the condition fails on plain http), ``[CONNECTED]`` (true when an
  answer came);
- functions: ``len(<placeholder>)`` (length of a text, list or object), ``has(<placeholder>)``
  (true when the body has something at the path), and on the right of ``==``/``!=`` only
  ``pat(<pattern>)`` (a ``*``/``?`` wildcard pattern) and ``any(<value>, …)``;
- values: numbers, durations (``500ms``, ``30s``, ``15m``, ``72h``, ``7d``, compared as
  ms), ``true``, ``false``, ``null``, quoted or bare text.

``==`` compares numbers as numbers and anything else as text (strings as they are, other
JSON values as their JSON: ``true``, ``3``). Ordering operators need numbers.

``parse(text)`` checks a condition once, when the monitor is written, and raises
``ConditionError`` with the 1-based column of the problem; ``Condition.failure(observed)``
evaluates it per check and answers None or why it failed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from kpiwatch.watch import jsonpath

PLACEHOLDERS = ("[BODY]", "[CERTIFICATE_EXPIRATION]", "[CONNECTED]", "[RESPONSE_TIME]", "[STATUS]")
NUMERIC = ("[STATUS]", "[RESPONSE_TIME]", "[CERTIFICATE_EXPIRATION]")
OPERATORS = ("==", "!=", "<=", ">=", "<", ">")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d)$")
_DURATION_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
_FUNCTION = re.compile(r"^(len|has|pat|any)\((.*)\)$", re.DOTALL)
_ABSENT = object()


class ConditionError(ValueError):
    """A condition that cannot be parsed; ``column`` is 1-based."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"column {column}: {message}")
        self.message = message
        self.column = column


@dataclass(frozen=True)
class Observed:
    """What one check saw, as the placeholders read it."""

    status_code: int | None
    response_ms: float | None
    body: str = ""
    certificate_expires_ms: float | None = None

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return _ABSENT


@dataclass(frozen=True)
class Operand:
    """One side: ``kind`` is ``placeholder``, ``len``, ``has``, ``pat``, ``any`` or
    ``value``; ``path`` is a [BODY] JSON path; ``values`` the literal value(s)."""

    kind: str
    text: str
    placeholder: str | None = None
    path: tuple[str | int, ...] = ()
    values: tuple[Any, ...] = ()

    @property
    def orderable(self) -> bool:
        """Can be a number: ordering operators accept it (a body value is checked per check)."""
        if self.kind == "len":
            return True
        if self.kind == "placeholder":
            return self.placeholder in NUMERIC or bool(self.path)
        value = self.values[0] if self.kind == "value" else None
        return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class Condition:
    text: str
    left: Operand
    op: str
    right: Operand

    def failure(self, seen: Observed) -> str | None:
        """None when the condition holds, else what was found."""
        document = seen.json() if _reads_json(self.left, self.right) else _ABSENT
        left = _resolve(self.left, seen, document)
        if self.right.kind in ("pat", "any"):
            matched = _matches(left, self.right)
            holds = matched if self.op == "==" else not matched
        else:
            right = _resolve(self.right, seen, document)
            holds = _compare(left, self.op, right)
        if holds:
            return None
        if left is None and self.left.placeholder == "[CERTIFICATE_EXPIRATION]":
            return f"{self.text} (no certificate: the URL is not https)"
        return f"{self.text} (found {_show(left)})"


def _reads_json(*operands: Operand) -> bool:
    return any(o.placeholder == "[BODY]" and o.path for o in operands)


def _resolve(operand: Operand, seen: Observed, document: Any) -> Any:
    if operand.kind == "value":
        return operand.values[0]
    value: Any
    if operand.placeholder == "[STATUS]":
        value = seen.status_code
    elif operand.placeholder == "[RESPONSE_TIME]":
        value = seen.response_ms
    elif operand.placeholder == "[CERTIFICATE_EXPIRATION]":
        value = seen.certificate_expires_ms
    elif operand.placeholder == "[CONNECTED]":
        value = seen.status_code is not None
    elif operand.path:
        try:
            value = jsonpath.lookup(document, list(operand.path))
        except jsonpath.Missing:
            value = _ABSENT
    else:
        value = seen.body
    if operand.kind == "has":
        return value is not _ABSENT
    if operand.kind == "len":
        return len(value) if isinstance(value, str | list | dict) else _ABSENT
    return value


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None or value is _ABSENT:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        return float(value)
    return None


def _as_text(value: Any) -> str:
    return jsonpath.as_text(value)


def _equal(left: Any, right: Any) -> bool:
    if left is _ABSENT or right is _ABSENT:
        return False
    a, b = _as_number(left), _as_number(right)
    if a is not None and b is not None:
        return a == b
    return _as_text(left) == _as_text(right)


def _compare(left: Any, op: str, right: Any) -> bool:
    if op == "==":
        return _equal(left, right)
    if op == "!=":
        return not _equal(left, right)
    a, b = _as_number(left), _as_number(right)
    if a is None or b is None:
        return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _matches(left: Any, right: Operand) -> bool:
    if left is _ABSENT:
        return False
    if right.kind == "pat":
        return fnmatchcase(_as_text(left), str(right.values[0]))
    return any(_equal(left, v) for v in right.values)


def _show(value: Any) -> str:
    if value is _ABSENT:
        return "nothing"
    if value is None:
        return "none"
    text = _as_text(value)
    return text if len(text) <= 100 else text[:100] + "…"


def _literal(text: str, column: int) -> Any:
    if not text:
        raise ConditionError("expected a value", column)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    if text == "null":
        return None
    if _NUMBER.match(text):
        return float(text) if "." in text else int(text)
    duration = _DURATION.match(text)
    if duration:
        amount = float(duration.group(1)) * _DURATION_MS[duration.group(2)]
        return int(amount) if amount.is_integer() else amount
    if text.startswith("[") and "]" in text:
        name = text[: text.index("]") + 1]
        raise ConditionError(
            f"unknown placeholder {name}; expected one of {', '.join(PLACEHOLDERS)}", column
        )
    return text


def _placeholder(text: str, column: int) -> Operand | None:
    if not text.startswith("["):
        return None
    name = next((p for p in PLACEHOLDERS if text.startswith(p)), None)
    if name is None:
        return None
    rest = text[len(name) :]
    if not rest:
        return Operand("placeholder", text, name)
    if name != "[BODY]":
        where = column + len(name) + len(rest) - len(rest.lstrip())
        raise ConditionError(f"unexpected {rest.strip()!r} after {name}", where)
    if not rest.startswith(("[", ".")):
        raise ConditionError("a JSON path after [BODY] starts with '.' or '['", column + 6)
    try:
        steps = jsonpath.parse("$" + rest)
    except jsonpath.PathError as exc:
        raise ConditionError(f"bad JSON path after [BODY]: {exc}", column + len(name)) from None
    return Operand("placeholder", text, name, tuple(steps))


def _operand(text: str, column: int, side: str) -> Operand:
    function = _FUNCTION.match(text)
    if function:
        name, inner = function.group(1), function.group(2)
        inner_column = column + len(name) + 1
        if name in ("len", "has"):
            found = _placeholder(inner.strip(), inner_column)
            if found is None:
                raise ConditionError(f"{name}() takes a placeholder such as [BODY].items", column)
            return Operand(name, text, found.placeholder, found.path)
        if side == "left":
            raise ConditionError(f"{name}() belongs on the right of == or !=", column)
        if name == "pat":
            return Operand("pat", text, values=(inner.strip(),))
        items = [i.strip() for i in inner.split(",")]
        return Operand("any", text, values=tuple(_literal(i, inner_column) for i in items))
    found = _placeholder(text, column)
    if found is not None:
        return found
    return Operand("value", text, values=(_literal(text, column),))


def _find_operator(text: str) -> tuple[int, str] | None:
    depth, quote = 0, ""
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        elif depth == 0:
            op = next((o for o in OPERATORS if text.startswith(o, i)), None)
            if op is not None:
                return i, op
    return None


def parse(text: str) -> Condition:
    """Parse and check one condition; raises ``ConditionError`` at the first problem."""
    found = _find_operator(text)
    if found is None:
        raise ConditionError(
            "no comparison operator; expected one of " + ", ".join(OPERATORS), len(text) + 1
        )
    index, op = found
    raw_left, raw_right = text[:index], text[index + len(op) :]
    left_col = len(raw_left) - len(raw_left.lstrip()) + 1
    right_col = index + len(op) + len(raw_right) - len(raw_right.lstrip()) + 1
    if not raw_left.strip():
        raise ConditionError(f"expected a placeholder before {op!r}", left_col)
    if not raw_right.strip():
        raise ConditionError(f"expected a value after {op!r}", right_col)
    left = _operand(raw_left.strip(), left_col, "left")
    right = _operand(raw_right.strip(), right_col, "right")
    if left.kind == "value" and right.kind in ("value", "pat", "any"):
        raise ConditionError("compare a placeholder, not two constants", left_col)
    if right.kind in ("pat", "any") and op not in ("==", "!="):
        raise ConditionError(f"{right.kind}() works with == and != only", right_col)
    if op not in ("==", "!="):
        for operand, column in ((left, left_col), (right, right_col)):
            if not operand.orderable:
                raise ConditionError(f"{op} needs numbers; {operand.text} is not one", column)
    return Condition(text.strip(), left, op, right)


def needs_certificate(conditions: tuple[Condition, ...]) -> bool:
    return any(
        o.placeholder == "[CERTIFICATE_EXPIRATION]" for c in conditions for o in (c.left, c.right)
    )
