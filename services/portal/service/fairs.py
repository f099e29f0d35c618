"""The fairs an organizer's billing pages offer: those of its centre."""

from __future__ import annotations

from typing import Any

from services.portal.adapters.backend import Backend, items
from shared.principal import Principal


async def centre_fairs(api: Backend, token: str, principal: Principal) -> list[dict[str, Any]]:
    """The fairs of the caller's centre (every centre's for an admin)."""
    fairs = items(await api.get("registration", "/fairs", token=token))
    return [f for f in fairs if principal.is_admin() or f.get("centre_id") == principal.centre_id]
