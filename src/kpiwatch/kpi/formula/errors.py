"""The one error of the formula language.

``FormulaError`` is raised by ``parse()`` for a syntax error (an unexpected character or
token, or a formula that ends too soon) and for a formula that does not fit the dataset
catalog (unknown function, dataset or field; a type mismatch such as comparing a timestamp
with a number or summing a text field; a clause that does not belong to its aggregate).
It always carries the 1-based ``line`` and ``column`` where the problem starts, a
``message`` for people and, when the parser or the catalog knows it, ``expected``: what
would have been accepted there.
"""

from __future__ import annotations

from typing import Any


class FormulaError(ValueError):
    """A formula that cannot be parsed or does not match the datasets."""

    def __init__(
        self, message: str, line: int, column: int, expected: list[str] | None = None
    ) -> None:
        super().__init__(f"line {line}, column {column}: {message}")
        self.message = message
        self.line = line
        self.column = column
        self.expected = list(expected or [])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, for an API error ``detail``."""
        return {
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "expected": self.expected,
        }
