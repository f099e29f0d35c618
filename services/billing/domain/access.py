"""Who manages which centre's billing: its own organizers and the admins; nobody else even sees it."""

from __future__ import annotations

from shared.errors import Forbidden, NotFound
from shared.principal import Principal, Role


def check_centre(principal: Principal, centre_id: str) -> None:
    """Only the centre's own organizers (and admins) manage its billing; others do not see it at all."""
    if not (principal.is_admin() or (principal.role is Role.ORGANIZER and principal.centre_id == centre_id)):
        raise NotFound("Không tìm thấy / not found", code="not-found")


def own_centre(principal: Principal, centre_id: str | None) -> str:
    """The centre an organizer manages (an admin names one)."""
    chosen = centre_id if principal.is_admin() else principal.centre_id
    if not chosen:
        raise Forbidden("Tài khoản không thuộc trung tâm nào / the token names no centre", code="no-centre")
    check_centre(principal, chosen)
    return chosen
