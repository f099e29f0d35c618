"""Use cases on what a programme plans with: its settings, its sites (communes) and its suppliers."""

from __future__ import annotations

from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.markets.domain import sessions as rules
from services.markets.domain.marketdays import rule_from_dict
from services.markets.domain.places import UnknownCommune, resolve_commune
from services.markets.domain.suppliers import DEFAULT_KIND, allows_personal_id
from services.markets.models import Programme, ProgrammePlan, SessionSupplier, Site, Supplier
from services.markets.schemas.catalogue import SiteCreate, SiteFields, SupplierCreate, SupplierFields
from services.markets.schemas.programmes import ProgrammeUpdate, period_dict
from services.markets.service.programmes import (
    PROGRAMME_FIELDS,
    apply_planning,
    cap_of,
    commune_of_programme,
    not_found,
    own_programme,
    plan_of,
    save_cap,
)
from shared.db import Database
from shared.errors import Invalid, Rejected
from shared.principal import Principal
from shared.taxcode import InvalidTaxCode, normalize_tax_code

log = structlog.get_logger()


async def update_programme(*, db: Database, principal: Principal, programme_id: str,
                           data: ProgrammeUpdate) -> tuple[Programme, ProgrammePlan, int | None]:
    """Change a programme's figures or planning settings (the next proposal follows them)."""
    async with db.transaction() as session:
        programme = await own_programme(session, programme_id, principal)
        for name in set(PROGRAMME_FIELDS) & data.model_fields_set:
            value = getattr(data, name)
            if value is not None or name == "budget_vnd":  # only the budget may be cleared with null
                setattr(programme, name, value)
        plan = await plan_of(session, programme)
        apply_planning(plan, data)
        session.add(programme)
        session.add(plan)
        await save_cap(session, programme_id, data)
        cap = await cap_of(session, programme_id)
    log.info("programme.updated", programme_id=programme_id, fields=sorted(data.model_fields_set))
    return programme, plan, cap


def _site_values(data: SiteFields) -> dict[str, Any]:
    """The stored values of the fields the caller gave."""
    values: dict[str, Any] = {}
    for name in SiteFields.model_fields:
        value = getattr(data, name)
        if name not in data.model_fields_set or (value is None and name != "max_sessions"):
            continue
        if name == "blackouts":
            value = [period_dict(p) for p in value]
        elif name == "market_day":
            value = value.model_dump()
            rule_from_dict(value)  # the schema already checked it; this keeps the stored form canonical
        values[name] = value
    return values


def _new_site(programme: Programme, data: SiteCreate, *, field: str) -> Site:
    """A site of the programme's province from a code or a (current or former) commune name."""
    try:
        found = resolve_commune(data.commune_code or data.commune_name or "", province_code=programme.province_code,
                                district=data.former_district)
    except UnknownCommune as exc:
        name_field = "commune_code" if data.commune_code else "commune_name"
        raise Invalid(f"Không tìm thấy xã / {exc}", field=f"{field}{name_field}", code="unknown-commune") from exc
    commune = commune_of_programme(found.commune.code, programme)
    values = _site_values(data)
    flags = {k: values.get(k, False) for k in ("mountain", "border", "island", "difficult")}
    values.setdefault("priority", rules.default_priority(**flags))
    values.setdefault("name", rules.default_site_name(commune.kind, commune.name))
    return Site(programme_id=programme.id, commune_code=commune.code, imported_as=found.former_name, **values)


async def _add_sites(session: AsyncSession, programme: Programme, sites: list[Site]) -> None:
    """Add the sites; a commune twice in the programme is refused by name."""
    existing = set((await session.exec(select(Site.commune_code).where(Site.programme_id == programme.id))).all())
    seen: set[str] = set()
    for site in sites:
        if site.commune_code in existing or site.commune_code in seen:
            raise Rejected(f"Xã {site.commune_code} đã là điểm chợ của chương trình / commune "
                           f"{site.commune_code} is already a site of the programme", field="commune_code",
                           code="duplicate-site")
        seen.add(site.commune_code)
        session.add(site)


async def add_sites(*, db: Database, principal: Principal, programme_id: str,
                    data: list[SiteCreate], prefix: str = "") -> list[Site]:
    """Add one site or import many, all or nothing; old names are mapped to today's communes."""
    try:
        async with db.transaction() as session:
            programme = await own_programme(session, programme_id, principal)
            sites = [_new_site(programme, d, field=f"{prefix}{i}." if prefix else "") for i, d in enumerate(data)]
            await _add_sites(session, programme, sites)
    except IntegrityError as exc:  # a concurrent request added the same commune
        raise Rejected("Điểm chợ đã tồn tại / the site already exists", field="commune_code",
                       code="duplicate-site") from exc
    log.info("sites.added", programme_id=programme_id, count=len(sites))
    return sites


async def list_sites(*, db: Database, programme_id: str) -> list[Site]:
    """A programme's sites by commune code (public: where and when markets are held is public)."""
    async with db.sessions() as session:
        if await session.get(Programme, programme_id) is None:
            raise not_found("programme", programme_id)
        rows = await session.exec(select(Site).where(Site.programme_id == programme_id)
                                  .order_by(col(Site.commune_code)))
        return list(rows.all())


