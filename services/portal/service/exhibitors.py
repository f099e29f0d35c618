"""What the exhibitor's pages and the organizer's lists read about exhibitors: profiles and names from the
registration service, their fairs, the booths assigned to them."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from services.portal.adapters.backend import Backend, items
from services.portal.domain.errors import ServiceProblem, is_id
from services.portal.service.parts import optional


async def exhibitor_names(api: Backend, token: str, ids: set[str]) -> dict[str, str]:
    """Exhibitors' legal names by id; an id whose profile cannot be read stays an id."""
    wanted = sorted(i for i in ids if is_id(i))
    profiles = await asyncio.gather(*(optional(api.get("registration", f"/exhibitors/{i}", token=token),
                                               "exhibitor") for i in wanted))
    return {i: str(p.get("legal_name")) for i, p in zip(wanted, profiles, strict=True) if isinstance(p, dict)}


async def read_profile(api: Backend, token: str, exhibitor_id: str) -> dict[str, Any] | None:
    """The exhibitor's profile, or None before it is created."""
    try:
        profile = await api.get("registration", f"/exhibitors/{quote(exhibitor_id, safe='')}", token=token)
    except ServiceProblem as problem:
        if problem.status == 404:
            return None
        raise
    return profile if isinstance(profile, dict) else None


async def fairs_by_id(api: Backend, token: str, fair_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The fairs by id; a fair that cannot be read is left out."""
    found = await asyncio.gather(*(optional(api.get("registration", f"/fairs/{f}", token=token), "fair")
                                   for f in fair_ids))
    return {f: fair for f, fair in zip(fair_ids, found, strict=True) if isinstance(fair, dict)}


async def booths_by_registration(api: Backend, token: str, fair_ids: list[str]) -> dict[str, list[str]]:
    """Booth codes assigned to each of the exhibitor's registrations (the booths service shows its own only)."""
    pages = await asyncio.gather(*(optional(api.get("booths", f"/fairs/{f}/assignments", token=token),
                                            "assignments") for f in fair_ids))
    booths: dict[str, list[str]] = {}
    for page in pages:
        for row in items(page):
            if not row.get("released_at"):
                booths[str(row.get("registration_id"))] = [str(c) for c in row.get("booth_codes") or []]
    return booths
