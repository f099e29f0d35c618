"""Bodies of the fairs API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, Field, field_validator, model_validator

from services.registration.domain.policy import PriorityPolicy
from services.registration.schemas.common import (
    Address,
    Body,
    CommuneCodeInput,
    CommuneInput,
    Count,
    Labels,
    Name,
    Points,
    ProvinceInput,
)
from shared.contracts.registration import AllocationMode, ExhibitorKind, FairKind
from shared.taxcode import InvalidTaxCode, normalize_tax_code

_DEFAULT = PriorityPolicy()
DEFAULT_MAX_BOOTHS = 4


class SellerIn(Body):
    """The organizing centre as its invoices name it."""

    name: Name
    tax_code: str = Field(max_length=20)
    address: Address = ""

    @field_validator("tax_code")
    @classmethod
    def _tax_code(cls, value: str) -> str:
        try:
            return normalize_tax_code(value)
        except InvalidTaxCode as exc:
            raise ValueError(str(exc)) from exc


class EligibilityIn(Body):
    """Who may register; empty lists admit everyone."""

    kinds: list[ExhibitorKind] = Field(default_factory=list, max_length=4)
    cscnnt_only: bool = Field(default=False, strict=True)
    home_provinces: list[ProvinceInput] = Field(default_factory=list, max_length=34)


class RecognitionPointsIn(Body):
    """Points for the best "CNNT tiêu biểu" recognition among the registered products."""

    national: Points = _DEFAULT.recognition_points["national"]
    regional: Points = _DEFAULT.recognition_points["regional"]
    provincial: Points = _DEFAULT.recognition_points["provincial"]


class PriorityPolicyIn(Body):
    """The fair's priority policy (docs/registration.md); omitted fields keep the defaults."""

    recognition_points: RecognitionPointsIn = Field(default_factory=RecognitionPointsIn)
    cscnnt_points: Points = _DEFAULT.cscnnt_points
    difficult_commune_points: Points = _DEFAULT.difficult_commune_points
    difficult_communes: list[CommuneCodeInput] = Field(default_factory=list, max_length=4000)
    priority_sector_points: Points = _DEFAULT.priority_sector_points
    priority_sectors: Labels = Field(default_factory=list)
    local_points: Points = _DEFAULT.local_points
    earliness_points: Points = _DEFAULT.earliness_points


class FairFields(Body):
    """What an organizer may set on a fair (all optional: the base of create and update)."""

    name: Name | None = None
    kind: FairKind | None = None
    province_code: ProvinceInput | None = None
    venue: Name | None = None
    venue_commune_code: CommuneInput | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    registration_opens_at: AwareDatetime | None = None
    registration_closes_at: AwareDatetime | None = None
    cancellation_deadline: AwareDatetime | None = None
    capacity_booths: Annotated[Count, Field(le=10_000)] | None = None
    booth_price_vnd: Annotated[int, Field(strict=True, ge=0, le=1_000_000_000)] | None = None
    is_free: Annotated[bool, Field(strict=True, description="booths at no charge: the only case a booth price "
                                                            "of 0 is accepted")] | None = None
    max_booths_per_exhibitor: Annotated[Count, Field(le=100)] | None = None
    allocation_mode: AllocationMode | None = None
    booths_per_row: Annotated[Count, Field(le=200)] | None = None
    sectors: Labels | None = None
    zones: Labels | None = None
    eligibility: EligibilityIn | None = None
    priority_policy: PriorityPolicyIn | None = None
    seller: SellerIn | None = None


class FairCreate(FairFields):
    """A new fair (a draft until published)."""

    name: Name
    kind: FairKind = "provincial"
    province_code: ProvinceInput
    venue: Name
    starts_on: date
    ends_on: date
    registration_opens_at: AwareDatetime
    registration_closes_at: AwareDatetime
    capacity_booths: Annotated[Count, Field(le=10_000)]
    booth_price_vnd: Annotated[int, Field(strict=True, ge=0, le=1_000_000_000)]
    is_free: Annotated[bool, Field(strict=True)] = False
    max_booths_per_exhibitor: Annotated[Count, Field(le=100, description="default 4, or the capacity when "
                                                                         "smaller")] = DEFAULT_MAX_BOOTHS
    allocation_mode: AllocationMode = "automatic"
    booths_per_row: Annotated[Count, Field(le=200)] = 10
    seller: SellerIn

    @model_validator(mode="after")
    def _default_maximum_within_capacity(self) -> FairCreate:
        """The default maximum never exceeds a small fair's capacity; one the organizer sets is checked instead."""
        if "max_booths_per_exhibitor" not in self.model_fields_set:
            self.max_booths_per_exhibitor = min(DEFAULT_MAX_BOOTHS, self.capacity_booths)
        return self


class FairUpdate(FairFields):
    """Changes to a fair before it starts; only the fields given change."""


class EligibilityPublic(BaseModel):
    """The fair's eligibility rules."""

    kinds: list[str]
    cscnnt_only: bool
    home_provinces: list[str]


class FairPublic(BaseModel):
    """A fair as callers see it."""

    id: str
    centre_id: str
    name: str
    kind: str
    province_code: str
    venue: str
    venue_commune_code: str | None = None
    starts_on: date
    ends_on: date
    registration_opens_at: datetime
    registration_closes_at: datetime
    cancellation_deadline: datetime
    capacity_booths: int
    booth_price_vnd: int
    is_free: bool = False
    max_booths_per_exhibitor: int
    allocation_mode: str
    booths_per_row: int
    sectors: list[str]
    zones: list[str]
    eligibility: EligibilityPublic
    priority_policy: dict[str, Any]
    status: str
    cancel_reason: str | None = None
    approved_booths: int = 0
    free_booths: int = 0


class FairsPublic(BaseModel):
    """A page of fairs."""

    data: list[FairPublic]
    count: int

