"""What a regional centre may see: its provinces and the regions within them, from the subscriptions service."""

from __future__ import annotations

import asyncio
from typing import Any

from services.portal.adapters.backend import Backend
from services.portal.service.parts import optional


async def reach_of(api: Backend, token: str) -> tuple[list[str] | None, list[dict[str, Any]]]:
    """The provinces the caller may see (None: all) and the regions that lie within them."""
    me, regions = await asyncio.gather(optional(api.get("subscriptions", "/subscribers/me", token=token), "me"),
                                       optional(api.get("subscriptions", "/regions", token=token), "regions"))
    reach = me.get("provinces") if isinstance(me, dict) else None
    rows = [r for r in regions if isinstance(r, dict)] if isinstance(regions, list) else []
    if reach is not None:
        rows = [r for r in rows if set(r.get("provinces") or []) <= set(reach)]
    return reach, rows
