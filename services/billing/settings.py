"""Settings only billing reads, from ``BILLING_*`` environment variables (the kernel's Settings ignores them)."""

from __future__ import annotations

from datetime import date
from ipaddress import ip_address
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.billing.domain.vat import VatRate, VatRule, with_overrides


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
    """Payment terms, the overdue check's schedule, the VAT table's overrides, and the e-invoice provider."""

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
    # How issued invoices reach the tax authority (docs/billing.md, "Submission to the tax authority"):
    # "local" writes the XML ready to sign and the PDF under einvoice_local_dir for an operator to upload;
    # "http" sends them to a licensed provider's API, which answers with the authority's code (MCCQT).
    einvoice_provider: Literal["local", "http"] = "local"
    einvoice_local_dir: Path | None = Field(default=None, description="default: <HANGVIET_VAR_DIR>/einvoices")
    einvoice_http_url: str = Field(default="", description="the provider's API; invoices are POSTed to <url>/invoices")
    # Credentials: an API key (sent as a bearer token), or a username and password (HTTP basic). No defaults.
    einvoice_http_api_key: SecretStr = SecretStr("")
    einvoice_http_username: str = ""
    einvoice_http_password: SecretStr = SecretStr("")
    einvoice_http_timeout_s: float = Field(default=10.0, gt=0, le=300)
    # Tries per submission round when the provider is down or overloaded (5xx, 429, no answer), backoff doubling.
    einvoice_http_attempts: int = Field(default=3, ge=1, le=10)
    einvoice_http_backoff_s: float = Field(default=0.5, ge=0, le=60)
    # The background submitter: how often it looks for pending invoices (it is also woken by each commit),
    # how many rounds an invoice gets before it is marked failed, and the wait after a failed round (doubling,
    # at most an hour).
    # A payment may exceed what the invoice still owes by this much (đồng) without the organizer confirming it
    # (`accept_overpayment: true`); the excess becomes the exhibitor's credit either way.
    overpayment_tolerance_vnd: int = Field(default=0, ge=0, le=100_000_000)
    einvoice_submit_enabled: bool = True
    einvoice_submit_interval_s: float = Field(default=5.0, gt=0)
    einvoice_submit_max_attempts: int = Field(default=8, ge=1, le=100)
    einvoice_submit_backoff_s: float = Field(default=30.0, ge=0)

    @model_validator(mode="after")
    def _vat_table_holds(self) -> BillingSettings:
        """Refuse at start-up a table that would give one day two rates (not at the first invoice)."""
        self.vat_table()
        return self

    @model_validator(mode="after")
    def _http_provider_is_configured(self) -> BillingSettings:
        """Refuse at start-up an HTTP provider without endpoint or credentials, or one that would get them in clear."""
        if self.einvoice_provider != "http":
            return self
        url = urlsplit(self.einvoice_http_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError("BILLING_EINVOICE_HTTP_URL must be the provider's http(s) URL when "
                             "BILLING_EINVOICE_PROVIDER=http")
        if url.scheme == "http" and not _is_loopback(url.hostname):
            raise ValueError("BILLING_EINVOICE_HTTP_URL must use https (credentials would travel in clear); "
                             "plain http is accepted for a provider on this machine only")
        has_password = self.einvoice_http_username and self.einvoice_http_password.get_secret_value()
        if not (self.einvoice_http_api_key.get_secret_value() or has_password):
            raise ValueError("BILLING_EINVOICE_PROVIDER=http needs BILLING_EINVOICE_HTTP_API_KEY, or "
                             "BILLING_EINVOICE_HTTP_USERNAME and BILLING_EINVOICE_HTTP_PASSWORD")
        return self

    def einvoice_dir(self, var_dir: Path) -> Path:
        """Where the local adapter writes: the configured folder, else ``einvoices`` under the service's var dir."""
        return self.einvoice_local_dir or var_dir / "einvoices"

    def vat_table(self) -> tuple[VatRule, ...]:
        """The VAT table in force: the built-in one with the configured categories replaced."""
        return with_overrides([row.to_rule() for row in self.vat_rules])


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False
