"""A registration's invoices as its page shows them: each in full, from billing."""

from __future__ import annotations

import asyncio
from typing import Any

from services.portal.adapters.backend import Backend, items
from services.portal.domain.errors import is_id
from services.portal.service.parts import optional


async def invoices_of_registration(api: Backend, token: str,
                                   registration: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The registration's invoices in full (the list has no lines); None when billing cannot say."""
    page = await optional(api.get("billing", "/invoices", token=token,
                                  params={"registration_id": str(registration.get("id"))}), "invoices")
    if page is None:
        return None
    rows = [r for r in items(page) if is_id(str(r.get("id")))]
    details = await asyncio.gather(*(optional(api.get("billing", f"/invoices/{r['id']}", token=token), "invoice")
                                     for r in rows))
    return [detail if isinstance(detail, dict) else row for row, detail in zip(rows, details, strict=True)]
