"""Bodies of the planning settings, sites and suppliers of a programme."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from services.markets.domain.calendar import branch_index
from services.markets.domain.suppliers import SUPPLIER_KINDS
from services.markets.schemas.programmes import PeriodIn, Text300
from shared.contracts.registration import ExhibitorKind
from shared.fields import CommuneCodeInput
from shared.text import NAME, TEXT

Flag = Annotated[bool, Field(strict=True)]
if TYPE_CHECKING:
    SupplierKind = ExhibitorKind
else:  # the contract's kinds a programme enrols, as a Literal (the same validation and OpenAPI enum)
    SupplierKind = Literal[SUPPLIER_KINDS]
Category = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60), TEXT]


def _branch(value: str | int) -> str | int:
    branch_index(value)  # raises ValueError with the list of names
    return value


class WeekdayRule(BaseModel):
    """Market on fixed weekdays: 1 = Monday … 7 = Sunday (Đồng Văn: [7])."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["weekday"]
    weekdays: list[Annotated[int, Field(strict=True, ge=1, le=7)]] = Field(min_length=1, max_length=7)


class BranchRule(BaseModel):
    """Market on earthly-branch days, "chợ lùi" (Lũng Phìn: ["Dần", "Thân"]); names or 0 (Tý) … 11 (Hợi)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["branch"]
    branches: list[Annotated[str | int, AfterValidator(_branch)]] = Field(min_length=1, max_length=12)


class LunarRule(BaseModel):
    """Market on days of the lunar month (Khâu Vai: [2, 7, 12, 17, 22, 27])."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["lunar"]
    days: list[Annotated[int, Field(strict=True, ge=1, le=30)]] = Field(min_length=1, max_length=30)


class LunarDate(BaseModel):
    """A day of the lunar year: month 1–12 (never its leap repeat), day 1–30."""

    model_config = ConfigDict(extra="forbid")
    month: int = Field(strict=True, ge=1, le=12)
    day: int = Field(strict=True, ge=1, le=30)


class LunarYearlyRule(BaseModel):
    """A market once a year on lunar dates (Khâu Vai's love market: [{"month": 3, "day": 27}])."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["lunar_yearly"]
    dates: list[LunarDate] = Field(min_length=1, max_length=12)


class DailyRule(BaseModel):
    """A daily market, or no market day to honour."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["daily"]


MarketDayIn = Annotated[WeekdayRule | BranchRule | LunarRule | LunarYearlyRule | DailyRule,
                        Field(discriminator="kind")]


class SiteFields(BaseModel):
    """What can be said of a site, on creation or change."""

    model_config = ConfigDict(extra="forbid")
    name: Text300 | None = Field(default=None, description="where: the commune centre, its market")
    mountain: Flag | None = None
    border: Flag | None = None
    island: Flag | None = None
    difficult: Flag | None = Field(default=None, description="xã đặc biệt khó khăn")
    priority: int | None = Field(default=None, strict=True, ge=1, le=100,
                                 description="higher first; default from the flags")
    capacity_booths: int | None = Field(default=None, strict=True, ge=1, le=1000)
    travel_hours: float | None = Field(default=None, strict=True, ge=0, le=48, description="by road from the centre")
    market_day: MarketDayIn | None = None
    blackouts: list[PeriodIn] | None = Field(default=None, max_length=50,
                                             description="e.g. the rainy season, a border closure")
    max_sessions: int | None = Field(default=None, strict=True, ge=1, le=100)


class SiteCreate(SiteFields):
    """A commune of the programme's province: its code, or its name (current, or pre-July-2025 with the
    old district) for lists imported from before the merger."""

    commune_code: CommuneCodeInput | None = None
    commune_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
                            NAME] | None = None
    former_district: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                      max_length=100), NAME] | None = None
    capacity_booths: int = Field(strict=True, ge=1, le=1000)

    @model_validator(mode="after")
    def _one_commune(self) -> SiteCreate:
        if (self.commune_code is None) == (self.commune_name is None):
            raise ValueError("give exactly one of commune_code and commune_name")
        return self


class SitesImport(BaseModel):
    """Many sites at once, all or nothing."""

    model_config = ConfigDict(extra="forbid")
    sites: list[SiteCreate] = Field(min_length=1, max_length=500)


class SitePublic(BaseModel):
    """A site as callers see it."""

    id: str
    programme_id: str
    commune_code: str
    commune_name: str
    name: str
    mountain: bool
    border: bool
    island: bool
    difficult: bool
    priority: int
    capacity_booths: int
    travel_hours: float
    market_day: dict[str, Any]
    market_day_text: str
    blackouts: list[dict[str, Any]]
    max_sessions: int | None
    imported_as: str | None


class SitesPublic(BaseModel):
    """A list of sites, by commune code."""

    data: list[SitePublic]
    count: int


class SupplierFields(BaseModel):
    """What can be said of a supplier, on creation or change."""

    model_config = ConfigDict(extra="forbid")
    name: Text300 | None = None
    kind: SupplierKind | None = None
    tax_code: str | None = Field(default=None, strict=True, max_length=20,
                                 description="10 digits with the check digit, 10+3 for a branch, or a 12-digit "
                                             "personal ID (households); checked by shared.taxcode")
    categories: list[Category] | None = Field(default=None, min_length=1, max_length=10,
                                              description="goods categories: nông sản, dệt may, gia dụng…")
    availability: list[PeriodIn] | None = Field(default=None, max_length=20,
                                                description="when it can come; empty: all year")
    funded: Flag | None = Field(default=None, description="its costs are supported by the programme")
    max_sessions: int | None = Field(default=None, strict=True, ge=1, le=366)
    booths: int | None = Field(default=None, strict=True, ge=1, le=20, description="booths it takes")


class SupplierCreate(SupplierFields):
    """A new supplier of the programme."""

    name: Text300
    categories: list[Category] = Field(min_length=1, max_length=10)


class SupplierPublic(BaseModel):
    """A supplier as its programme's organizer sees it."""

    id: str
    programme_id: str
    name: str
    kind: str
    tax_code: str | None
    categories: list[str]
    availability: list[dict[str, Any]]
    funded: bool
    max_sessions: int
    booths: int


class SuppliersPublic(BaseModel):
    """A list of suppliers, by name."""

    data: list[SupplierPublic]
    count: int
