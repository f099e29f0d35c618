"""Request and response bodies of a fair's price list."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from services.billing.domain.pricing import Extra, PriceList, Surcharge
from services.billing.schemas import Strict
from shared.contracts.registration import ExhibitorKind
from shared.text import NAME, TEXT

# A category of the VAT table in force (built in: service, standard, zero_rated, not_subject; BILLING_VAT_RULES
# may add more), checked against that table when the price list is set.
VatCategory = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,29}$")]


class SurchargeBody(Strict):
    """A surcharge per booth: a fixed amount, a percentage of the booth price (rounded half up), or both."""

    amount_vnd: int = Field(default=0, ge=0, le=10_000_000_000)
    percent: int = Field(default=0, ge=0, le=100)


class ExtraBody(Strict):
    """An extra the fair offers; ``per_booth`` extras are charged for every booth without ordering."""

    code: str = Field(pattern=r"^[a-z0-9_-]{1,40}$")
    name: Annotated[str, Field(min_length=1, max_length=200), NAME]
    unit: Annotated[str, Field(min_length=1, max_length=20), TEXT]
    unit_price_vnd: int = Field(ge=0, le=10_000_000_000)
    vat_category: VatCategory = "service"
    per_booth: bool = False


class PriceListBody(Strict):
    """The organizer's part of a fair's price list (the standard booth price comes from the fair)."""

    price_by_kind: dict[ExhibitorKind, int] = Field(default_factory=dict,
                                                     description="booth price per exhibitor kind, in đồng")
    corner_surcharge: SurchargeBody = SurchargeBody()
    premium_surcharge: SurchargeBody = SurchargeBody()
    premium_booth_codes: list[str] = Field(default_factory=list, max_length=2000)
    extras: list[ExtraBody] = Field(default_factory=list, max_length=50)
    booth_vat_category: VatCategory = Field(default="service", description=(
        "VAT category of booth rent and surcharges, e.g. standard for a fair outside the reduced rate"))

    @field_validator("price_by_kind")
    @classmethod
    def _prices_are_vnd(cls, value: dict[str, int]) -> dict[str, int]:
        if any(price < 0 for price in value.values()):
            raise ValueError("prices must not be negative")
        return value

    @field_validator("extras")
    @classmethod
    def _codes_are_unique(cls, value: list[ExtraBody]) -> list[ExtraBody]:
        codes = [extra.code for extra in value]
        if len(set(codes)) != len(codes):
            raise ValueError("extra codes must be unique")
        return value

    def unknown_vat_category(self, known: frozenset[str]) -> str | None:
        """The field naming a VAT category ``known`` lacks, if any (e.g. "extras.0.vat_category")."""
        if self.booth_vat_category not in known:
            return "booth_vat_category"
        return next((f"extras.{i}.vat_category" for i, extra in enumerate(self.extras)
                     if extra.vat_category not in known), None)

    def to_price_list(self, booth_price_vnd: int) -> PriceList:
        """The pure price list, with the fair's standard booth price."""
        return PriceList(
            booth_price_vnd=booth_price_vnd, price_by_kind={str(k): v for k, v in self.price_by_kind.items()},
            corner=Surcharge(**self.corner_surcharge.model_dump()),
            premium=Surcharge(**self.premium_surcharge.model_dump()),
            premium_booths=frozenset(self.premium_booth_codes),
            extras=tuple(Extra(**extra.model_dump()) for extra in self.extras),
            booth_vat_category=self.booth_vat_category)


class SurchargePublic(BaseModel):
    """A surcharge per booth as set."""

    amount_vnd: int = 0
    percent: int = 0


class ExtraPublic(BaseModel):
    """An extra the fair offers."""

    code: str
    name: str
    unit: str
    unit_price_vnd: int
    vat_category: str = "service"
    per_booth: bool = False


class PriceListPublic(BaseModel):
    """A fair's price list in full: the standard booth price from the fair, the organizer's part as set."""

    price_by_kind: dict[ExhibitorKind, int] = Field(default_factory=dict,
                                                     description="booth price per exhibitor kind, in đồng")
    corner_surcharge: SurchargePublic = SurchargePublic()
    premium_surcharge: SurchargePublic = SurchargePublic()
    premium_booth_codes: list[str] = Field(default_factory=list)
    extras: list[ExtraPublic] = Field(default_factory=list)
    booth_vat_category: str = Field(default="service", description="VAT category of booth rent and surcharges")
    fair_id: str
    fair_name: str
    booth_price_vnd: int = Field(description="standard booth price, from the fair (registration service)")
    updated_at: datetime
