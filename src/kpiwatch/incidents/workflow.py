"""The four-stage workflow: investigating → identified → monitoring → resolved.

An open incident may stay where it is (an update that only adds a note) or move forward,
skipping stages if need be; it never moves back except from ``resolved``, which may go to
any earlier stage (a reopening). Resolution time is ``resolved_at - created_at``, both set
by the server.
"""

from __future__ import annotations

from datetime import datetime

from kpiwatch.core.errors import InvalidInput
from kpiwatch.incidents.models import STATUSES

RESOLVED = "resolved"


def allowed_next(current: str) -> list[str]:
    """The states an update may move an incident in ``current`` to (itself included)."""
    if current == RESOLVED:
        return list(STATUSES)
    return list(STATUSES[STATUSES.index(current) :])


def check_transition(current: str, target: str, loc: tuple[str, ...] = ("body", "status")) -> None:
    """Raise a 422 naming the allowed next states unless ``current → target`` is valid."""
    allowed = allowed_next(current)
    if target not in allowed:
        raise InvalidInput(
            [
                {
                    "loc": list(loc),
                    "msg": f"an incident cannot go from {current!r} to {target!r}; "
                    f"allowed next states: {', '.join(allowed)}",
                    "type": "invalid_transition",
                    "ctx": {"from": current, "to": target, "allowed": allowed},
                }
            ]
        )


def resolution(
    created_at: datetime, status: str, now: datetime, resolved_at: datetime | None
) -> tuple[datetime | None, int | None]:
    """``resolved_at`` and the resolution time in seconds after moving to ``status``.

    Resolving sets both at ``now`` (a note on a resolved incident keeps them); any other
    state clears them, which is how a reopened incident loses its old resolution.
    """
    if status != RESOLVED:
        return None, None
    at = resolved_at or now
    return at, int((at - created_at).total_seconds())


def duration_text(seconds: int | None) -> str | None:
    """``4h 15m`` as the PRD's SLA report shows resolution times; ``2d 3h 0m`` past a day."""
    if seconds is None:
        return None
    minutes = seconds // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h {minutes}m"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"
