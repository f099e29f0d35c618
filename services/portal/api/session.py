"""Who is using the browser: the token in the HTTP-only cookie, and the development users."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from shared.auth import Principal, Role, decode_token, issue_token
from shared.problems import Problem
from shared.settings import Settings

COOKIE = "hangviet_token"
TOKEN_TTL = timedelta(hours=12)


@dataclass(frozen=True)
class DevUser:
    """A seeded user the development login picker offers."""

    key: str
    label: str
    role: Role
    claims: dict[str, Any] = field(default_factory=dict)
    home: str = "/"
    label_en: str = ""  # the header's name for the user in English mode


DEV_USERS: tuple[DevUser, ...] = (
    DevUser("organizer-tq", "Ban tổ chức – TT KC&XTTM Tuyên Quang", Role.ORGANIZER,
            {"centre_id": "tq"}, home="/organizer", label_en="Organizer – TT KC&XTTM Tuyên Quang"),
    DevUser("ex-dongvan", "Doanh nghiệp – HTX Chè Shan tuyết Đồng Văn", Role.EXHIBITOR,
            {"exhibitor_id": "ex-dongvan"}, label_en="Exhibitor – HTX Chè Shan tuyết Đồng Văn"),
    DevUser("ex-meovac", "Doanh nghiệp – Hộ kinh doanh Mèn mén Mèo Vạc", Role.EXHIBITOR,
            {"exhibitor_id": "ex-meovac"}, label_en="Exhibitor – Hộ kinh doanh Mèn mén Mèo Vạc"),
    DevUser("regional-ttkc1", "Trung tâm vùng – TT KC&TVPTCN 1", Role.REGIONAL,
            {"region": "north", "subject": "ttkc1"}, label_en="Regional centre – TT KC&TVPTCN 1"),
    # Sees every centre's fairs, programmes and invoices, and runs the checks only an admin may.
    DevUser("admin", "Quản trị hệ thống – mọi trung tâm", Role.ADMIN, {"subject": "admin"},
            home="/organizer", label_en="Administrator – every centre"),
)


def dev_user(key: str) -> DevUser | None:
    """The seeded user with this key."""
    return next((u for u in DEV_USERS if u.key == key), None)


def dev_login_enabled(settings: Settings) -> bool:
    """The picker exists only outside production."""
    return settings.env != "production"


def issue_dev_token(settings: Settings, user: DevUser) -> str:
    """A signed token for a seeded user."""
    return issue_token(settings.jwt_secret, role=user.role, ttl=TOKEN_TTL, **user.claims)


def token_of(request: Request) -> str | None:
    """The user's token, forwarded to the services as it is."""
    return request.cookies.get(COOKIE) or None


def viewer(request: Request) -> Principal | None:
    """The logged-in user, or None (also for an expired or forged cookie)."""
    token = token_of(request)
    if not token:
        return None
    try:
        return decode_token(request.app.state.settings.jwt_secret, token)
    except Problem:
        return None


# The header's word for a role (Vietnamese, English): a user's id is never shown there.
ROLE_WORDS: dict[Role, tuple[str, str]] = {
    Role.ORGANIZER: ("Ban tổ chức", "Organizer"), Role.EXHIBITOR: ("Doanh nghiệp", "Exhibitor"),
    Role.REGIONAL: ("Trung tâm vùng", "Regional centre"), Role.ADMIN: ("Quản trị hệ thống", "Administrator"),
}


def viewer_label(principal: Principal | None, lang: str = "vi", name: str | None = None) -> str | None:
    """How the header names the user in the reader's language: a seeded user's label, else the role's word
    with the name when the portal knows it (an exhibitor's legal name, once a page has read the profile)."""
    if principal is None:
        return None
    for user in DEV_USERS:
        if user.role is principal.role and principal.subject == issue_subject(user):
            return user.label_en or user.label if lang == "en" else user.label
    vi, en = ROLE_WORDS.get(principal.role, (principal.role.value, principal.role.value))
    word = en if lang == "en" else vi
    return f"{word} – {name}" if name else word


def issue_subject(user: DevUser) -> str:
    """The `sub` claim issue_token gives a seeded user."""
    claims = user.claims
    return str(claims.get("subject") or claims.get("exhibitor_id") or claims.get("centre_id")
               or claims.get("region") or user.role.value)


def set_cookie(response: Response, token: str, settings: Settings) -> None:
    """Store the token where scripts cannot read it; Lax keeps it off cross-site POSTs."""
    response.set_cookie(COOKIE, token, max_age=int(TOKEN_TTL.total_seconds()), path="/", httponly=True,
                        samesite="lax", secure=settings.env == "production")


def clear_cookie(response: Response) -> None:
    """Forget the token."""
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")


def safe_next(target: str | None) -> str | None:
    """A local path to return to after login; anything else (other hosts) is dropped."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def login_redirect(request: Request) -> RedirectResponse:
    """Send the user to the login page, coming back here afterwards."""
    # After a refused POST there is no page to return to that would not repeat it.
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        here = "/"
    response = RedirectResponse(f"/login?next={quote(here, safe='/')}", status_code=303)
    clear_cookie(response)
    return response
