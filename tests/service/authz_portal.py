"""The portal's rows of the authorization matrix (no tests here).

The portal's pages are left out of its OpenAPI document, so its routes are read from the app's routes. The portal
keeps no data and decides nothing itself: it forwards the user's cookie token to the services, whose answers
(and so the matrix rows of their routes) decide. Each page is listed with its gate: "public" (anyone) or "login"
(a visitor without a cookie is sent to log in, 303 to /login, before any service is asked).
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import routing
from fastapi.routing import APIRoute

from services.portal.settings import PortalSettings
from tests.service.authz_support import Call, may

# The portal's own pieces that are no page of the platform: API docs served offline, static files.
NOT_PAGES = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}

PUBLIC = {
    ("get", "/health"), ("get", "/ready"), ("get", "/metrics"), ("get", "/asyncapi"),
    ("get", "/"), ("get", "/fairs/{fair_id}"), ("get", "/fairs/{fair_id}/floorplan.svg"),
    ("get", "/market-sessions"), ("get", "/login"), ("post", "/login"), ("post", "/logout"), ("get", "/lang/{code}"),
    ("get", "/me/communes"),  # the profile form's commune picker: public place names
    # Calendars relayed as the services publish them: a programme's and a site's are public, a subscription's
    # feed is read by whoever holds its secret address (no cookie: a calendar app has none).
    ("get", "/organizer/markets/{programme_id}/calendar.ics"),
    ("get", "/organizer/markets/sites/{site_id}/calendar.ics"),
    ("get", "/regional/feeds/{name}"),
}
TOKEN = {("get", "/admin/delivery")}  # the kernel's JSON route: 401 without a token, as in every service
LOGIN = {
    ("post", "/fairs/{fair_id}/register"),
    ("get", "/organizer/billing/settings"), ("post", "/organizer/billing/settings"),
    ("get", "/registrations/{registration_id}"), ("get", "/registrations/{registration_id}/state"),
    ("get", "/invoices/{invoice_id}.pdf"), ("get", "/invoices/{invoice_id}"),
    *(("get", p) for p in ("/organizer/fairs/{fair_id}/floorplan", "/organizer/fairs/{fair_id}/floorplan/map",
                           "/organizer/fairs/{fair_id}/floorplan/stream", "/organizer", "/organizer/fairs/new",
                           "/organizer/fairs/{fair_id}", "/organizer/fairs/{fair_id}/audit",
                           "/organizer/fairs/{fair_id}/registrations.{kind}",
                           "/organizer/registrations/{registration_id}")),
    *(("post", p) for p in ("/organizer/fairs/{fair_id}/floorplan/grid", "/organizer/fairs/{fair_id}/floorplan/csv",
                            "/organizer/fairs/{fair_id}/booths/{op}", "/organizer/fairs/{fair_id}/allocate",
                            "/organizer/fairs", "/organizer/fairs/{fair_id}/lifecycle/{move}",
                            "/organizer/registrations/{registration_id}/approve",
                            "/organizer/registrations/{registration_id}/reject",
                            "/organizer/registrations/{registration_id}/request-changes",
                            "/organizer/fairs/{fair_id}/bulk")),
    *(("get", p) for p in ("/me", "/me/profile", "/me/registrations/{registration_id}/booths",
                           "/me/registrations/{registration_id}/edit", "/me/notifications")),
    ("get", "/organizer/mailbox"),  # development only: 404 in production, before the login
    # Documents (issue 16): the organizer's required documents and reviews, the exhibitor's upload, a file.
    ("get", "/organizer/fairs/{fair_id}/documents"), ("post", "/organizer/fairs/{fair_id}/documents"),
    ("post", "/organizer/registrations/{registration_id}/documents/{document_id}/accept"),
    ("post", "/organizer/registrations/{registration_id}/documents/{document_id}/request-new"),
    ("post", "/me/registrations/{registration_id}/documents"),
    ("get", "/registrations/{registration_id}/documents/{document_id}"),
    *(("post", p) for p in ("/me/profile", "/me/notifications", "/me/registrations/{registration_id}/cancel",
                            "/me/registrations/{registration_id}/booths/hold",
                            "/me/registrations/{registration_id}/booths/confirm",
                            "/me/registrations/{registration_id}/booths/release",
                            "/me/registrations/{registration_id}/edit")),
    *(("get", p) for p in ("/organizer/billing", "/organizer/billing/invoices/{invoice_id}.pdf",
                           "/organizer/billing/invoices/{invoice_id}", "/organizer/billing/programmes",
                           "/organizer/billing/programmes/new", "/organizer/billing/programmes/{programme_id}",
                           "/organizer/billing/programmes/{programme_id}/settlement.xlsx")),
    *(("post", p) for p in ("/organizer/billing/overdue-check", "/organizer/billing/invoices/{invoice_id}/payments",
                            "/organizer/billing/invoices/{invoice_id}/payments/{payment_id}/reverse",
                            "/organizer/billing/programmes")),
    *(("get", p) for p in ("/organizer/markets", "/organizer/markets/new", "/organizer/markets/{programme_id}",
                           "/organizer/markets/{programme_id}/sites", "/organizer/markets/{programme_id}/suppliers",
                           "/organizer/markets/jobs/{job_id}/status", "/organizer/markets/jobs/{job_id}",
                           "/organizer/markets/proposals/{proposal_id}",
                           "/organizer/markets/{programme_id}/sessions/{session_id}/report")),
    *(("post", p) for p in ("/organizer/markets/new", "/organizer/markets/{programme_id}/sites",
                            "/organizer/markets/{programme_id}/sites/import",
                            "/organizer/markets/{programme_id}/suppliers", "/organizer/markets/{programme_id}/plan",
                            "/organizer/markets/proposals/{proposal_id}/pin",
                            "/organizer/markets/proposals/{proposal_id}/forbid",
                            "/organizer/markets/proposals/{proposal_id}/confirm",
                            "/organizer/markets/proposals/{proposal_id}/discard",
                            "/organizer/markets/sessions/{session_id}/cancel",
                            "/organizer/markets/{programme_id}/sessions/{session_id}/report")),
    *(("get", p) for p in ("/regional", "/regional/subscriptions/new", "/regional/subscriptions/{subscription_id}",
                           "/regional/live", "/regional/live/stream")),
    *(("post", p) for p in ("/regional/subscriptions", "/regional/subscriptions/{subscription_id}/secret",
                            "/regional/subscriptions/{subscription_id}/delete",
                            "/regional/subscriptions/{subscription_id}/deliveries/redeliver",
                            "/regional/subscriptions/{subscription_id}/deliveries/{delivery_id}/redeliver",
                            "/regional/subscriptions/{subscription_id}/feed",
                            "/regional/subscriptions/{subscription_id}/feed/delete")),
}
# Values for the path's parameters: well-formed ids (an odd one is simply not found), a real operation name.
PARAMS = {"op": "block", "move": "publish", "kind": "csv", "code": "vi", "name": "lich.ics", "delivery_id": "7"}
SOME_ID = "0123456789abcdef0123456789abcdef"
# A form the page reads before it asks for the login (a malformed line id is simply not found, 404).
FORMS = {("post", "/organizer/markets/proposals/{proposal_id}/pin"): {"item_id": SOME_ID}}

# The portal's own gates, by the start of the path: the roles a section's pages are for. Anyone else is refused
# (403) by the portal before a service is asked. The regional pages are the regional centres' (and the admin's):
# an organizer, whom the subscriptions API also lets subscribe, is not offered them. Pages outside these
# sections leave the decision to the service (OBJECT_PAGES).
GATES = {"/me": {"exhibitor"}, "/organizer": {"organizer", "admin"}, "/regional": {"regional", "admin"}}
ADMIN_ONLY = {("post", "/organizer/billing/overdue-check")}


def gate_of(method: str, path: str) -> set[str] | None:
    """The roles a page is for, when the portal itself decides."""
    if (method, path) in ADMIN_ONLY:
        return {"admin"}
    return next((roles for prefix, roles in GATES.items() if path == prefix or path.startswith(prefix + "/")), None)


def pages(app: Any) -> set[tuple[str, str]]:
    """Every (method, path) the portal serves, included routers flattened, the docs and static files aside."""
    found = set()
    for context in routing.iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and context.path_format not in NOT_PAGES:
            found |= {(m.lower(), context.path_format) for m in context.methods or ()}
    return found


def coverage_problems(app: Any) -> list[str]:
    served = pages(app)
    listed = PUBLIC | LOGIN | TOKEN
    twice = (PUBLIC & LOGIN) | (PUBLIC & TOKEN) | (LOGIN & TOKEN)
    return ([f"no entry: {m.upper()} {p}" for m, p in sorted(served - listed)]
            + [f"no such page: {m.upper()} {p}" for m, p in sorted(listed - served)]
            + [f"two entries: {m.upper()} {p}" for m, p in sorted(twice)])


def url_of(path: str) -> str:
    names = {n: PARAMS.get(n, SOME_ID) for n in ("fair_id", "registration_id", "invoice_id", "programme_id",
                                                   "job_id", "proposal_id", "session_id", "site_id",
                                                   "subscription_id", "payment_id", "document_id", *PARAMS)}
    return path.format(**names)


class NoService(httpx.AsyncBaseTransport):
    """Services that know nothing (404 to everything), recording what the portal asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(f"{request.method} {request.url}")
        return httpx.Response(404, json={"type": "about:blank", "title": "Not found", "status": 404},
                              headers={"content-type": "application/problem+json"})


