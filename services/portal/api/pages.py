"""Pages everyone uses: the fairs, a fair with its registration form, a registration, an invoice."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from services.portal.adapters.backend import Backend, items
from services.portal.api.deps import backend
from services.portal.api.session import token_of, viewer
from services.portal.api.views import render
from services.portal.domain.display import BANKS, LOCAL_TZ
from services.portal.domain.documents import doc_types, document_rows
from services.portal.domain.errors import NotAuthenticated, ServiceProblem, ServiceUnavailable, checked_id, is_id
from services.portal.domain.forms import REGISTRATION_FIELDS, FormErrors, registration_body
from services.portal.domain.product_picks import ProductChoice, registered_products
from services.portal.service.invoice_booths import invoice_booths
from services.portal.service.invoices import invoices_of_registration
from services.portal.service.parts import optional
from services.portal.service.product_picks import profile_products
from shared.auth import Role

log = structlog.get_logger()

BackendDep = Annotated[Backend, Depends(backend)]

pages = APIRouter(tags=["pages"], include_in_schema=False)


def required_token(request: Request) -> str:
    """The user's token; without one the user is sent to log in."""
    token = token_of(request)
    if not token:
        raise NotAuthenticated
    return token


@pages.get("/", response_class=HTMLResponse, summary="Open fairs (anyone)")
async def read_home(request: Request, api: BackendDep) -> Response:
    # Asked anonymously: the public list is the same for everyone (an organizer's token would list only its
    # own centre's fairs; that list is its dashboard's).
    fairs = items(await api.get("registration", "/fairs", token=None, params={"status": "open"}))
    principal = viewer(request)
    is_organizer = principal is not None and principal.role in (Role.ORGANIZER, Role.ADMIN)
    return render(request, "index.html", {"fairs": fairs, "is_organizer": is_organizer})


@pages.get("/fairs/{fair_id}", response_class=HTMLResponse, summary="A fair; exhibitors get the form")
async def read_fair(request: Request, fair_id: str, api: BackendDep) -> Response:
    return await _fair_page(request, api, checked_id(fair_id))


async def _fair_page(request: Request, api: Backend, fair_id: str, *, errors: FormErrors | None = None,
                     form: dict[str, str] | None = None, picked: list[str] | None = None,
                     status_code: int = 200) -> Response:
    fair = await api.get("registration", f"/fairs/{fair_id}", token=token_of(request))
    principal = viewer(request)
    can_register = (principal is not None and principal.role is Role.EXHIBITOR
                    and fair.get("status") == "open")
    choices = await _choices(api, request) if can_register else []
    return render(request, "fair.html", {"fair": fair, "can_register": can_register, "errors": errors or FormErrors(),
                                         "form": form or {"booths_requested": "1"}, "choices": choices,
                                         "picked": picked or []}, status_code=status_code)


@pages.post("/fairs/{fair_id}/register", summary="Submit the exhibitor's registration (exhibitor)")
async def register_for_fair(request: Request, fair_id: str, api: BackendDep) -> Response:
    fair_id = checked_id(fair_id)
    token = required_token(request)
    posted = await request.form()
    form = {k: v for k, v in posted.items() if isinstance(v, str)}
    picked = [v for v in posted.getlist("product_pick") if isinstance(v, str)]
    body, errors = registration_body(form)
    body["products"] = registered_products(picked, body["products"], await _choices(api, request))
    if errors:
        return await _fair_page(request, api, fair_id, errors=errors, form=form, picked=picked, status_code=422)
    try:
        registration = await api.post("registration", f"/fairs/{fair_id}/registrations", token=token, json=body)
    except ServiceProblem as problem:
        if problem.status not in (409, 422):
            raise
        errors = FormErrors.from_problem(problem, REGISTRATION_FIELDS)
        return await _fair_page(request, api, fair_id, errors=errors, form=form, picked=picked,
                                status_code=problem.status)
    log.info("portal.registration_submitted", fair_id=fair_id, registration_id=registration.get("id"))
    return RedirectResponse(f"/registrations/{checked_id(str(registration.get('id')))}", status_code=303)


async def _choices(api: Backend, request: Request) -> list[ProductChoice]:
    principal = viewer(request)
    exhibitor_id = principal.exhibitor_id if principal is not None and principal.role is Role.EXHIBITOR else None
    return await profile_products(api, token_of(request), exhibitor_id)


