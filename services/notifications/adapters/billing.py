"""Billing's invoice PDF, fetched over its HTTP API with a service token (role admin, subject notifications)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import structlog

from shared.auth import Role, issue_token

log = structlog.get_logger()


def invoice_pdf_fetcher(*, billing_url: str, jwt_secret: str,
                        timeout_s: float = 10.0) -> Callable[[str], Awaitable[bytes | None]]:
    """What the sender calls with an invoice id to get its PDF."""

    async def fetch(invoice_id: str) -> bytes | None:
        return await invoice_pdf(billing_url=billing_url, jwt_secret=jwt_secret, invoice_id=invoice_id,
                                 timeout_s=timeout_s)

    return fetch


async def invoice_pdf(*, billing_url: str, jwt_secret: str, invoice_id: str, timeout_s: float = 10.0) -> bytes | None:
    """The invoice's PDF, or None when billing is not configured or does not give it (the mail links instead)."""
    if not billing_url:
        return None
    token = issue_token(jwt_secret, role=Role.ADMIN, subject="notifications")
    try:
        async with httpx.AsyncClient(base_url=billing_url, timeout=timeout_s) as client:
            answer = await client.get(f"/invoices/{invoice_id}.pdf", headers={"Authorization": f"Bearer {token}"})
    except httpx.HTTPError as exc:
        log.warning("invoice_pdf.unreachable", invoice_id=invoice_id, error=repr(exc))
        return None
    if answer.status_code != 200 or not answer.content.startswith(b"%PDF"):
        log.warning("invoice_pdf.refused", invoice_id=invoice_id, status=answer.status_code)
        return None
    return answer.content
