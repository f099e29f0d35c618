"""The exhibitor's own space: profile, registrations, booth picks, invoices."""

from __future__ import annotations

from fastapi import APIRouter

exhibitor_pages = APIRouter(prefix="/me", tags=["exhibitor pages"], include_in_schema=False)
