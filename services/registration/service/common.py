"""What the use cases share: loading under the right lock and visibility, event payloads, capacity sums."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.registration.domain import policy
from services.registration.domain.capacity import Candidate
from services.registration.domain.fairs import FairStatus
from services.registration.domain.registrations import RegistrationStatus
from services.registration.models import Exhibitor, Fair, Registration, products_of
from shared.contracts import registration as ev
from shared.db import Database
from shared.errors import Forbidden, NotFound
from shared.principal import Principal, Role
from shared.uow import UnitOfWork


@dataclass(frozen=True)
class Actor:
    """Who made a change, as the audit log records it: a person's role and subject, or a system."""

    role: str
    subject: str

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        """The caller as an actor."""
        return cls(principal.role.value, principal.subject)


def joined(db: Database, session: AsyncSession) -> UnitOfWork:
    """A unit of work over a session opened for `db` elsewhere (a group commit's batch, a consumer's batch): its
    events go to `db`'s outbox under the service's source."""
    return db.joined(session)


def fair_not_found(fair_id: str) -> NotFound:
    """The one answer for a fair that does not exist or may not be seen."""
    return NotFound(f"Không tìm thấy hội chợ / fair {fair_id} not found", code="not-found")


def registration_not_found(registration_id: str) -> NotFound:
    """The one answer for a registration that does not exist or may not be seen."""
    return NotFound(f"Không tìm thấy hồ sơ / registration {registration_id} not found", code="not-found")


def owns_fair(principal: Principal, fair: Fair) -> bool:
    """Admins, and the organizers of the fair's centre."""
    return principal.is_admin() or (principal.role is Role.ORGANIZER and principal.centre_id == fair.centre_id)


def is_exhibitor(principal: Principal, exhibitor_id: str) -> bool:
    """The caller is this exhibitor: its role *and* its exhibitor id say so (a claim alone, on another role's
    token, proves nothing)."""
    return principal.role is Role.EXHIBITOR and principal.exhibitor_id == exhibitor_id


def centre_of(principal: Principal) -> str:
    """The organizer's centre; a token naming none gets nothing an organizer needs a centre for (403)."""
    if not principal.centre_id:
        raise Forbidden("Tài khoản không thuộc trung tâm nào / the token names no centre", code="no-centre")
    return principal.centre_id


async def fair_of_centre(session: AsyncSession, fair_id: str, principal: Principal, *, lock: bool = False) -> Fair:
    """The fair if the caller's centre organises it (404 otherwise); `lock` serialises changes to it."""
    fair = await load_fair(session, fair_id, lock=lock)
    if fair is None or not owns_fair(principal, fair):
        raise fair_not_found(fair_id)
    return fair


async def load_fair(session: AsyncSession, fair_id: str, *, lock: bool = False) -> Fair | None:
    """A fair by id; `lock` takes the row lock every capacity decision of the fair waits for."""
    query = select(Fair).where(Fair.id == fair_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.exec(query)).first()


async def lock_registration(session: AsyncSession, registration_id: str) -> Registration | None:
    """A registration re-read under its row lock (taken after the fair's, always in that order)."""
    query = (select(Registration).where(Registration.id == registration_id).with_for_update()
             .execution_options(populate_existing=True))
    return (await session.exec(query)).first()


async def fair_id_of(session: AsyncSession, registration_id: str) -> str | None:
    """The fair a registration belongs to, read without locking."""
    return (await session.exec(select(Registration.fair_id).where(Registration.id == registration_id))).first()


async def approved_booths(session: AsyncSession, fair_id: str) -> int:
    """Booths already granted to approved registrations of the fair."""
    total = (await session.exec(
        select(func.coalesce(func.sum(Registration.booths_requested), 0))
        .where(Registration.fair_id == fair_id, Registration.status == RegistrationStatus.APPROVED)
    )).one()
    return int(total)


def granted_booths() -> Any:
    """Booths granted at the fair of the row being selected, as a column of the same query (no query per fair)."""
    return (select(func.coalesce(func.sum(Registration.booths_requested), 0))
            .where(Registration.fair_id == Fair.id, Registration.status == RegistrationStatus.APPROVED)
            .scalar_subquery())


_GRANTED_BY_FAIR = (select(Registration.fair_id, func.sum(Registration.booths_requested))
                    .where(col(Registration.fair_id).in_(bindparam("fair_ids", expanding=True)),
                           Registration.status == RegistrationStatus.APPROVED)
                    .group_by(col(Registration.fair_id)))  # built once: the fairs are a parameter


async def approved_booths_by_fair(session: AsyncSession, fair_ids: set[str]) -> dict[str, int]:
    """Booths already granted at each of the fairs (0 for a fair with none), in one query."""
    rows = await session.exec(_GRANTED_BY_FAIR, params={"fair_ids": list(fair_ids)})
    return {fair_id: 0 for fair_id in fair_ids} | {fair_id: int(total) for fair_id, total in rows.all()}


