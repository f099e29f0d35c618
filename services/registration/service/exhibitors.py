"""Exhibitor profile use cases: one profile per tax code, changed only by its own exhibitor, found without accents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import false, true
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.registration.domain import profile
from services.registration.models import Exhibitor, Fair, Registration
from services.registration.schemas import ExhibitorCreate, ExhibitorUpdate
from services.registration.service import audit
from services.registration.service.common import Actor, centre_of, is_exhibitor
from services.registration.service.fairs import like_words
from shared.db import Database, utcnow
from shared.errors import Forbidden, Invalid, NotFound, Rejected
from shared.group_commit import GroupCommit
from shared.principal import Principal, Role
from shared.taxcode import InvalidTaxCode, normalize_tax_code

REQUIRED = ("legal_name", "kind", "is_cscnnt", "tax_code", "province_code", "address")


def exhibitor_not_found(exhibitor_id: str) -> NotFound:
    """The one answer for a profile that does not exist or may not be seen."""
    return NotFound(f"Không tìm thấy doanh nghiệp / exhibitor {exhibitor_id} not found", code="not-found")


def _duplicate_tax_code() -> Rejected:
    return Rejected("Mã số thuế đã được đăng ký / this tax code is already registered", field="tax_code",
                    code="duplicate-tax-code")


def apply_profile(exhibitor: Exhibitor, given: dict[str, Any]) -> None:
    """Set the given fields, then check the whole profile (tax code against kind, commune against province)."""
    for name, value in given.items():
        if value is None and name in REQUIRED:
            raise Invalid(f"Trường {name} không được để trống / {name} may not be null", field=name)
        if name in ("sectors", "products"):
            value = list(value or [])
        if name != "commune_code":
            setattr(exhibitor, name, value)
    try:
        exhibitor.tax_code = normalize_tax_code(exhibitor.tax_code, allow_personal_id=exhibitor.kind == "household")
    except InvalidTaxCode as exc:
        raise Invalid(str(exc), field="tax_code", code="invalid-tax-code") from exc
    exhibitor.commune_code = profile.commune_code(given.get("commune_code", exhibitor.commune_code),
                                                  exhibitor.province_code, field="commune_code")
    if "commune_code" in given and exhibitor.commune_code is None:  # a profile made before it was required keeps none
        raise Invalid("Cần chọn xã/phường / the commune is required (code or exact name)", field="commune_code",
                      code="commune-required")
    exhibitor.sectors = list(dict.fromkeys(exhibitor.sectors))
    exhibitor.search_text = profile.search_text(
        exhibitor.legal_name, exhibitor.tax_code, *exhibitor.sectors, *(p["name"] for p in exhibitor.products),
        *profile.place_words(exhibitor.province_code, exhibitor.commune_code))


@dataclass(frozen=True)
class _Creation:
    """One call of `create_exhibitor`, its profile already checked, as its group commit queues it."""

    principal: Principal
    exhibitor: Exhibitor


@dataclass
class _Existing:
    """The profiles and tax codes a batch of creations would collide with (growing as the batch creates)."""

    ids: set[str]
    tax_codes: set[str]


async def create_exhibitor(*, db: Database, principal: Principal, data: ExhibitorCreate) -> Exhibitor:
    """Create the calling exhibitor's profile (one per tax code).

    Creations arriving together share one transaction (`shared.group_commit`), each still checked on its own."""
    if not principal.exhibitor_id:
        raise Forbidden("Tài khoản không gắn với doanh nghiệp / the token names no exhibitor", code="no-exhibitor")
    now = utcnow()  # every default factory given: pydantic inspects a factory's signature on each construction
    exhibitor = Exhibitor(id=principal.exhibitor_id, legal_name=data.legal_name, kind=data.kind,
                          tax_code=data.tax_code, province_code=data.province_code, sectors=[], products=[],
                          created_at=now, updated_at=now)
    apply_profile(exhibitor, _given(data, only_sent=False))
    creations = GroupCommit.of(db, "registration.create_exhibitor", load=_load_existing, apply=_create,
                               refusals=(Rejected,))
    try:
        created: Exhibitor = await creations.run(_Creation(principal, exhibitor))
    except IntegrityError as exc:  # two creations with one tax code at the same instant: the unique index decides
        raise _duplicate_tax_code() from exc
    return created


async def _load_existing(session: AsyncSession, batch: Sequence[_Creation]) -> _Existing:
    ids = await session.exec(select(Exhibitor.id).where(col(Exhibitor.id).in_({c.exhibitor.id for c in batch})))
    codes = await session.exec(select(Exhibitor.tax_code).where(
        col(Exhibitor.tax_code).in_({c.exhibitor.tax_code for c in batch})))
    return _Existing(set(ids.all()), set(codes.all()))


async def _create(session: AsyncSession, existing: _Existing, creation: _Creation) -> Exhibitor:
    exhibitor = creation.exhibitor
    if exhibitor.id in existing.ids:
        raise Rejected("Hồ sơ đã tồn tại / the profile already exists", code="exhibitor-exists")
    if exhibitor.tax_code in existing.tax_codes:
        raise _duplicate_tax_code()
    existing.ids.add(exhibitor.id)
    existing.tax_codes.add(exhibitor.tax_code)
    session.add(exhibitor)
    audit.record(session, Actor.of(creation.principal), "exhibitor.created", entity="exhibitor",
                 entity_id=exhibitor.id, changes=_audited(exhibitor))
    return exhibitor


async def update_exhibitor(*, db: Database, principal: Principal, exhibitor_id: str,
                           data: ExhibitorUpdate) -> Exhibitor:
    """Change the caller's own profile; anyone else's is not found."""
    if not (principal.is_admin() or is_exhibitor(principal, exhibitor_id)):
        raise exhibitor_not_found(exhibitor_id)
    try:
        async with db.transaction() as session:
            exhibitor = await session.get(Exhibitor, exhibitor_id, with_for_update=True)
            if exhibitor is None:
                raise exhibitor_not_found(exhibitor_id)
            before = _audited(exhibitor)
            apply_profile(exhibitor, _given(data, only_sent=True))
            changes = audit.diff(before, _audited(exhibitor))
            if changes:
                taken = await session.exec(select(Exhibitor.id).where(
                    Exhibitor.tax_code == exhibitor.tax_code, Exhibitor.id != exhibitor.id))
                if taken.first():
                    raise _duplicate_tax_code()
                exhibitor.updated_at = utcnow()
                session.add(exhibitor)
                audit.record(session, Actor.of(principal), "exhibitor.updated", entity="exhibitor",
                             entity_id=exhibitor.id, changes=changes)
    except IntegrityError as exc:
        raise _duplicate_tax_code() from exc
    return exhibitor


def _given(data: ExhibitorCreate | ExhibitorUpdate, *, only_sent: bool) -> dict[str, Any]:
    """The body's fields (only those sent, for an update); products always whole, with their defaults."""
    given = data.model_dump(exclude_unset=True) if only_sent else data.model_dump(exclude_none=True)
    if data.products is not None:
        given["products"] = [p.model_dump() for p in data.products]
    return given


