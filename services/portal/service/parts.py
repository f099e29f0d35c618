"""Secondary parts of a page: read from a service, left out when that service fails."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import structlog

from services.portal.domain.errors import ServiceProblem, ServiceUnavailable

log = structlog.get_logger()


async def optional(call: Awaitable[Any], what: str) -> Any | None:
    """A secondary part of a page: when its service fails the page shows without it."""
    try:
        return await call
    except (ServiceUnavailable, ServiceProblem) as exc:
        log.info("portal.part_missing", part=what, error=str(exc))
        return None