PLACEHOLDER_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 360 60" role="img" aria-label="{text}">'
    '<rect width="360" height="60" fill="#f3f4f6"/>'
    '<text x="180" y="36" font-family="sans-serif" font-size="14" text-anchor="middle" fill="#374151">'
    "{text}</text></svg>")
SVG_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
               "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}


@pages.get("/fairs/{fair_id}/floorplan.svg", summary="The fair's floor plan, from the booths service (anyone)")
async def read_floorplan(request: Request, fair_id: str, api: BackendDep) -> Response:
    fair_id = checked_id(fair_id)
    try:
        answer = await api.get_raw("booths", f"/fairs/{fair_id}/floorplan.svg", token=token_of(request))
        return Response(answer.content, media_type="image/svg+xml", headers=SVG_HEADERS)
    except ServiceProblem as problem:
        status, text = problem.status, "Chưa có sơ đồ gian hàng"
    except ServiceUnavailable:
        status, text = 502, "Sơ đồ gian hàng tạm thời không tải được"
    except NotAuthenticated:
        status, text = 401, "Đăng nhập để xem sơ đồ gian hàng"
    # An image tag shows an image even with an error status, so the page stays readable.
    return Response(PLACEHOLDER_SVG.format(text=text), status_code=status, media_type="image/svg+xml",
                    headers=SVG_HEADERS)


@pages.get("/registrations/{registration_id}", response_class=HTMLResponse,
           summary="A registration and its invoice (its exhibitor, the organizer)")
async def read_registration(request: Request, registration_id: str, api: BackendDep,
                            done: str | None = None, upload: str | None = None) -> Response:
    token = required_token(request)
    chosen = {"doc_type": upload} if upload and upload.replace("_", "").isalpha() and len(upload) <= 60 else None
    return await registration_page(request, api, token, checked_id(registration_id), done=done, upload_form=chosen)


async def registration_page(request: Request, api: Backend, token: str, registration_id: str, *,
                            done: str | None = None, upload_errors: FormErrors | None = None,
                            upload_form: dict[str, str] | None = None, status_code: int = 200) -> Response:
    """A registration's page (also shown again with an upload's errors next to its fields)."""
    registration = await api.get("registration", f"/registrations/{checked_id(registration_id)}", token=token)
    fair_id = checked_id(str(registration.get("fair_id")))
    fair, invoices, assignments, standing, catalogue = await asyncio.gather(
        optional(api.get("registration", f"/fairs/{fair_id}", token=token), "fair"),
        invoices_of_registration(api, token, registration),
        optional(api.get("booths", f"/fairs/{fair_id}/assignments", token=token), "assignments"),
        optional(api.get("registration", f"/registrations/{registration_id}/documents", token=token), "documents"),
        optional(api.get("registration", "/document-types", token=None), "document types"))
    booths = next((a.get("booth_codes") or [] for a in items(assignments)
                   if a.get("registration_id") == registration.get("id") and not a.get("released_at")), [])
    principal = viewer(request)
    is_exhibitor = principal is not None and principal.role is Role.EXHIBITOR
    deadline = _when(fair.get("cancellation_deadline")) if isinstance(fair, dict) else None
    can_cancel = (is_exhibitor and registration.get("status") in LIVE_STATUSES
                  and (deadline is None or deadline > datetime.now(UTC)))
    can_pick = (is_exhibitor and registration.get("status") == "approved" and not booths
                and isinstance(fair, dict) and fair.get("allocation_mode") == "exhibitor_picks")
    types = doc_types(catalogue)
    required, other_documents = document_rows(types, standing)
    return render(request, "registration.html", {
        "registration": registration, "fair": fair, "invoices": invoices, "booths": booths,
        "can_cancel": can_cancel, "can_pick": can_pick, "is_exhibitor": is_exhibitor,
        "watch": registration.get("status") in WAITING_STATUSES,
        "watch_every_ms": int(request.app.state.portal.watch_interval_s * 1000),
        "can_resubmit": is_exhibitor and registration.get("status") == "changes_requested",
        "documents_read": standing is not None, "required_documents": required, "other_documents": other_documents,
        "doc_types": types, "can_upload": is_exhibitor and registration.get("status") in LIVE_STATUSES,
        "upload_errors": upload_errors or FormErrors(), "upload_form": upload_form or {},
        "done": done if done in ("cancelled", "resubmitted", "uploaded") else None}, status_code=status_code)


