"""The small JSON path of http monitors: ``data.items[0].status`` (a leading ``$.`` is
allowed). Values compare as text: strings as they are, anything else as its JSON."""

from __future__ import annotations

import json
import re
from typing import Any

_STEP = re.compile(r"\.?([A-Za-z_][\w-]*)|\[(\d+)\]|\[\"([^\"]+)\"\]")


class PathError(ValueError):
    """The path cannot be parsed."""


class Missing(LookupError):
    """The document has nothing at the path."""


def parse(path: str) -> list[str | int]:
    text = path.strip()
    if text.startswith("$"):
        text = text[1:]
    steps: list[str | int] = []
    position = 0
    while position < len(text):
        match = _STEP.match(text, position)
        if match is None or match.end() == position:
            raise PathError(f"unexpected {text[position:]!r} at column {position + 1}")
        name, index, quoted = match.groups()
        steps.append(int(index) if index is not None else (name or quoted))
        position = match.end()
    if not steps:
        raise PathError("the path is empty")
    return steps


def lookup(document: Any, steps: list[str | int]) -> Any:
    value = document
    for step in steps:
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError) as exc:
            raise Missing(f"nothing at {step!r}") from exc
    return value


def as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
