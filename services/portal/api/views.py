"""Rendering: the Jinja templates, their filters (the Vietnamese display of domain/display.py), the reader's
language, and the page's header."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from starlette.routing import Match

from services.portal.api.session import dev_login_enabled, viewer, viewer_label
from services.portal.domain.display import (
    FAIR_KIND,
    FAIR_STATUS,
    INVOICE_STATUS,
    REGISTRATION_STATUS,
    day,
    moment,
    province_name,
    vnd,
)
from services.portal.domain.event_words import event_word
from services.portal.domain.forms import FormErrors, split_title

HERE = Path(__file__).parent.parent  # the portal's folder: templates/ and static/
# Pages use only their own stylesheet and images; the SVG floor plan comes through the portal too.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
                               "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

LANG_COOKIE = "hangviet_lang"
LANGUAGES = ("vi", "en")


def lang_of(request: Request) -> str:
    """The reader's language: Vietnamese unless they switched to English (a cookie)."""
    return "en" if request.cookies.get(LANG_COOKIE) == "en" else "vi"


@pass_context
def translate(context: Any, vi: str, en: str) -> str:
    """`{{ t("Hội chợ", "Fairs") }}`: the text in the page's language (both are written side by side)."""
    return en if context.get("lang") == "en" else vi


@pass_context
def in_reader_language(context: Any, text: Any) -> str:
    """`{{ reason | bilingual }}`: a service's "Vietnamese / English" text in the page's language."""
    vi, en = split_title(str(text or ""))
    return en if context.get("lang") == "en" and en else vi


@pass_context
def event_in_words(context: Any, code: Any) -> str:
    """`{{ d.event_type | event_word }}`: an event's code in words, in the page's language."""
    return event_word(str(code), str(context.get("lang") or "vi"))


def label(table: dict[str, str]) -> Any:
    """A filter naming a state in Vietnamese (the raw value when unknown)."""
    return lambda value: table.get(str(value), str(value))


def _make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters.update(
        vnd=vnd, day=day, moment=moment, province=province_name, fair_status=label(FAIR_STATUS),
        fair_kind=label(FAIR_KIND), registration_status=label(REGISTRATION_STATUS),
        invoice_status=label(INVOICE_STATUS), bilingual=in_reader_language, event_word=event_in_words)
    templates.env.globals["t"] = translate
    return templates


TEMPLATES = _make_templates()


def here(request: Request) -> str:
    """The page to come back to after switching language: this one with its query, or after a POST (a form
    shown again with its errors) the nearest page above it that can be read with GET."""
    path = request.url.path
    if request.method in ("GET", "HEAD"):
        return path + (f"?{request.url.query}" if request.url.query else "")
    while path not in ("", "/"):
        scope = {"type": "http", "path": path, "method": "GET"}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            return path
        path = path.rsplit("/", 1)[0]
    return "/"


NAMES_KEPT = 1000  # exhibitors' names the header remembers (one process; the oldest is forgotten first)


def remember_name(request: Request, exhibitor_id: str, name: Any) -> None:
    """Keep an exhibitor's legal name, read from its profile, for the header (which shows no ids)."""
    if not name:
        return
    names: dict[str, str] | None = getattr(request.app.state, "exhibitor_names", None)
    if names is None:
        names = request.app.state.exhibitor_names = {}
    names.pop(exhibitor_id, None)
    names[exhibitor_id] = str(name)
    while len(names) > NAMES_KEPT:
        names.pop(next(iter(names)))


def known_name(request: Request, exhibitor_id: str | None) -> str | None:
    """An exhibitor's legal name if a page has read it."""
    names = getattr(request.app.state, "exhibitor_names", None) or {}
    return names.get(exhibitor_id) if exhibitor_id else None


def render(request: Request, name: str, context: dict[str, Any] | None = None, *,
           status_code: int = 200) -> HTMLResponse:
    """A page, with the user's name in the header; form errors in the reader's language."""
    principal = viewer(request)
    lang = lang_of(request)
    who = known_name(request, principal.exhibitor_id) if principal is not None else None
    base = {"viewer": principal, "viewer_label": viewer_label(principal, lang, who), "lang": lang,
            "here": here(request),
            "dev_login": dev_login_enabled(request.app.state.settings)}
    shown = {k: v.in_language(lang) if isinstance(v, FormErrors) else v for k, v in (context or {}).items()}
    response = TEMPLATES.TemplateResponse(request, name, {**base, **shown}, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    return response
