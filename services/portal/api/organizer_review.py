"""The organizer's review of one registration: the exhibitor's profile, the registration, its priority score with
every reason, its history in words and the decisions, in one place. The registration API decides who may see it
(the organizers of the fair's centre, admins): its 403/404 are shown as pages."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from services.portal.adapters.backend import Backend, items
from services.portal.api.deps import backend, organizer_session
from services.portal.api.views import render
from services.portal.domain.display import REGISTRATION_STATES
from services.portal.domain.documents import doc_types, document_rows
from services.portal.domain.errors import ServiceProblem, checked_id
from services.portal.domain.exhibitor_forms import GROUPS, LEVELS
from services.portal.domain.forms import FormErrors
from services.portal.domain.registration_history import history
from services.portal.service.parts import optional
from shared.contracts.registration import EXHIBITOR_KIND_LABELS
from shared.reference import geo

BackendDep = Annotated[Backend, Depends(backend)]

review_pages = APIRouter(prefix="/organizer", tags=["organizer pages"], include_in_schema=False)

# The decisions' reason fields, by action: each has its own id on the page.
REASON_FIELDS = {"reject": "reject_reason", "request-changes": "changes_reason"}
DECIDABLE = ("submitted", "changes_requested", "waitlisted")
LIVE = ("submitted", "changes_requested", "waitlisted", "approved")
OUTCOMES: dict[str, tuple[str, str]] = {
    "approved": ("Đã duyệt hồ sơ.", "The registration was approved."),
    "waitlisted": ("Hội chợ hết gian trống: hồ sơ được đưa vào danh sách chờ.",
                   "The fair is full: the registration was put on the waiting list."),
    "rejected": ("Đã từ chối hồ sơ.", "The registration was rejected."),
    "changes_requested": ("Đã gửi yêu cầu bổ sung cho doanh nghiệp.", "The exhibitor was asked for changes."),
    "document_accepted": ("Đã chấp nhận giấy tờ.", "The document was accepted."),
    "document_asked": ("Đã yêu cầu doanh nghiệp nộp bản mới.", "The exhibitor was asked for a new document."),
}


@review_pages.get("/registrations/{registration_id}", response_class=HTMLResponse,
                  summary="Review one registration: profile, score and reasons, history, decisions (organizer)")
async def read_review(request: Request, registration_id: str, api: BackendDep, result: str | None = None) -> Response:
    _, token = organizer_session(request)
    return await review_page(request, api, token, checked_id(registration_id), notice=OUTCOMES.get(result or ""))


def _commune(code: Any) -> str:
    try:
        return geo.commune(str(code)).full_name if code else "—"
    except (KeyError, LookupError):
        return str(code)


def _products(exhibitor: dict[str, Any] | None, named: list[str]) -> list[dict[str, Any]]:
    """The profile's products, each with its group and recognition in words and whether the registration names
    it (a recognised product earns its points only when named)."""
    groups = {code: (vi, en) for code, vi, en in GROUPS}
    levels = {code: (vi, en) for code, vi, en in LEVELS}
    wanted = {n.strip().casefold() for n in named}
    rows = []
    for product in (exhibitor or {}).get("products") or []:
        if not isinstance(product, dict):
            continue
        recognition = product.get("recognition") if isinstance(product.get("recognition"), dict) else None
        rows.append({
            "name": str(product.get("name") or ""),
            "group": groups.get(str(product.get("group")), ("Khác", "Other")),
            "recognition": None if recognition is None else {
                "level": levels.get(str(recognition.get("level")), ("—", "—")),
                "certificate_no": recognition.get("certificate_no") or "", "year": recognition.get("year")},
            "named": str(product.get("name") or "").strip().casefold() in wanted})
    return rows


async def review_page(request: Request, api: Backend, token: str, registration_id: str, *,
                      errors: FormErrors | None = None, form: dict[str, str] | None = None,
                      notice: tuple[str, str] | None = None, status_code: int = 200) -> Response:
    """The review page (also shown again with a decision's errors next to its fields)."""
    registration = await api.get("registration", f"/registrations/{registration_id}", token=token)
    fair_id = checked_id(str(registration.get("fair_id")))
    exhibitor_id = checked_id(str(registration.get("exhibitor_id")))
    fair, exhibitor, audit, assignments, standing, catalogue = await asyncio.gather(
        optional(api.get("registration", f"/fairs/{fair_id}", token=token), "fair"),
        optional(api.get("registration", f"/exhibitors/{exhibitor_id}", token=token), "exhibitor"),
        optional(api.get("registration", f"/fairs/{fair_id}/audit", token=token,
                         params={"registration_id": registration_id}), "audit"),
        optional(api.get("booths", f"/fairs/{fair_id}/assignments", token=token), "assignments"),
        optional(api.get("registration", f"/registrations/{registration_id}/documents", token=token), "documents"),
        optional(api.get("registration", "/document-types", token=None), "document types"))
    types = doc_types(catalogue)
    required, other_documents = document_rows(types, standing)
    labels = {d.code: d.label for d in types}
    booths = next((a.get("booth_codes") or [] for a in items(assignments)
                   if a.get("registration_id") == registration_id and not a.get("released_at")), [])
    profile = exhibitor if isinstance(exhibitor, dict) else None
    status = str(registration.get("status") or "")
    return render(request, "organizer/review.html", {
        "registration": registration, "fair": fair if isinstance(fair, dict) else None, "exhibitor": profile,
        "kind": EXHIBITOR_KIND_LABELS.get(str((profile or {}).get("kind")), ("—", "—")),
        "commune": _commune((profile or {}).get("commune_code")),
        "products": _products(profile, list(registration.get("products") or [])),
        "state": REGISTRATION_STATES.get(status, (status, status)), "booths": booths,
        "reasons": registration.get("priority_reasons") or [], "history": history(audit, registration_id, labels),
        "can_decide": status in DECIDABLE, "errors": errors or FormErrors(), "form": form or {},
        "documents_read": standing is not None, "required_documents": required,
        "other_documents": other_documents, "can_review_documents": status in LIVE,
        "outstanding": [r for r in required if r["state"] != "accepted"],
        "notice": notice}, status_code=status_code)


def decision_errors(action: str, problem: ServiceProblem | None = None) -> FormErrors:
    """A decision's refusal on the review page: the reason's message next to that decision's reason field."""
    field = REASON_FIELDS.get(action, "reason")
    if problem is None:
        errors = FormErrors(title="Chưa ghi quyết định", title_en="The decision was not recorded")
        errors.add(field, "Vui lòng ghi lý do.", "A reason is required.")
        return errors
    errors = FormErrors.from_problem(problem, ("reason",))
    if "reason" in errors.fields:
        errors.fields[field] = errors.fields.pop("reason")
    return errors
