"""Request and response bodies of a centre's invoice settings."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, field_validator

from services.billing.domain.numbering import TYPE_LETTERS
from services.billing.schemas import Strict
from shared.text import NAME


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
