"""Bodies of the subsidy programme API and its settlement report."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.billing.domain.programme_terms import SettlementStatus
from shared.contracts.registration import ExhibitorKind
from shared.fields import CommuneCodeInput, ProvinceInput
from shared.text import NAME, TEXT

Level = Literal["national", "local"]
Base = Literal["gross", "net"]
MAX_VND = 10**15


class ProgrammeFields(BaseModel):
    """Every term of a programme that may change after creation (all optional in a PATCH)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=300), NAME] | None = None
    decision: Annotated[str, Field(max_length=200), TEXT] | None = Field(
        default=None, description="the approving decision, e.g. QĐ số ...")
    budget_vnd: int | None = Field(default=None, ge=0, le=MAX_VND)
    valid_from: date | None = None
    valid_to: date | None = None
    support_percent: int | None = Field(default=None, ge=1, le=100, description="% of the standard booth rent")
    cap_per_booth_vnd: int | None = Field(default=None, ge=0, le=MAX_VND, description="absent: no cap")
    max_booths_per_exhibitor: int | None = Field(default=None, ge=1, le=1000)
    base: Base | None = Field(default=None, description="gross: the booth price with VAT; net: without")
    cscnnt_only: bool | None = None
    eligible_kinds: list[ExhibitorKind] | None = None
    eligible_provinces: list[ProvinceInput] | None = Field(default=None, max_length=34)
    eligible_communes: list[CommuneCodeInput] | None = Field(default=None, max_length=5000)
    fair_ids: list[str] | None = Field(default=None, max_length=500, description="empty: every fair of the centre")


class ProgrammeCreate(ProgrammeFields):
    """A new programme of the organizer's centre (KCQG: national; KCĐP: local, with its funding province)."""

    name: Annotated[str, Field(min_length=1, max_length=300), NAME]
    level: Level
    funder: Annotated[str, Field(min_length=1, max_length=300), NAME] = Field(
        description="e.g. Bộ Công Thương, Sở Công Thương Tuyên Quang")
    funding_province_code: ProvinceInput | None = None
    budget_vnd: int = Field(ge=0, le=MAX_VND)
    valid_from: date
    valid_to: date
    support_percent: int = Field(ge=1, le=100)
    max_booths_per_exhibitor: int = Field(ge=1, le=1000)


class ProgrammeUpdate(ProgrammeFields):
    """Changes to a programme; the budget may not drop below what is committed."""


class ProgrammePublic(BaseModel):
    """A programme with its live budget position."""

    id: str
    centre_id: str
    name: str
    decision: str
    level: Level
    funder: str
    funding_province_code: str | None
    budget_vnd: int
    committed_vnd: int = Field(description="held against the budget now (released commitments excluded)")
    remaining_vnd: int
    valid_from: date
    valid_to: date
    support_percent: int
    cap_per_booth_vnd: int | None
    max_booths_per_exhibitor: int
    base: Base
    cscnnt_only: bool
    eligible_kinds: list[str]
    eligible_provinces: list[str]
    eligible_communes: list[str]
    fair_ids: list[str]
    created_at: datetime
    updated_at: datetime


class ProgrammesPublic(BaseModel):
    """A list of programmes."""

    data: list[ProgrammePublic]
    count: int


class SettlementGroup(BaseModel):
    """Support within one fair or one province."""

    key: str
    label: str
    booths: int
    exhibitors: int
    committed_vnd: int
    paid_vnd: int
    released_vnd: int


class SettlementLine(BaseModel):
    """One supported invoice."""

    invoice: str
    issued_on: date
    fair_id: str
    fair_name: str
    exhibitor_id: str
    exhibitor_name: str
    tax_code: str
    province_code: str | None
    province_name: str
    booths: int
    per_booth_vnd: int
    requested_vnd: int
    amount_vnd: int
    status: SettlementStatus


class SettlementReport(BaseModel):
    """The programme's settlement (quyết toán): booths, exhibitors, amounts by fair and province."""

    programme: ProgrammePublic
    budget_vnd: int
    committed_vnd: int = Field(description="live commitments, paid ones included")
    paid_vnd: int = Field(description="commitments whose invoice the exhibitor has paid: support delivered")
    released_vnd: int = Field(description="commitments returned to the budget (voided invoices)")
    remaining_vnd: int
    booths: int
    exhibitors: int
    by_fair: list[SettlementGroup]
    by_province: list[SettlementGroup]
    lines: list[SettlementLine]
