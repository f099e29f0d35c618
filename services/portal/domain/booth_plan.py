"""The exhibitor's pick map: booths laid out to scale from the floor plan's metres, halls one under another."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class Box:
    """A booth drawn on the pick map: position and size in pixels."""

    code: str
    x: float
    y: float
    width: float
    height: float
    status: str
    mine: bool


PX_PER_M = 12
HALL_GAP_PX = 30


def plan_boxes(booths: list[dict[str, Any]], registration_id: str) -> tuple[list[Box], float, float]:
    """The booths laid out to scale, halls one under another; the drawing's width and height."""
    halls: dict[str, list[dict[str, Any]]] = {}
    for booth in booths:
        halls.setdefault(str(booth.get("hall") or ""), []).append(booth)
    boxes: list[Box] = []
    top, width = 0.0, 0.0
    for hall in sorted(halls):
        rows = halls[hall]
        depth = 0.0
        for b in rows:
            try:
                x, y = float(b["x_m"]) * PX_PER_M, float(b["y_m"]) * PX_PER_M
                w, h = float(b["width_m"]) * PX_PER_M, float(b["depth_m"]) * PX_PER_M
            except (KeyError, TypeError, ValueError):
                continue
            boxes.append(Box(str(b.get("code")), x + 2, top + y + 2, w - 2, h - 2, str(b.get("status")),
                             str(b.get("registration_id") or "") == registration_id))
            depth, width = max(depth, y + h), max(width, x + w)
        top += depth + HALL_GAP_PX
    return boxes, width + 4, max(top - HALL_GAP_PX + 4, 0)


def parse_time(value: Any) -> datetime | None:
    """An ISO date-time; one without a zone is UTC; None when unreadable."""
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