def _audited(exhibitor: Exhibitor) -> dict[str, Any]:
    return exhibitor.model_dump(exclude={"id", "search_text", "created_at", "updated_at"})


def visible_profiles(principal: Principal) -> Any:
    """Which profiles the caller may read, as a clause: its own for an exhibitor; for an organizer those with a
    registration (any status) at one of its centre's fairs — no centre, 403; every profile for an admin; none
    for anyone else. Tax code, phone, e-mail, address and the audit trail are personal data of the exhibitor."""
    if principal.is_admin():
        return true()
    if principal.role is Role.EXHIBITOR:
        return Exhibitor.id == (principal.exhibitor_id or "")
    if principal.role is Role.ORGANIZER:
        at_centre = (select(Registration.exhibitor_id).join(Fair, col(Fair.id) == col(Registration.fair_id))
                     .where(Fair.centre_id == centre_of(principal)))
        return col(Exhibitor.id).in_(at_centre)
    return false()


async def get_exhibitor(*, db: Database, principal: Principal, exhibitor_id: str) -> Exhibitor:
    """An exhibitor's profile, if the caller may read it (404 otherwise, so its existence does not leak)."""
    visible = visible_profiles(principal)
    async with db.sessions() as session:
        exhibitor = (await session.exec(select(Exhibitor).where(Exhibitor.id == exhibitor_id, visible))).first()
    if exhibitor is None:
        raise exhibitor_not_found(exhibitor_id)
    return exhibitor


async def search_exhibitors(*, db: Database, principal: Principal, q: str | None = None,
                            province_code: str | None = None, kind: str | None = None, cscnnt: bool | None = None,
                            limit: int = 100, offset: int = 0) -> list[Exhibitor]:
    """Profiles the caller may read matching every word of `q` without diacritics, by name, tax code, place,
    sector or product."""
    visible = visible_profiles(principal)
    async with db.sessions() as session:
        query = select(Exhibitor).where(visible)
        if q:
            query = query.where(*like_words(col(Exhibitor.search_text), q))
        if province_code:
            query = query.where(Exhibitor.province_code == province_code)
        if kind:
            query = query.where(Exhibitor.kind == kind)
        if cscnnt is not None:
            query = query.where(Exhibitor.is_cscnnt == cscnnt)
        query = query.order_by(col(Exhibitor.legal_name), col(Exhibitor.id)).offset(offset).limit(limit)
        return list((await session.exec(query)).all())
