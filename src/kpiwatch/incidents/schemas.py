"""Request bodies of the incident API, with the PRD's field names (§5.1)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

Status = Literal["investigating", "identified", "monitoring", "resolved"]
Severity = Literal["low", "medium", "high", "critical"]
PriorityValue = Literal["P1", "P2", "P3"]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Text = Annotated[str, StringConstraints(max_length=20_000)]
Reporter = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
ServiceIds = Annotated[list[str], Field(max_length=100)]


def _note(value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise ValueError("must not be empty: every status change needs a note")
    return None if value is None else value.strip()


class IncidentIn(BaseModel):
    """A new incident. Without ``priority`` the server derives it (see ``priority.py``)."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Text | None = None
    severity: Severity
    priority: PriorityValue | None = None
    status: Status = "investigating"
    affected_services: ServiceIds = Field(default_factory=list)
    reporter: Reporter | None = None
    detection_criteria: Text | None = None
    data_loss_risk: bool = False
    note: Text | None = Field(
        None, description="The first update's text; the description (or title) when omitted."
    )

    _check_note = field_validator("note")(_note)


class IncidentPatch(BaseModel):
    """Changed fields of an incident and the ``version`` they were edited from.

    A changed ``status`` needs a ``note``: it becomes the update that records the change.
    """

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1)
    title: Title | None = None
    description: Text | None = None
    status: Status | None = None
    note: Text | None = None
    severity: Severity | None = None
    priority: PriorityValue | None = None
    affected_services: ServiceIds | None = None
    reporter: Reporter | None = None
    detection_criteria: Text | None = None
    data_loss_risk: bool | None = None

    _check_note = field_validator("note")(_note)


class UpdateIn(BaseModel):
    """A timeline update: a note, optionally moving the incident to ``status``."""

    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    description: Text
    version: int | None = Field(None, ge=1, description="When given, must be current (409).")

    @field_validator("description")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        checked = _note(value)
        assert checked is not None
        return checked


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
