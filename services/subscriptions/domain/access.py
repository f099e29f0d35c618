"""Who may see what: a subscriber is a centre — a regional centre sees the events of its region (its
token's provinces, else its region's), an organizing centre sees its own fairs and programmes, an admin
sees everything. Every read and every new filter goes through `Reach`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import structlog

from services.subscriptions.domain.regions import Regions
from shared.errors import Forbidden
from shared.principal import Principal, Role

log = structlog.get_logger()


@dataclass(frozen=True)
class Reach:
    """The events a principal may see: provinces (None: any) and, for an organizer, its centre."""

    provinces: frozenset[str] | None
    centre_id: str | None = None

    def clip(self, provinces: Iterable[str]) -> frozenset[str]:
        """The given provinces, less those outside the reach."""
        wanted = frozenset(provinces)
        return wanted if self.provinces is None else wanted & self.provinces

    def check(self, provinces: Iterable[str], *, field: str) -> None:
        """Refuse (403, naming the field) provinces outside the reach."""
        if self.provinces is None:
            return
        outside = sorted(set(provinces) - self.provinces)
        if outside:
            raise Forbidden(f"Ngoài vùng phụ trách / outside your region: {', '.join(outside)}",
                            field=field, code="outside-region")


def _codes(names: Iterable[str]) -> list[str]:
    from shared.reference.geo import UnknownPlace, resolve_province

    codes = []
    for name in names:
        try:
            codes.append(resolve_province(name).code)
        except UnknownPlace:
            log.warning("subscriptions.token_province_unknown", province=name)
    return codes


def reach_of(principal: Principal, regions: Regions) -> Reach:
    """What the principal may see (an organizer token without a centre may see nothing)."""
    if principal.is_admin():
        return Reach(None)
    if principal.role is Role.ORGANIZER:
        if not principal.centre_id:
            raise Forbidden("Thiếu trung tâm trong phiên / the token names no centre", code="no-centre")
        return Reach(None, centre_id=principal.centre_id)
    if principal.role is Role.REGIONAL:
        return Reach(regions.allowed_for(region=principal.region, provinces=_codes(principal.provinces)))
    return Reach(frozenset())


def owns(principal: Principal, *, owner: str, owner_role: str) -> bool:
    """Whether the principal manages a subscription of this owner (admins manage all). The owner is a
    (role, subject) pair: an organizer's subject may equal a regional centre's, and must not reach its
    subscriptions."""
    return principal.is_admin() or (owner_role == principal.role.value and owner == principal.subject)
