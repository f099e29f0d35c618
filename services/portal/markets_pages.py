"""The organizer's market-session planner: programmes, sites, suppliers, scheduler, results."""

from __future__ import annotations

from fastapi import APIRouter

markets_pages = APIRouter(prefix="/organizer/markets", tags=["markets pages"], include_in_schema=False)
