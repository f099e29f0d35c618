"""An invoice's registration's booths now, from the booths service, beside those the invoice names."""

from __future__ import annotations

from typing import Any

from services.portal.adapters.backend import Backend, items
from services.portal.domain.errors import is_id
from services.portal.domain.invoice_booths import BoothsNow, booths_now
from services.portal.service.parts import optional


async def invoice_booths(api: Backend, token: str, invoice: dict[str, Any]) -> dict[str, BoothsNow | None]:
    """The page's `booths_now`: None when the invoice names no booth or the booths service cannot be asked."""
    fair_id, registration_id = str(invoice.get("fair_id")), str(invoice.get("registration_id"))
    if not is_id(fair_id) or not is_id(registration_id):
        return {"booths_now": None}
    # The same route the exhibitor's pages read (organizers get the fair's, an exhibitor its own).
    assignments = await optional(api.get("booths", f"/fairs/{fair_id}/assignments", token=token), "assignments")
    if assignments is None:
        return {"booths_now": None}
    current = next((a.get("booth_codes") or [] for a in items(assignments)
                    if str(a.get("registration_id")) == registration_id and not a.get("released_at")), [])
    found = booths_now(invoice, current)
    return {"booths_now": found if found.invoiced or found.current else None}
