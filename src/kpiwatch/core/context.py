"""Who is calling: the identity every service function receives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

ROLE_RANK = {"viewer": 1, "reporter": 2, "admin": 3}


@dataclass(frozen=True)
class Caller:
    """A request's identity. ``role`` is None for an anonymous reader."""

    tenant_id: int
    tenant_slug: str
    now: datetime
    ip: str | None = None
    user_id: int | None = None
    name: str | None = None
    role: str | None = None
    session_id: str | None = None
    api_key_id: int | None = None

    def has_role(self, role: str) -> bool:
        return self.role is not None and ROLE_RANK[self.role] >= ROLE_RANK[role]
