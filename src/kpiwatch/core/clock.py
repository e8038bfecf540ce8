"""The time source. Everything asks the clock, so tests can fix it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """Wall clock in UTC; ``freeze``/``advance`` exist for tests and benchmarks."""

    def __init__(self) -> None:
        self._fixed: datetime | None = None

    def now(self) -> datetime:
        return self._fixed if self._fixed is not None else datetime.now(UTC)

    def freeze(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("the clock needs a timezone-aware datetime")
        self._fixed = at.astimezone(UTC)

    def advance(self, **delta: float) -> None:
        if self._fixed is None:
            raise RuntimeError("only a frozen clock can be advanced")
        self._fixed += timedelta(**delta)
