"""The organizer's invoices, payments, subsidy programmes and settlement exports."""

from __future__ import annotations

from fastapi import APIRouter

billing_pages = APIRouter(prefix="/organizer/billing", tags=["billing pages"], include_in_schema=False)
