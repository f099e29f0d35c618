"""Picking booths on the plan: what the exhibitor's pick page shows, read from registration and booths."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from services.portal.adapters.backend import Backend, items
from services.portal.domain.booth_plan import parse_time, plan_boxes
from services.portal.domain.errors import checked_id
from services.portal.service.parts import optional


async def pick_context(api: Backend, token: str, registration_id: str, *, now: datetime) -> dict[str, Any]:
    """The pick page's data: the registration, its fair, the plan drawn to scale, the hold and its seconds left."""
    registration = await api.get("registration", f"/registrations/{registration_id}", token=token)
    fair_id = checked_id(str(registration.get("fair_id")))
    fair, plan, holds, assignments = await asyncio.gather(
        api.get("registration", f"/fairs/{fair_id}", token=token),
        optional(api.get("booths", f"/fairs/{fair_id}/floorplan", token=token), "floorplan"),
        optional(api.get("booths", f"/fairs/{fair_id}/holds", token=token), "holds"),
        optional(api.get("booths", f"/fairs/{fair_id}/assignments", token=token), "assignments"))
    hold = next((h for h in items(holds) if str(h.get("registration_id")) == registration_id), None)
    assignment = next((a for a in items(assignments) if str(a.get("registration_id")) == registration_id
                       and not a.get("released_at")), None)
    booths = [b for b in (plan or {}).get("booths") or [] if isinstance(b, dict)]
    free = [b for b in booths if b.get("status") == "free"]
    boxes, width, height = plan_boxes(booths, registration_id)
    expires = parse_time(hold.get("expires_at")) if hold else None
    seconds_left = max(int((expires - now).total_seconds()), 0) if expires else 0
    return {"registration": registration, "fair": fair, "plan": plan, "free": free, "hold": hold,
            "assignment": assignment, "boxes": boxes, "map_width": width, "map_height": height,
            "seconds_left": seconds_left, "can_pick": (registration.get("status") == "approved"
                                                       and fair.get("allocation_mode") == "exhibitor_picks"
                                                       and hold is None and assignment is None and plan is not None)}
