"""HTTP routes for a programme's settings, sites and suppliers.

Roles: the programme's organizers (and admins) change all of them (another centre's answer 404, other
roles 403). Sites are public (where and when markets are held is public); suppliers are the organizer's.
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from services.markets.api.deps import DbDep
from services.markets.api.programmes import programme_public
from services.markets.domain.marketdays import rule_from_dict
from services.markets.models import Site, Supplier
from services.markets.schemas.catalogue import (
    SiteCreate,
    SiteFields,
    SitePublic,
    SitesImport,
    SitesPublic,
    SupplierCreate,
    SupplierFields,
    SupplierPublic,
    SuppliersPublic,
)
from services.markets.schemas.programmes import ProgrammePublic, ProgrammeUpdate
from services.markets.service import catalogue
from shared.auth import Organizer
from shared.reference import geo


def site_public(site: Site) -> SitePublic:
    """Shape a site."""
    try:
        commune_name = geo.commune(site.commune_code).full_name
    except KeyError:
        commune_name = ""
    return SitePublic.model_validate({**site.model_dump(), "commune_name": commune_name,
                                      "market_day_text": rule_from_dict(site.market_day).describe()})


def supplier_public(supplier: Supplier) -> SupplierPublic:
    """Shape a supplier."""
    return SupplierPublic.model_validate(supplier.model_dump())


programmes = APIRouter(prefix="/programmes", tags=["programmes"])


@programmes.patch("/{programme_id}", response_model=ProgrammePublic,
                  summary="Change a programme's figures, blackouts and planning settings (organizer)")
async def update_programme(programme_id: str, body: ProgrammeUpdate, db: DbDep,
                           principal: Organizer) -> ProgrammePublic:
    programme, plan, cap = await catalogue.update_programme(db=db, principal=principal, programme_id=programme_id,
                                                            data=body)
    return programme_public(programme, plan, cap)


sites = APIRouter(tags=["sites"])


@sites.post("/programmes/{programme_id}/sites", status_code=status.HTTP_201_CREATED, response_model=SitePublic,
            summary="Add a commune as a site, by code or by (current or pre-2025) name (organizer)")
async def create_site(programme_id: str, body: SiteCreate, db: DbDep, principal: Organizer) -> SitePublic:
    [site] = await catalogue.add_sites(db=db, principal=principal, programme_id=programme_id, data=[body])
    return site_public(site)


@sites.post("/programmes/{programme_id}/sites/import", status_code=status.HTTP_201_CREATED,
            response_model=SitesPublic, summary="Import many sites at once, all or nothing (organizer)")
async def import_sites(programme_id: str, body: SitesImport, db: DbDep, principal: Organizer) -> SitesPublic:
    rows = await catalogue.add_sites(db=db, principal=principal, programme_id=programme_id, data=body.sites,
                                     prefix="sites.")
    return SitesPublic(data=[site_public(s) for s in rows], count=len(rows))


@sites.get("/programmes/{programme_id}/sites", response_model=SitesPublic,
           summary="A programme's sites with their market days (public)")
async def read_sites(programme_id: str, db: DbDep) -> SitesPublic:
    rows = await catalogue.list_sites(db=db, programme_id=programme_id)
    return SitesPublic(data=[site_public(s) for s in rows], count=len(rows))


@sites.get("/sites/{site_id}", response_model=SitePublic, summary="A site (public)")
async def read_site(site_id: str, db: DbDep) -> SitePublic:
    return site_public(await catalogue.get_site(db=db, site_id=site_id))


@sites.patch("/sites/{site_id}", response_model=SitePublic,
             summary="Change a site: flags, market day, capacity, blackouts (organizer)")
async def update_site(site_id: str, body: SiteFields, db: DbDep, principal: Organizer) -> SitePublic:
    return site_public(await catalogue.update_site(db=db, principal=principal, site_id=site_id, data=body))


@sites.delete("/sites/{site_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
              summary="Drop a site from the programme (organizer)")
async def delete_site(site_id: str, db: DbDep, principal: Organizer) -> Response:
    await catalogue.delete_site(db=db, principal=principal, site_id=site_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


suppliers = APIRouter(tags=["suppliers"])


@suppliers.post("/programmes/{programme_id}/suppliers", status_code=status.HTTP_201_CREATED,
                response_model=SupplierPublic, summary="Enrol a supplier in the programme's pool (organizer)")
async def create_supplier(programme_id: str, body: SupplierCreate, db: DbDep,
                          principal: Organizer) -> SupplierPublic:
    return supplier_public(await catalogue.add_supplier(db=db, principal=principal, programme_id=programme_id,
                                                        data=body))


@suppliers.get("/programmes/{programme_id}/suppliers", response_model=SuppliersPublic,
               summary="The programme's suppliers (organizer)")
async def read_suppliers(programme_id: str, db: DbDep, principal: Organizer) -> SuppliersPublic:
    rows = await catalogue.list_suppliers(db=db, principal=principal, programme_id=programme_id)
    return SuppliersPublic(data=[supplier_public(s) for s in rows], count=len(rows))


@suppliers.get("/suppliers/{supplier_id}", response_model=SupplierPublic, summary="A supplier (organizer)")
async def read_supplier(supplier_id: str, db: DbDep, principal: Organizer) -> SupplierPublic:
    return supplier_public(await catalogue.get_supplier(db=db, principal=principal, supplier_id=supplier_id))


@suppliers.patch("/suppliers/{supplier_id}", response_model=SupplierPublic,
                 summary="Change a supplier's categories, availability, funding, limits (organizer)")
async def update_supplier(supplier_id: str, body: SupplierFields, db: DbDep,
                          principal: Organizer) -> SupplierPublic:
    return supplier_public(await catalogue.update_supplier(db=db, principal=principal, supplier_id=supplier_id,
                                                           data=body))


@suppliers.delete("/suppliers/{supplier_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
                  summary="Drop a supplier that is in no confirmed session (organizer)")
async def delete_supplier(supplier_id: str, db: DbDep, principal: Organizer) -> Response:
    await catalogue.delete_supplier(db=db, principal=principal, supplier_id=supplier_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


ROUTERS = (programmes, sites, suppliers)
