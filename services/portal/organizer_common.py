"""What the organizer's pages share: who may see them, the bilingual state names, reading forms, names."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Request

from services.portal.backend import Backend, NotAuthenticated
from services.portal.errors import PortalError, is_id
from services.portal.pages import optional
from services.portal.session import token_of, viewer
from shared.auth import Principal, Role

REGISTRATION_STATES: dict[str, tuple[str, str]] = {
    "submitted": ("Chờ duyệt", "Submitted"),
    "changes_requested": ("Chờ bổ sung", "Changes requested"),
    "approved": ("Đã duyệt", "Approved"),
    "waitlisted": ("Danh sách chờ", "Waitlisted"),
    "rejected": ("Bị từ chối", "Rejected"),
    "cancelled": ("Đã hủy", "Cancelled"),
}
FAIR_STATES: dict[str, tuple[str, str]] = {
    "draft": ("Bản nháp", "Draft"), "open": ("Đang nhận đăng ký", "Open"),
    "closed": ("Đã đóng đăng ký", "Closed"), "running": ("Đang diễn ra", "Running"),
    "finished": ("Đã kết thúc", "Finished"), "cancelled": ("Đã hủy", "Cancelled"),
}


def organizer_session(request: Request) -> tuple[Principal, str]:
    """The organizer and their token; others are sent to log in or refused."""
    token, principal = token_of(request), viewer(request)
    if not token or principal is None:
        raise NotAuthenticated
    if principal.role not in (Role.ORGANIZER, Role.ADMIN):
        raise PortalError(403, "Trang dành cho ban tổ chức / Organizers only")
    return principal, token


def page_context(**values: Any) -> dict[str, Any]:
    """What every organizer page gets besides its own data: the bilingual state names."""
    return {"fair_states": FAIR_STATES, "registration_states": REGISTRATION_STATES, **values}


async def form_of(request: Request) -> dict[str, str]:
    """The submitted form's text fields (a repeated field joined by newlines)."""
    form = await request.form()
    joined: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            joined[key] = f"{joined[key]}\n{value}" if key in joined else value
    return joined


async def exhibitor_names(api: Backend, token: str, ids: set[str]) -> dict[str, str]:
    """Exhibitors' legal names by id; an id whose profile cannot be read stays an id."""
    wanted = sorted(i for i in ids if is_id(i))
    profiles = await asyncio.gather(*(optional(api.get("registration", f"/exhibitors/{i}", token=token),
                                               "exhibitor") for i in wanted))
    return {i: str(p.get("legal_name")) for i, p in zip(wanted, profiles, strict=True) if isinstance(p, dict)}
