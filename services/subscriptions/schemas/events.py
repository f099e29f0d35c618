"""Response body of a replay: a page of stored events."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class EventsPage(BaseModel):
    """Stored events in the order they were received, as CloudEvents structured JSON; pass `next_after`
    as `after` for the next page (null: this was the last page)."""

    data: list[dict[str, Any]]
    count: int
    next_after: int | None
