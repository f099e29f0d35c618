"""Request and response bodies of a fair's price list and a centre's invoice settings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.billing.domain.numbering import TYPE_LETTERS
from services.billing.domain.pricing import Extra, PriceList, Surcharge
from shared.text import NAME, TEXT

ExhibitorKind = Literal["enterprise", "cooperative", "cooperative_group", "household"]
# A category of the VAT table in force (built in: service, standard, zero_rated, not_subject; BILLING_VAT_RULES
# may add more), checked against that table when the price list is set.
VatCategory = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,29}$")]


class Strict(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


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


class PriceListPublic(PriceListBody):
    """A fair's price list in full."""

    model_config = ConfigDict(extra="ignore")

    fair_id: str
    fair_name: str
    booth_price_vnd: int = Field(description="standard booth price, from the fair (registration service)")
    updated_at: datetime


class ExtraQuantity(Strict):
    """How many of one extra."""

    code: str = Field(pattern=r"^[a-z0-9_-]{1,40}$")
    quantity: int = Field(ge=1, le=1000)


class ExtrasOrder(Strict):
    """Extras for a registration: charged on its booth invoice, or on an invoice of their own once that exists."""

    items: list[ExtraQuantity] = Field(min_length=1, max_length=50)


class InvoiceSettingsBody(Strict):
    """A centre's invoicing settings: form and symbol parts, payment terms, bank account for VietQR."""

    form: str = Field(default="1", pattern=r"^[1-9]$")
    with_tax_authority_code: bool = True
    type_letter: str = Field(default="T", pattern=r"^[A-Z]$")
    series: str = Field(default="AA", pattern=r"^[A-Z]{2}$")
    due_in_days: int | None = Field(default=None, ge=0, le=365)
    bank_bin: str = Field(default="", pattern=r"^(\d{6})?$", description="NAPAS BIN of the bank, 6 digits")
    bank_account: str = Field(default="", pattern=r"^[0-9A-Za-z]{0,19}$")
    bank_account_name: Annotated[str, Field(max_length=100), NAME] = ""

    @field_validator("type_letter")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in TYPE_LETTERS:
            raise ValueError(f"unknown invoice type letter {value}; one of {''.join(sorted(TYPE_LETTERS))}")
        return value


class InvoiceSettingsPublic(InvoiceSettingsBody):
    """A centre's invoicing settings and the symbol they give this year."""

    model_config = ConfigDict(extra="ignore")

    centre_id: str
    symbol_this_year: str
