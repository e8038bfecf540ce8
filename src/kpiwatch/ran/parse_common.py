"""What the PM parsers share: value tokens, distinguished names and times.

Values: ``NIL``, ``NULL`` and the empty string are missing (``None``); a number is an
ordinary decimal (``nan``, ``inf`` and ``1_000`` are refused, although ``float`` takes them);
``3,5,0`` is a multi-value counter (a PDF or an array) whose parts become ``Name[0]``,
``Name[1]``, … in place of ``Name``.

Names: a distinguished name is ``Type=value`` parts joined by commas, most general first.
An object's full name is the file's ``dnPrefix``, then its managed element's name, then
its ``measObjLdn``, each part written once (``under`` says how they overlap). The cell of
an object is the value of its last part and its class that part's type; the managed
element's id is the value of its ``ManagedElement`` part, but of its ``MeContext`` part when
there is one and the element is only numbered (Ericsson names the NE in ``MeContext`` and
calls every element ``ManagedElement=1``), else of its last part.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache

MISSING = frozenset({"", "NIL", "NULL"})
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_DURATION = re.compile(r"P(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?")
_ESCAPED_COMMA = re.compile(r"(?<!\\),")
_NE_CLASSES = frozenset({"ManagedElement", "MeContext"})


class BadValue(ValueError):
    """A value token that is neither a number nor a missing marker."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.token = token


def number(token: str) -> float | None:
    """One value: ``None`` when missing, the number otherwise (``BadValue`` if neither)."""
    if token.upper() in MISSING:
        return None
    if _NUMBER.fullmatch(token) is None:
        raise BadValue(token)
    return float(token)


def flag(text: str) -> bool:
    """A ``suspect`` flag: ``true``/``false`` (any case), ``1``/``0``, empty for false."""
    word = text.strip().lower()
    if word in ("true", "1"):
        return True
    if word in ("false", "0", ""):
        return False
    raise ValueError(f"suspect {text!r} is neither true nor false")


def values_of(tokens: Sequence[str]) -> tuple[list[float | None], tuple[int, ...] | None]:
    """Convert value tokens; the second item gives each token's width (its number of
    comma-separated parts) when at least one token is multi-valued, else ``None``."""
    if not any("," in token for token in tokens):
        return [number(token) for token in tokens], None
    values: list[float | None] = []
    widths: list[int] = []
    for token in tokens:
        if "," in token:
            parts = token.split(",")
            values.extend(number(part.strip()) for part in parts)
            widths.append(len(parts))
        else:
            values.append(number(token))
            widths.append(1)
    return values, tuple(widths)


def indexed(counters: Sequence[str], widths: Sequence[int]) -> tuple[str, ...]:
    """The counter names once multi-value counters are spread over ``Name[i]``."""
    names: list[str] = []
    for name, width in zip(counters, widths, strict=True):
        if width == 1:
            names.append(name)
        else:
            names.extend(f"{name}[{i}]" for i in range(width))
    return tuple(names)


def _parts(dn: str) -> list[str]:
    parts = _ESCAPED_COMMA.split(dn) if "\\" in dn else dn.split(",")
    return [part.strip() for part in parts if part.strip()]


def _rdn(part: str) -> tuple[str, str]:
    kind, eq, value = part.partition("=")
    return (kind.strip(), value.strip()) if eq else ("", kind.strip())


def rdns(dn: str) -> list[tuple[str, str]]:
    """``[(type, value), …]`` of a distinguished name (a part without ``=`` has no type)."""
    return [_rdn(part) for part in _parts(dn)]


def _joined(parent: list[str], child: list[str]) -> str | None:
    """``parent`` then ``child``, once, when the end of one is the start of the other."""
    keys, child_keys = [_rdn(p) for p in parent], [_rdn(c) for c in child]
    for size in range(min(len(parent), len(child)), 0, -1):
        if keys[-size:] == child_keys[:size]:
            return ",".join(parent + child[size:])
    return None


def with_prefix(prefix: str, name: str) -> str:
    """The full name of ``name`` under the file's ``dnPrefix`` (a part they share, like
    ``SubNetwork=RAN`` at the end of one and the start of the other, is written once)."""
    if not prefix or not name:
        return name or prefix
    parent, child = _parts(prefix), _parts(name)
    return _joined(parent, child) or ",".join(parent + child)


def under(managed_element: str, ldn: str) -> str:
    """The name of a measured object ``ldn`` (a ``measObjLdn``) within its managed
    element's name.

    Vendors write ``measObjLdn`` three ways: from the managed element down
    (``ManagedElement=ENB7,EUtranCellFDD=C1`` under ``ManagedElement=ENB7``), relative
    to it (TS 32.435's own example: ``RncFunction=RF-1,UtranCell=Gbg-997`` under
    ``…,ManagedElement=RNC-Gbg-1``), or below a part the element's name lacks (Ericsson:
    ``ManagedElement=1,…`` under ``SubNetwork=RAN,MeContext=ENB7``). The last two need the
    element's name in front, or every NE's ``ManagedElement=1,ENodeBFunction=1`` would be
    one object; the first needs it only where the two overlap.
    """
    if not managed_element or not ldn:
        return ldn or managed_element
    parent, child = _parts(managed_element), _parts(ldn)
    joined = _joined(parent, child)
    if joined is not None:
        return joined
    keys, child_keys = {_rdn(p) for p in parent}, [_rdn(c) for c in child]
    if keys & set(child_keys) or child_keys[0][0] in {kind for kind, _ in keys}:
        return ldn  # it names the element's path itself, or another branch of it
    return ",".join(parent + child)


@lru_cache(maxsize=1 << 12)  # names repeat across the files of one NE, and of a day
def ne_id(dn: str, *, last: bool = True) -> str:
    """The managed element's id within ``dn``: '' when it has none (when it names no
    ``MeContext`` or ``ManagedElement`` and ``last`` is false, or when it is empty)."""
    parts = rdns(dn)
    found = {kind: value for kind, value in parts if value}
    element, context = found.get("ManagedElement"), found.get("MeContext")
    if element and not (context and element.isdigit()):
        return element
    if context:
        return context
    return parts[-1][1] if parts and last else ""


@lru_cache(maxsize=1 << 12)
def cell_of(dn: str, ne: str) -> tuple[str, str]:
    """``(cell, object_class)``: the value and the type of the name's last part; the cell
    of the managed element itself (``ManagedElement=1``, ``MeContext=X``) is ``ne``."""
    parts = rdns(dn)
    if not parts:
        return "", ""
    kind, value = parts[-1]
    return (ne if kind in _NE_CLASSES else value), kind


@lru_cache(maxsize=1 << 12)  # every NE reports the same period ends
def utc_time(text: str) -> datetime:
    """An ISO 8601 date-time with a UTC offset (``Z`` or ``±hh:mm``), converted to UTC.

    A time without an offset is refused: PM files are read across time zones and a guess
    would shift every value of the file.
    """
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return moment.astimezone(UTC)


@lru_cache(maxsize=256)
def duration_s(text: str) -> int:
    """Seconds of an ISO 8601 duration such as ``PT900S``, ``PT15M``, ``PT1H`` or ``P1D``."""
    match = _DURATION.fullmatch(text.strip())
    if match is None or not any(match.groups()):
        raise ValueError(f"{text!r} is not an ISO 8601 duration")
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
    if total <= 0:
        raise ValueError(f"{text!r} is not a positive duration")
    return total
