"""The development mailbox: what the local SMTP server received (never in production)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from services.notifications.adapters import mailbox
from shared.errors import NotFound


async def read_mailbox(*, folder: Path, production: bool, limit: int = 100) -> list[mailbox.Received]:
    """The newest mails of the local SMTP server's folder; absent in production (there is no such server)."""
    if production:
        raise NotFound("Không có hộp thư thử nghiệm / no development mailbox in production", code="not-found")
    return await asyncio.to_thread(mailbox.read, folder, limit=limit)
