"""Settings only billing reads, from ``BILLING_*`` environment variables (the kernel's Settings ignores them)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.billing.vat import VatRate, VatRule, with_overrides


class VatRuleSetting(BaseModel):
    """One dated row of the VAT table: a category's rate over an inclusive range (``valid_to`` null: open)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    category: str = Field(pattern=r"^[a-z][a-z0-9_]{0,29}$")
    valid_from: date = Field(default=date.min, description="first day; omitted: since always")
    valid_to: date | None = None
    rate: str = Field(pattern=r"^(\d{1,3}%|KCT)$", description='"8%", "10%", "0%", or "KCT" (not subject)')
    basis: str = Field(default="", max_length=300, description="the legal text, stored on each invoice line")

    def to_rule(self) -> VatRule:
        """The pure rule (refuses a range that ends before it starts, a percent above 100)."""
        return VatRule(self.category, self.valid_from, self.valid_to, VatRate.of_code(self.rate), self.basis)


class BillingSettings(BaseSettings):
    """Payment terms, the overdue check's schedule, and the VAT table's overrides."""

    model_config = SettingsConfigDict(env_prefix="BILLING_", env_ignore_empty=True, extra="ignore")

    # Days from issue to due date when the centre sets none; 0 makes an invoice due the day it is issued.
    due_days: int = Field(default=15, ge=0, le=365)
    # How often the background loop looks for invoices past their due date.
    overdue_check_interval_s: float = Field(default=3600.0, gt=0)
    overdue_check_enabled: bool = True
    # BILLING_VAT_RULES, a JSON list: for each category it names, these rows replace the built-in ones
    # (e.g. when the 8% cut is extended past 2026); new categories may be added for price lists to use.
    vat_rules: list[VatRuleSetting] = Field(default_factory=list)
    # The licensed e-invoice provider's tax code (MSTTCGP in the e-invoice XML); empty: not named.
    einvoice_provider_tax_code: str = Field(default="", pattern=r"^(\d{10}(-\d{3})?)?$")

    @model_validator(mode="after")
    def _vat_table_holds(self) -> BillingSettings:
        """Refuse at start-up a table that would give one day two rates (not at the first invoice)."""
        self.vat_table()
        return self

    def vat_table(self) -> tuple[VatRule, ...]:
        """The VAT table in force: the built-in one with the configured categories replaced."""
        return with_overrides([row.to_rule() for row in self.vat_rules])
