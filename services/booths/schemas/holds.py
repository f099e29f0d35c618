"""Request and response bodies of exhibitors' holds and wishes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from services.booths.schemas.assignments import BoothsIn
from services.booths.schemas.common import In


class HoldIn(BoothsIn):
    """An exhibitor's pick for one of its approved registrations."""

    registration_id: str = Field(max_length=64)


class PreferencesIn(In):
    """What the exhibitor wishes for: a corner booth (granted when possible, never at another's expense)."""

    wants_corner: bool


class HoldPublic(BaseModel):
    """A live hold: booths kept for a registration until `expires_at` unless confirmed."""

    hold_id: str
    registration_id: str
    exhibitor_id: str
    booth_codes: list[str]
    expires_at: datetime


class HoldsPublic(BaseModel):
    """A list of holds."""

    data: list[HoldPublic]
    count: int