async def get_site(*, db: Database, site_id: str) -> Site:
    """One site (public)."""
    async with db.sessions() as session:
        site = await session.get(Site, site_id)
        if site is None:
            raise not_found("site", site_id)
        return site


async def _own_site(session: AsyncSession, site_id: str, principal: Principal) -> Site:
    site = await session.get(Site, site_id)
    if site is None:
        raise not_found("site", site_id)
    await own_programme(session, site.programme_id, principal)
    return site


async def update_site(*, db: Database, principal: Principal, site_id: str, data: SiteFields) -> Site:
    """Change a site's flags, market day, capacity, blackouts (e.g. a border closure)."""
    async with db.transaction() as session:
        site = await _own_site(session, site_id, principal)
        for name, value in _site_values(data).items():
            setattr(site, name, value)
        session.add(site)
    log.info("site.updated", site_id=site_id, fields=sorted(data.model_fields_set))
    return site


async def delete_site(*, db: Database, principal: Principal, site_id: str) -> None:
    """Drop a site from the programme (its confirmed sessions stay; the next proposal skips the commune)."""
    async with db.transaction() as session:
        site = await _own_site(session, site_id, principal)
        await session.delete(site)
    log.info("site.deleted", site_id=site_id)


def _supplier_values(data: SupplierFields) -> dict[str, Any]:
    """The stored values of the fields the caller gave (only the tax code may be cleared with null)."""
    values: dict[str, Any] = {}
    for name in data.model_fields_set & set(SupplierFields.model_fields):
        value = getattr(data, name)
        if value is None and name != "tax_code":
            continue
        values[name] = [period_dict(p) for p in value] if name == "availability" else value
    return values


def _checked_tax_code(values: dict[str, Any], supplier: Supplier | None = None) -> dict[str, Any]:
    """The values with the tax code normalised by the kernel's rule (a personal ID only for a household)."""
    if values.get("tax_code") is None and "kind" not in values:
        return values
    kind = values.get("kind", supplier.kind if supplier else DEFAULT_KIND)
    code = values["tax_code"] if "tax_code" in values else (supplier.tax_code if supplier else None)
    if code is None:
        return values
    try:
        return {**values, "tax_code": normalize_tax_code(code, allow_personal_id=allows_personal_id(kind))}
    except InvalidTaxCode as exc:
        raise Invalid(str(exc), field="tax_code", code="invalid-tax-code") from exc


async def add_supplier(*, db: Database, principal: Principal, programme_id: str, data: SupplierCreate) -> Supplier:
    """Enrol a supplier (enterprise, cooperative) in the programme's pool for the solver."""
    try:
        async with db.transaction() as session:
            await own_programme(session, programme_id, principal)
            supplier = Supplier(programme_id=programme_id, **_checked_tax_code(_supplier_values(data)))
            session.add(supplier)
    except IntegrityError as exc:
        raise Rejected(f"Chương trình đã có nhà cung cấp '{data.name}' / the programme already has a supplier "
                       "of that name", field="name", code="duplicate-supplier") from exc
    log.info("supplier.added", programme_id=programme_id, supplier_id=supplier.id)
    return supplier


async def list_suppliers(*, db: Database, principal: Principal, programme_id: str) -> list[Supplier]:
    """The programme's suppliers by name (its organizer only)."""
    async with db.sessions() as session:
        await own_programme(session, programme_id, principal)
        rows = await session.exec(select(Supplier).where(Supplier.programme_id == programme_id)
                                  .order_by(col(Supplier.name)))
        return list(rows.all())


async def _own_supplier(session: AsyncSession, supplier_id: str, principal: Principal) -> Supplier:
    supplier = await session.get(Supplier, supplier_id)
    if supplier is None:
        raise not_found("supplier", supplier_id)
    await own_programme(session, supplier.programme_id, principal)
    return supplier


async def get_supplier(*, db: Database, principal: Principal, supplier_id: str) -> Supplier:
    """One supplier (its programme's organizer only)."""
    async with db.sessions() as session:
        return await _own_supplier(session, supplier_id, principal)


async def update_supplier(*, db: Database, principal: Principal, supplier_id: str,
                          data: SupplierFields) -> Supplier:
    """Change a supplier's categories, availability, funding or limits."""
    try:
        async with db.transaction() as session:
            supplier = await _own_supplier(session, supplier_id, principal)
            for name, value in _checked_tax_code(_supplier_values(data), supplier).items():
                setattr(supplier, name, value)
            session.add(supplier)
    except IntegrityError as exc:
        raise Rejected("Tên nhà cung cấp đã có / a supplier of that name exists", field="name",
                       code="duplicate-supplier") from exc
    log.info("supplier.updated", supplier_id=supplier_id)
    return supplier


async def delete_supplier(*, db: Database, principal: Principal, supplier_id: str) -> None:
    """Drop a supplier that takes part in no confirmed session."""
    async with db.transaction() as session:
        supplier = await _own_supplier(session, supplier_id, principal)
        booked = (await session.exec(select(SessionSupplier).where(SessionSupplier.supplier_id == supplier_id)
                                     .limit(1))).first()
        if booked is not None:
            raise Rejected("Nhà cung cấp đã tham gia phiên chợ đã xác nhận / the supplier takes part in a "
                           "confirmed session", code="supplier-in-use")
        await session.delete(supplier)
    log.info("supplier.deleted", supplier_id=supplier_id)