LIVE_STATUSES = ("submitted", "approved", "waitlisted", "changes_requested")
WAITING_STATUSES = ("submitted", "waitlisted")  # the page watches these for the organizer's decision


@pages.get("/registrations/{registration_id}/state", summary="A registration's state, for its page's watcher")
async def read_registration_state(request: Request, registration_id: str, api: BackendDep) -> Response:
    token = required_token(request)
    registration = await api.get("registration", f"/registrations/{checked_id(registration_id)}", token=token)
    position = registration.get("waitlist_position")
    return JSONResponse({"status": str(registration.get("status") or ""),
                         "waitlist_position": position if isinstance(position, int) else None},
                        headers={"Cache-Control": "no-store"})


def _when(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# Declared before /invoices/{invoice_id}; the id check would refuse "x.pdf" anyway.
@pages.get("/invoices/{invoice_id}.pdf", summary="The invoice as PDF, from billing (its exhibitor, the organizer)")
async def read_invoice_pdf(request: Request, invoice_id: str, api: BackendDep) -> Response:
    answer = await api.get_raw("billing", f"/invoices/{checked_id(invoice_id)}.pdf", token=required_token(request))
    if not answer.content.startswith(b"%PDF"):
        log.warning("portal.pdf_not_pdf", invoice_id=invoice_id)
        raise ServiceUnavailable("billing", "answer is not a PDF")
    disposition = answer.headers.get("content-disposition") or f'attachment; filename="hoa-don-{invoice_id}.pdf"'
    return Response(answer.content, media_type="application/pdf", headers={
        "Content-Disposition": disposition.replace("inline", "attachment", 1), "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store"})


@pages.get("/invoices/{invoice_id}", response_class=HTMLResponse,
           summary="A printable invoice (its exhibitor, the organizer)")
async def read_invoice(request: Request, invoice_id: str, api: BackendDep) -> Response:
    token = required_token(request)
    invoice_id = checked_id(invoice_id)
    invoice = await api.get("billing", f"/invoices/{invoice_id}", token=token)
    principal = viewer(request)
    owes = isinstance(invoice.get("outstanding_vnd"), int) and invoice["outstanding_vnd"] > 0
    payment: dict[str, Any] | None = None
    qr_image: str | None = None
    unpublished = False  # billing said the centre has no account (not: billing could not be asked)
    if principal is not None and principal.role is Role.EXHIBITOR and owes:
        try:
            payment = await api.get("billing", f"/invoices/{invoice_id}/vietqr", token=token)
        except ServiceProblem as problem:
            unpublished = problem.status == 409
            log.info("portal.part_missing", part="vietqr", error=str(problem))
        except ServiceUnavailable as exc:
            log.info("portal.part_missing", part="vietqr", error=str(exc))
        svg = str(payment.get("svg") or "") if isinstance(payment, dict) else ""
        if svg.lstrip().startswith(("<svg", "<?xml")):
            qr_image = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    return render(request, "invoice.html", {
        **await invoice_booths(api, token, invoice),
        "invoice": invoice, "owes": owes, "payment": payment if isinstance(payment, dict) else None,
        "qr_image": qr_image, "unpublished": unpublished,
        "is_exhibitor": principal is not None and principal.role is Role.EXHIBITOR,
        "bank_name": BANKS.get(str(payment.get("bank_bin"))) if isinstance(payment, dict) else None})


@pages.get("/market-sessions", response_class=HTMLResponse, summary="Scheduled market sessions (anyone)")
async def read_market_sessions(request: Request, api: BackendDep) -> Response:
    token = token_of(request)
    programmes = await optional(api.get("markets", "/programmes", token=token), "programmes")
    rows = [p for p in items(programmes) if is_id(str(p.get("id")))][:20]
    sessions = await asyncio.gather(*(optional(api.get("markets", f"/programmes/{p['id']}/sessions", token=token),
                                               "sessions") for p in rows))
    today = datetime.now(LOCAL_TZ).date().isoformat()
    listed = [(p, [s for s in items(page) if s.get("status") == "scheduled" and str(s.get("ends_on")) >= today])
              for p, page in zip(rows, sessions, strict=True)]
    return render(request, "exhibitor/markets.html", {
        "programmes": [(p, upcoming) for p, upcoming in listed if upcoming], "unavailable": programmes is None})
