"""The exhibitor's profile products offered on a registration form."""

from __future__ import annotations

from services.portal.adapters.backend import Backend
from services.portal.domain.errors import ServiceProblem, ServiceUnavailable
from services.portal.domain.product_picks import ProductChoice, product_choices
from services.portal.service.exhibitors import read_profile


async def profile_products(api: Backend, token: str | None, exhibitor_id: str | None) -> list[ProductChoice]:
    """The exhibitor's profile products; none without an exhibitor, before a profile exists, or when registration
    cannot be asked (the form then falls back to typed names)."""
    if not token or not exhibitor_id:
        return []
    try:
        profile = await read_profile(api, token, exhibitor_id)
    except (ServiceProblem, ServiceUnavailable):
        return []
    return product_choices(profile)
