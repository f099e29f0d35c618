"""JWT bearer tokens with roles exhibitor / organizer / regional / admin, and FastAPI guards for them."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.principal import Principal, Role
from shared.problems import Problem

__all__ = ["Principal", "Role", "current_principal", "decode_token", "issue_token", "optional_principal", "require"]

ALGORITHM = "HS256"
ISSUER = "hangviet"


def issue_token(secret: str, *, role: Role | str, subject: str | None = None, centre_id: str | None = None,
                exhibitor_id: str | None = None, region: str | None = None,
                provinces: tuple[str, ...] = (), ttl: timedelta = timedelta(hours=12)) -> str:
    """A signed token for a principal."""
    role = Role(role)
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": subject or exhibitor_id or centre_id or region or role.value,
        "role": role.value,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    optional = {"centre_id": centre_id, "exhibitor_id": exhibitor_id, "region": region}
    claims.update({k: v for k, v in optional.items() if v})
    if provinces:
        claims["provinces"] = list(provinces)
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


@lru_cache(maxsize=2048)
def _verified_claims(secret: str, token: str) -> Mapping[str, Any]:
    """The claims of a token whose signature, issuer and required claims were checked (once per token: PyJWT
    re-examines the secret for every decode, a regular expression over it that was ~8 % of registration's CPU
    at 50 approvals/s). Refusals raise and are not kept; the expiry is checked again at each use."""
    # A token without `exp` would be valid for ever: refused (PyJWT checks `exp` only when present).
    return MappingProxyType(jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=ISSUER,
                                       options={"require": ["exp", "sub", "role"]}))


def decode_token(secret: str, token: str) -> Principal:
    """The principal of a valid token (signed, issued by us, not expired, with `exp`); 401 problem otherwise."""
    try:
        claims = _verified_claims(secret, token)
        if claims["exp"] <= time.time():  # as PyJWT decides it (no leeway): expired since it was first checked
            raise jwt.ExpiredSignatureError("Signature has expired")
        return Principal(
            role=Role(claims["role"]),
            subject=str(claims["sub"]),
            centre_id=claims.get("centre_id"),
            exhibitor_id=claims.get("exhibitor_id"),
            region=claims.get("region"),
            provinces=tuple(claims.get("provinces", ())),
        )
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise Problem(401, "Phiên đăng nhập không hợp lệ / Invalid or expired token", detail=str(exc),
                      type_="unauthorized") from exc


_bearer = HTTPBearer(auto_error=False)


async def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The caller, from the Authorization header (or the browser session's cookie)."""
    token = credentials.credentials if credentials else request.cookies.get("hangviet_token")
    if not token:
        raise Problem(401, "Cần đăng nhập / Authentication required", type_="unauthorized")
    return decode_token(request.app.state.settings.jwt_secret, token)


async def optional_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal | None:
    """The caller when a token is given (a bad token is still a 401), None for the public."""
    token = credentials.credentials if credentials else request.cookies.get("hangviet_token")
    if not token:
        return None
    return decode_token(request.app.state.settings.jwt_secret, token)


def require(*roles: Role) -> Any:
    """A dependency admitting only the given roles (admins always)."""

    async def guard(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in roles and not principal.is_admin():
            raise Problem(403, "Không có quyền / Forbidden for this role", type_="forbidden",
                          detail=f"role {principal.role.value} may not call this; allowed: "
                                 + ", ".join(r.value for r in roles))
        return principal

    return Depends(guard)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]
Organizer = Annotated[Principal, require(Role.ORGANIZER)]
Exhibitor = Annotated[Principal, require(Role.EXHIBITOR)]
Regional = Annotated[Principal, require(Role.REGIONAL)]
