"""What the pages read about exhibitors from the registration service."""

from __future__ import annotations

import asyncio

from services.portal.adapters.backend import Backend
from services.portal.domain.errors import is_id
from services.portal.service.parts import optional


async def exhibitor_names(api: Backend, token: str, ids: set[str]) -> dict[str, str]:
    """Exhibitors' legal names by id; an id whose profile cannot be read stays an id."""
    wanted = sorted(i for i in ids if is_id(i))
    profiles = await asyncio.gather(*(optional(api.get("registration", f"/exhibitors/{i}", token=token),
                                               "exhibitor") for i in wanted))
    return {i: str(p.get("legal_name")) for i, p in zip(wanted, profiles, strict=True) if isinstance(p, dict)}
