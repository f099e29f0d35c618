"""Bodies of the registrations API, and of the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from services.registration.schemas.common import Body, Count, Reason
from shared.text import NAME, TEXT

ProductName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NAME]
Sector = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), TEXT]
Ids = Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(min_length=1, max_length=500)]


class RegistrationCreate(Body):
    """A request for booths at a fair."""

    booths_requested: Annotated[Count, Field(le=100)]
    sector: Sector = ""
    zone: Sector = ""
    products: list[ProductName] = Field(default_factory=list, max_length=50)


class RegistrationUpdate(Body):
    """The exhibitor's changes when the organizer asked for them; only the fields given change."""

    booths_requested: Annotated[Count, Field(le=100)] | None = None
    sector: Sector | None = None
    zone: Sector | None = None
    products: list[ProductName] | None = Field(default=None, max_length=50)


class PriorityReason(BaseModel):
    """One line of a priority score."""

    code: str
    points: int
    detail: str


class RegistrationPublic(BaseModel):
    """A registration as returned."""

    id: str
    fair_id: str
    exhibitor_id: str
    booths_requested: int
    sector: str
    zone: str = ""
    products: list[str]
    priority_score: int
    priority_reasons: list[PriorityReason] = Field(default_factory=list)
    status: str
    decision_reason: str | None
    cancel_reason: str | None = None
    waitlist_position: int | None = None
    submitted_at: datetime
    decided_at: datetime | None
    updated_at: datetime | None = None


class RegistrationsPublic(BaseModel):
    """A page of registrations."""

    data: list[RegistrationPublic]
    count: int


class BulkApprove(Body):
    """Registrations of one fair to approve together (best priority first; the rest waitlisted)."""

    registration_ids: Ids


class BulkReject(Body):
    """Registrations of one fair to reject together, for one reason."""

    registration_ids: Ids
    reason: Reason


class AuditEntryPublic(BaseModel):
    """One line of the audit log."""

    id: int
    at: datetime
    actor_role: str
    actor: str
    action: str
    entity: str
    entity_id: str
    fair_id: str | None
    changes: dict[str, Any]
    reason: str | None


class AuditLogPublic(BaseModel):
    """A page of the audit log, oldest first."""

    data: list[AuditEntryPublic]
    count: int
