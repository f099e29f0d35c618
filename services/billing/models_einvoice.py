"""Where each invoice stands with the tax authority: its submission through the e-invoice provider.

A table of its own rather than columns of ``invoices``: create_all adds a new table to an existing database,
so a ``var/billing.db`` from before keeps working (its older invoices simply have no submission). The module
sorts after ``models``, so the unit of work inserts an invoice before its submission row (docs/billing.md).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from shared.db import utc_column


class SubmissionStatus(StrEnum):
    """pending → authorised; or → awaiting_authority_code (→ authorised by hand); or → sent (K symbols); or
    → failed."""

    PENDING = "pending"  # to be sent (again) at next_attempt_at
    AWAITING_CODE = "awaiting_authority_code"  # handed over (the local folder); the code is not back yet
    AUTHORISED = "authorised"  # the authority's code is stored
    SENT = "sent"  # handed over, an invoice without code (K symbol): nothing comes back
    FAILED = "failed"  # given up: too many failed attempts, or the provider refused the document


class EInvoiceSubmission(SQLModel, table=True):
    """One invoice's way to the tax authority: state, attempts, the last error, and the code once back."""

    __tablename__ = "einvoice_submissions"

    invoice_id: str = Field(foreign_key="invoices.id", primary_key=True, max_length=64)
    status: str = Field(default=SubmissionStatus.PENDING, max_length=30, index=True)
    attempts: int = 0
    # When the submitter may (re)try; also the lease a claim takes so two replicas never send at once.
    next_attempt_at: datetime = Field(sa_column=utc_column(index=True))
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    provider: str = Field(default="", max_length=20)
    # The provider's reference (its transaction id; the folder the local adapter wrote to).
    reference: str = Field(default="", max_length=500)
    authority_code: str | None = Field(default=None, max_length=34)
    submitted_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    authorised_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


EINVOICE_TABLES = (EInvoiceSubmission,)