class Services(httpx.AsyncBaseTransport):
    """The services behind the portal, each a running app in memory, by the URL the portal's settings give it."""

    def __init__(self, settings: Any, apps: dict[str, Any]) -> None:
        self.routes = [(PortalSettings().service_url(name).rstrip("/"), httpx.ASGITransport(app=app))
                       for name, app in apps.items()]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        for base, transport in self.routes:
            if url.startswith(base):
                return await transport.handle_async_request(request)
        return await NoService().handle_async_request(request)


# Pages over one object of a tenant, with real registration and billing services behind the portal: what the
# service answers decides (its own row in the matrix), and the portal shows it — a page of another tenant's
# object is "not found", a wrong role "forbidden", and a visitor without a cookie is sent to log in.
# The organizer's billing pages are the portal's own gate: an exhibitor or a region is refused (403) before billing
# is asked.
exhibitor_or_organizer = may("exhibitor", "organizer", anonymous=303)
OBJECT_PAGES = [
    Call("GET", "/registrations/{registration_id}", exhibitor_or_organizer.but(wrong_role=404)),
    Call("GET", "/registrations/{registration_id}/state", exhibitor_or_organizer.but(wrong_role=404)),
    Call("GET", "/invoices/{invoice_id}", exhibitor_or_organizer),
    Call("GET", "/invoices/{invoice_id}.pdf", exhibitor_or_organizer),
    Call("GET", "/organizer/billing/invoices/{invoice_id}", may("organizer", anonymous=303)),
    Call("GET", "/organizer/billing/invoices/{invoice_id}.pdf", may("organizer", anonymous=303)),
    # The review page: the portal's gate for the role, the registration service for the tenant.
    Call("GET", "/organizer/registrations/{registration_id}", may("organizer", anonymous=303)),
    # A document's file, relayed: its exhibitor, the fair's organizers and admins; a regional centre is refused
    # for its role, another tenant finds nothing.
    Call("GET", "/registrations/{registration_id}/documents/{document_id}", exhibitor_or_organizer),
]
