"""What the routes share: the database, an optional caller, and the shapes of the replies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator

from services.registration.domain.capacity import free_booths
from services.registration.models import AuditEntry, Exhibitor, Fair, Registration, products_of
from services.registration.schemas import (
    AuditEntryPublic,
    AuditLogPublic,
    ExhibitorPublic,
    FairPublic,
    RegistrationPublic,
    RegistrationsPublic,
)
from services.registration.settings import RegistrationSettings
from shared.auth import Principal, decode_token
from shared.db import Database
from shared.reference import geo

_bearer = HTTPBearer(auto_error=False)


async def get_db(request: Request) -> Database:
    """The service's database (async: FastAPI runs a plain function dependency on a worker thread)."""
    db: Database = request.app.state.runtime.db
    return db


async def optional_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal | None:
    """The caller when a token is sent (a bad token is still refused), None for an anonymous visitor."""
    token = credentials.credentials if credentials else request.cookies.get("hangviet_token")
    return decode_token(request.app.state.settings.jwt_secret, token) if token else None


async def get_rules(request: Request) -> RegistrationSettings:
    """The service's own settings (the longest fair)."""
    rules: RegistrationSettings = request.app.state.rules
    return rules


DbDep = Annotated[Database, Depends(get_db)]
RulesDep = Annotated[RegistrationSettings, Depends(get_rules)]
MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]
SearchQuery = Annotated[str | None, Query(max_length=100, description="words to find, diacritics optional")]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


def _current_province(code: str | None) -> str | None:
    """A filter names a province of today's 34-province map, or the caller made a mistake (422, not an empty list)."""
    if code is not None and not geo.is_province_code(code):
        raise ValueError(f"Không có tỉnh/thành phố mã {code} / unknown province code {code}")
    return code


ProvinceFilter = Annotated[str | None, Query(pattern=r"^\d{2}$", description="a current province's 2-digit code"),
                           AfterValidator(_current_province)]


def fair_public(fair: Fair, approved: int = 0) -> FairPublic:
    """Shape a fair."""
    return FairPublic.model_validate({
        **fair.model_dump(), "approved_booths": approved, "free_booths": free_booths(fair.capacity_booths, approved),
        "eligibility": {"kinds": fair.eligible_kinds, "cscnnt_only": fair.cscnnt_only,
                        "home_provinces": fair.home_provinces}})


def registration_public(registration: Registration, position: int | None = None) -> RegistrationPublic:
    """Shape a registration."""
    return RegistrationPublic.model_validate({**registration.model_dump(), "products": products_of(registration),
                                              "waitlist_position": position})


def registrations_page(rows: list[tuple[Registration, int | None]]) -> RegistrationsPublic:
    """Shape a list of registrations with their waitlist positions."""
    return RegistrationsPublic(data=[registration_public(r, p) for r, p in rows], count=len(rows))


def exhibitor_public(exhibitor: Exhibitor) -> ExhibitorPublic:
    """Shape an exhibitor."""
    return ExhibitorPublic.model_validate(exhibitor.model_dump())


def audit_page(entries: list[AuditEntry]) -> AuditLogPublic:
    """Shape a page of the audit log."""
    return AuditLogPublic(data=[AuditEntryPublic.model_validate(e.model_dump()) for e in entries],
                          count=len(entries))
