"""Bodies of the exhibitors API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, EmailStr, Field, StringConstraints

from services.registration.schemas.common import Address, Body, CommuneInput, Labels, Name, Phone, ProvinceInput
from shared.contracts.registration import ExhibitorKind
from shared.text import NAME, TEXT

ProductGroup = Literal["handicraft", "agro_food", "machinery", "other"]
RecognitionLevel = Literal["provincial", "regional", "national"]
TaxCodeInput = Annotated[str, Field(min_length=10, max_length=20,
                                    description="10 digits, 10+3 for a branch, or a 12-digit personal ID "
                                                "(household businesses)")]


class RecognitionIn(Body):
    """A "sản phẩm CNNT tiêu biểu" certificate: level tỉnh / khu vực / quốc gia."""

    level: RecognitionLevel
    certificate_no: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50), TEXT] = ""
    year: Annotated[int, Field(strict=True, ge=2000, le=2100)] | None = None


class ProductIn(Body):
    """A product the exhibitor makes; groups as in the CNNT tiêu biểu programme."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NAME]
    group: ProductGroup = "other"
    recognition: RecognitionIn | None = None


Products = Annotated[list[ProductIn], Field(max_length=50)]


class ExhibitorFields(Body):
    """What an exhibitor may set on its profile (all optional: the base of create and update)."""

    legal_name: Name | None = None
    kind: ExhibitorKind | None = None
    is_cscnnt: bool | None = Field(default=None, strict=True)
    tax_code: TaxCodeInput | None = None
    province_code: ProvinceInput | None = None
    commune_code: CommuneInput | None = None
    address: Address | None = None
    phone: Phone | None = None
    email: EmailStr | None = None
    sectors: Labels | None = None
    products: Products | None = None


class ExhibitorCreate(ExhibitorFields):
    """An exhibitor's profile; its address is a province and a commune of today's map."""

    legal_name: Name
    kind: ExhibitorKind
    is_cscnnt: bool = Field(default=False, strict=True)
    tax_code: TaxCodeInput
    province_code: ProvinceInput
    commune_code: CommuneInput
    address: Address = ""


class ExhibitorUpdate(ExhibitorFields):
    """Changes to the caller's own profile; only the fields given change (null clears an optional one; the
    commune, once set, is changed but never cleared)."""


class ExhibitorPublic(BaseModel):
    """An exhibitor's profile as returned."""

    id: str
    legal_name: str
    kind: str
    is_cscnnt: bool
    tax_code: str
    province_code: str
    commune_code: str | None
    address: str
    phone: str | None
    email: str | None
    sectors: list[str] = Field(default_factory=list)
    products: list[dict[str, Any]] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime


class ExhibitorsPublic(BaseModel):
    """A page of exhibitors."""

    data: list[ExhibitorPublic]
    count: int