async def waitlist_place(session: AsyncSession, fair_id: str, registration: Candidate) -> int:
    """The 1-based place of a registration on its fair's waitlist (it counts in even if not waitlisted yet):
    one more than the waitlisted ones `capacity.rank_key` puts before it, counted by the database."""
    ahead = or_(col(Registration.priority_score) > registration.score,
                and_(col(Registration.priority_score) == registration.score,
                     or_(col(Registration.submitted_at) < registration.submitted_at,
                         and_(col(Registration.submitted_at) == registration.submitted_at,
                              col(Registration.id) < registration.registration_id))))
    count = (await session.exec(select(func.count()).select_from(Registration).where(
        Registration.fair_id == fair_id, Registration.status == RegistrationStatus.WAITLISTED,
        Registration.id != registration.registration_id, ahead))).one()
    return 1 + int(count)


async def waitlist_candidates(session: AsyncSession, fair_id: str) -> list[Candidate]:
    """The fair's waitlist as the capacity rules see it, read as four columns (unordered)."""
    rows = await session.exec(select(Registration.id, Registration.booths_requested, Registration.priority_score,
                                     Registration.submitted_at).where(
        Registration.fair_id == fair_id, Registration.status == RegistrationStatus.WAITLISTED))
    return [Candidate(*row) for row in rows.all()]


async def waitlist(session: AsyncSession, fair_id: str) -> list[Registration]:
    """The fair's waitlisted registrations (unordered; order them with `capacity.waitlist_order`)."""
    rows = await session.exec(select(Registration).where(
        Registration.fair_id == fair_id, Registration.status == RegistrationStatus.WAITLISTED))
    return list(rows.all())


def candidate(registration: Registration) -> Candidate:
    """A registration as the capacity rules see it."""
    return Candidate(registration.id, registration.booths_requested, registration.priority_score,
                     registration.submitted_at)


def fair_info(fair: Fair) -> dict[str, Any]:
    """The fair's public state as the fair events carry it."""
    return {
        "fair_id": fair.id, "centre_id": fair.centre_id, "name": fair.name, "kind": fair.kind,
        "province_code": fair.province_code, "venue": fair.venue, "starts_on": fair.starts_on,
        "ends_on": fair.ends_on, "registration_opens_at": fair.registration_opens_at,
        "registration_closes_at": fair.registration_closes_at, "capacity_booths": fair.capacity_booths,
        "booth_price_vnd": fair.booth_price_vnd, "max_booths_per_exhibitor": fair.max_booths_per_exhibitor,
        "allocation_mode": fair.allocation_mode, "booths_per_row": fair.booths_per_row,
        "seller": ev.PartyInfo(name=fair.seller_name, tax_code=fair.seller_tax_code, address=fair.seller_address,
                               province_code=fair.province_code),
        "status": fair.status if fair.status != FairStatus.DRAFT else None,
        "venue_commune_code": fair.venue_commune_code, "cancellation_deadline": fair.cancellation_deadline,
        "sectors": fair.sectors, "zones": fair.zones, "eligible_kinds": fair.eligible_kinds,
        "cscnnt_only": fair.cscnnt_only, "home_provinces": fair.home_provinces,
    }


def exhibitor_info(exhibitor: Exhibitor) -> ev.ExhibitorInfo:
    """The exhibitor snapshot registration events carry."""
    return ev.ExhibitorInfo(
        exhibitor_id=exhibitor.id, name=exhibitor.legal_name, tax_code=exhibitor.tax_code,
        address=exhibitor.address, province_code=exhibitor.province_code, commune_code=exhibitor.commune_code,
        kind=exhibitor.kind, is_cscnnt=exhibitor.is_cscnnt, email=exhibitor.email,
    )


def applicant(exhibitor: Exhibitor, registration: Registration) -> policy.Applicant:
    """What the priority policy looks at for this registration."""
    products = [policy.Product(p["name"], p.get("group", "other"), _recognition(p.get("recognition")))
                for p in exhibitor.products]
    return policy.Applicant(kind=exhibitor.kind, is_cscnnt=exhibitor.is_cscnnt,
                            province_code=exhibitor.province_code, commune_code=exhibitor.commune_code,
                            sector=registration.sector, products=products,
                            registered_products=products_of(registration), submitted_at=registration.submitted_at)


def _recognition(data: dict[str, Any] | None) -> policy.Recognition | None:
    if not data:
        return None
    return policy.Recognition(data["level"], data.get("certificate_no", ""), data.get("year"))


def score_registration(fair: Fair, exhibitor: Exhibitor, registration: Registration) -> None:
    """Compute and store the registration's priority score and its reasons under the fair's policy."""
    result = policy.score(policy.PriorityPolicy.from_dict(fair.priority_policy), applicant(exhibitor, registration),
                          fair_province=fair.province_code, opens_at=fair.registration_opens_at,
                          closes_at=fair.registration_closes_at)
    registration.priority_score = result.points
    registration.priority_reasons = result.reasons_as_dicts()
