"""The regional centre's pages: subscriptions, deliveries, live feed, calendar links."""

from __future__ import annotations

from fastapi import APIRouter

regional_pages = APIRouter(prefix="/regional", tags=["regional pages"], include_in_schema=False)
