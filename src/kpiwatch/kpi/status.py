"""Traffic lights: a KPI value's status and achievement against its target.

The default bands are seed 000's ``_get_status``: higher-is-better is GREEN from 95 % of
the target and YELLOW from 80 %; lower-is-better is GREEN up to the target and YELLOW up
to 1.2 × target. Achievement is ``value / target`` (higher) or ``target / value`` (lower,
100 while within target), rounded to one decimal. Absolute ``green``/``yellow``
thresholds, when a KPI sets them, replace the bands (not the achievement).

Band edges are compared in scaled products (``100·value ≥ 95·target``) rather than
through a ratio, so a value of exactly 95 % lands in GREEN despite binary floating point.
Where the seed divides by zero, kpiwatch answers what the target means: a higher-is-
better target of 0 is met by any value ≥ 0, a lower-is-better value of 0 meets any target.
"""

from __future__ import annotations

GREEN, YELLOW, RED, NO_DATA = "GREEN", "YELLOW", "RED", "NO_DATA"


def achievement(direction: str, target: float, value: float) -> float:
    if direction == "HIGHER_BETTER":
        if target == 0:
            return 100.0 if value >= 0 else 0.0
        return round(value / target * 100, 1)
    if value <= target:
        return 100.0
    return round(target / value * 100, 1)


def status_of(
    direction: str,
    target: float,
    value: float | None,
    green: float | None = None,
    yellow: float | None = None,
) -> tuple[str, float | None]:
    """``(status, achievement_pct)``; ``(NO_DATA, None)`` when there is no value."""
    if value is None:
        return NO_DATA, None
    pct = achievement(direction, target, value)
    higher = direction == "HIGHER_BETTER"
    if green is not None and yellow is not None:
        if higher:
            band = GREEN if value >= green else YELLOW if value >= yellow else RED
        else:
            band = GREEN if value <= green else YELLOW if value <= yellow else RED
        return band, pct
    if higher:
        if value * 100 >= 95 * target:
            return GREEN, pct
        return (YELLOW if value * 100 >= 80 * target else RED), pct
    if value <= target:
        return GREEN, pct
    return (YELLOW if value * 10 <= 12 * target else RED), pct


def overall(statuses: list[str]) -> str:
    """The dashboard's overall light: the worst status, NO_DATA only when all lack data."""
    for status in (RED, YELLOW, GREEN):
        if status in statuses:
            return status
    return NO_DATA
