"""The organizer's pages: the centre's fairs, creating and moving a fair along its lifecycle, the review queue
(filter, priority with its reasons, approve / reject / ask to resubmit, bulk decisions, waitlist), the audit
logs and the registration service's exports. The floor plan pages are in organizer_floor.py."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.adapters.backend import Backend, items
from services.portal.api.deps import backend, form_of, organizer_session, page_context
from services.portal.api.organizer_floor import floor
from services.portal.api.organizer_review import REASON_FIELDS, decision_errors, review_page
from services.portal.api.views import render
from services.portal.domain.display import REGISTRATION_STATES
from services.portal.domain.documents import queue_documents
from services.portal.domain.errors import PortalError, ServiceProblem, checked_id, is_id
from services.portal.domain.forms import FormErrors, split_title
from services.portal.domain.organizer_forms import (
    ALLOCATION_MODES,
    FAIR_FIELDS,
    FAIR_KINDS,
    FAIR_LABELS,
    LOCAL_TZ,
    fair_body,
    fair_problem,
    province_options,
)
from services.portal.service.dashboard import organizer_dashboard
from services.portal.service.exhibitors import exhibitor_names
from services.portal.service.parts import optional
from shared.contracts.registration import EXHIBITOR_KIND_LABELS

log = structlog.get_logger()

BackendDep = Annotated[Backend, Depends(backend)]

organizer = APIRouter(prefix="/organizer", tags=["organizer pages"], include_in_schema=False)
organizer.include_router(floor)  # the floor plan pages share the /organizer prefix

# What the page says after a decision, by its outcome (Vietnamese, English).
OUTCOMES: dict[str, tuple[str, str]] = {
    "approved": ("Đã duyệt hồ sơ.", "Registration approved."),
    "waitlisted": ("Hội chợ đã hết gian: hồ sơ được đưa vào danh sách chờ.",
                   "The fair is full: the registration was waitlisted."),
    "rejected": ("Đã từ chối hồ sơ.", "Registration rejected."),
    "changes_requested": ("Đã yêu cầu doanh nghiệp bổ sung hồ sơ.", "The exhibitor was asked to resubmit."),
    "bulk": ("Đã xử lý các hồ sơ đã chọn.", "The selected registrations were processed."),
    "created": ("Đã tạo hội chợ (bản nháp). Kiểm tra rồi công bố để nhận đăng ký.",
                "Fair created as a draft. Check it, then publish it to open registration."),
    "open": ("Hội chợ đang nhận đăng ký.", "The fair is open for registration."),
    "closed": ("Đã đóng đăng ký.", "Registration closed."),
    "running": ("Hội chợ đang diễn ra.", "The fair is running."),
    "finished": ("Hội chợ đã kết thúc.", "The fair is finished."),
    "cancelled": ("Đã hủy hội chợ.", "The fair was cancelled."),
}
# The lifecycle moves (docs/registration.md) the fair page offers, by the fair's status.
MOVES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "draft": (("publish", "Công bố, mở nhận đăng ký", "Publish and open registration"),),
    "open": (("close", "Đóng đăng ký", "Close registration"),),
    "closed": (("reopen", "Mở lại đăng ký", "Reopen registration"), ("start", "Khai mạc", "Start the fair")),
    "running": (("finish", "Kết thúc hội chợ", "Finish the fair"),),
}
CANCELLABLE = ("draft", "open", "closed")
DECIDABLE = ("submitted", "waitlisted", "changes_requested")


# ---- dashboard ---------------------------------------------------------------------------------------------

@organizer.get("", response_class=HTMLResponse, summary="The centre's fairs and programmes (organizer)")
async def read_organizer_home(request: Request, api: BackendDep) -> Response:
    principal, token = organizer_session(request)
    dashboard = await organizer_dashboard(api, token, principal, today=datetime.now(LOCAL_TZ).date())
    return render(request, "organizer/home.html", page_context(**dashboard))


# ---- creating a fair -------------------------------------------------------------------------------------

@organizer.get("/fairs/new", response_class=HTMLResponse, summary="The form of a new fair (organizer)")
async def read_new_fair(request: Request) -> Response:
    organizer_session(request)
    defaults = {"kind": "provincial", "allocation_mode": "automatic", "max_booths_per_exhibitor": "4",
                "booths_per_row": "10"}  # no province: a required choice is never pre-selected
    return _fair_form(request, defaults, FormErrors())


def _fair_form(request: Request, form: dict[str, str], errors: FormErrors, status_code: int = 200) -> Response:
    kinds = set(form.get("eligible_kinds", "").split("\n"))
    return render(request, "organizer/fair_new.html", page_context(
        form=form, errors=errors, fair_kinds=FAIR_KINDS, allocation_modes=ALLOCATION_MODES,
        exhibitor_kinds=EXHIBITOR_KIND_LABELS, chosen_kinds=kinds, provinces=province_options(), labels=FAIR_LABELS),
        status_code=status_code)


@organizer.post("/fairs", summary="Create a draft fair (organizer)")
async def create_fair(request: Request, api: BackendDep) -> Response:
    _, token = organizer_session(request)
    form = await form_of(request)
    body, errors = fair_body(form)
    if errors:
        return _fair_form(request, form, errors, status_code=422)
    try:
        fair = await api.post("registration", "/fairs", token=token, json=body)
    except ServiceProblem as problem:
        if problem.status not in (409, 422):
            raise
        return _fair_form(request, form, FormErrors.from_problem(fair_problem(problem), FAIR_FIELDS),
                          status_code=problem.status)
    log.info("portal.fair_created", fair_id=fair.get("id"))
    return RedirectResponse(f"/organizer/fairs/{checked_id(str(fair.get('id')))}?result=created", status_code=303)


# ---- a fair: its facts, lifecycle and review queue ------------------------------------------------------

PAGE_SIZE = 50  # rows of the review queue a page shows: a regional fair's 150+ stay under the page budget
ORDERS: dict[str, tuple[str, str]] = {
    "priority": ("Điểm ưu tiên cao trước", "Highest priority first"),
    "submitted": ("Nộp sớm trước", "Earliest submitted first"),
}


@dataclass(frozen=True)
class QueueView:
    """Which part of the review queue is shown: the status filter, the order and the page (from 1). Every link
    of the queue and every decision's redirect keep it, so a decision on page 3 of the waitlisted comes back
    there. The registration service lists a fair's registrations whole (no paging parameters): the portal
    pages them."""

    status: str | None = None
    order: str = "priority"
    page: int = 1

    @classmethod
    def of(cls, values: Mapping[str, Any], prefix: str = "") -> QueueView:
        """The view named by a query (`status`, `order`, `page`) or by a form's `back_…` fields; odd values ignored."""
        status, order = values.get(f"{prefix}status"), values.get(f"{prefix}order")
        raw = str(values.get(f"{prefix}page") or "1")
        page = int(raw) if raw.isdigit() and 0 < int(raw) < 10_000 else 1
        return cls(status if status in REGISTRATION_STATES else None, order if order in ORDERS else "priority", page)

    def pairs(self) -> list[tuple[str, str]]:
        """The query's pairs, defaults left out."""
        pairs = [("status", self.status or ""), ("order", "" if self.order == "priority" else self.order),
                 ("page", "" if self.page == 1 else str(self.page))]
        return [(k, v) for k, v in pairs if v]

    def query(self, **changes: Any) -> str:
        """`?status=…&order=…&page=…` of this view with some parts changed ("" when all are defaults)."""
        pairs = replace(self, **changes).pairs()
        return f"?{urlencode(pairs)}" if pairs else ""


def page_numbers(current: int, last: int) -> list[int | None]:
    """The pages the pager links to: all of a few, else the first, the last and two around the current
    (None where pages are left out)."""
    if last <= 9:
        return list(range(1, last + 1))
    wanted = {1, last, *range(max(1, current - 2), min(last, current + 2) + 1)}
    numbers: list[int | None] = []
    for n in sorted(wanted):
        if numbers and n - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(n)
    return numbers


@organizer.get("/fairs/{fair_id}", response_class=HTMLResponse, summary="A fair and its review queue (organizer)")
async def read_organizer_fair(request: Request, fair_id: str, api: BackendDep, result: str | None = None
                              ) -> Response:
    return await _fair_page(request, api, checked_id(fair_id), notice=OUTCOMES.get(result or ""),
                            view=QueueView.of(request.query_params), summary=_bulk_summary(request))


def _bulk_summary(request: Request) -> tuple[str, str] | None:
    """"2 duyệt, 1 chờ" after a bulk decision, read back from the redirect's query."""
    query = request.query_params
    if query.get("result") != "bulk":
        return None
    parts = [(query.get(k, ""), vi, en) for k, vi, en in (
        ("approved", "được duyệt", "approved"), ("waitlisted", "vào danh sách chờ", "waitlisted"),
        ("rejected", "bị từ chối", "rejected"))]
    shown = [(n, vi, en) for n, vi, en in parts if n.isdigit() and n != "0"]
    if not shown:
        return None
    return ("; ".join(f"{n} hồ sơ {vi}" for n, vi, _ in shown) + ".",
            "; ".join(f"{n} {en}" for n, _, en in shown) + ".")


async def _fair_page(request: Request, api: Backend, fair_id: str, *, notice: tuple[str, str] | None = None,
                     alert: ServiceProblem | None = None, view: QueueView | None = None,
                     summary: tuple[str, str] | None = None, status_code: int = 200) -> Response:
    _, token = organizer_session(request)
    view = view or QueueView()
    fair, page, tallies = await asyncio.gather(
        api.get("registration", f"/fairs/{fair_id}", token=token),
        api.get("registration", f"/fairs/{fair_id}/registrations", token=token, params={"order": view.order}),
        # How far each registration's required documents are: which rows the documents let be approved.
        optional(api.get("registration", f"/fairs/{fair_id}/document-tallies", token=token), "document tallies"))
    registrations = items(page)
    counts = Counter(str(r.get("status")) for r in registrations)
    matching = [r for r in registrations if view.status is None or r.get("status") == view.status]
    last = max(1, -(-len(matching) // PAGE_SIZE))
    view = replace(view, page=min(view.page, last))
    start = (view.page - 1) * PAGE_SIZE
    shown = matching[start:start + PAGE_SIZE]
    waitlist = sorted((r for r in registrations if r.get("status") == "waitlisted"),
                      key=lambda r: r.get("waitlist_position") or 10**9)
    # Names only for the rows on the page (and the waitlist), not the whole fair's: one call per exhibitor.
    names = await exhibitor_names(api, token, {str(r.get("exhibitor_id")) for r in [*shown, *waitlist]})
    status = str(fair.get("status"))
    return render(request, "organizer/fair.html", page_context(
        fair=fair, registrations=shown, total=len(registrations), matching=len(matching), first_row=start + 1,
        counts=counts, waitlist=waitlist, names=names, notice=notice, summary=summary, alert=_alert(alert),
        documents=queue_documents(tallies), documents_known=tallies is not None,
        view=view, status_filter=view.status, orders=ORDERS, last_page=last,
        pages=page_numbers(view.page, last), moves=MOVES.get(status, ()), cancellable=status in CANCELLABLE,
        decidable=DECIDABLE), status_code=status_code)


def _alert(problem: ServiceProblem | None) -> dict[str, Any] | None:
    if problem is None:
        return None
    vi, en = split_title(problem.title)
    errors = FormErrors.from_problem(problem, ())
    return {"title": vi, "title_en": en, "lines": errors.general}


@organizer.post("/fairs/{fair_id}/lifecycle/{move}", summary="Publish, close, reopen, start, finish or cancel")
async def move_fair(request: Request, fair_id: str, move: str, api: BackendDep) -> Response:
    _, token = organizer_session(request)
    fair_id = checked_id(fair_id)
    allowed = {m for moves in MOVES.values() for m, _, _ in moves} | {"cancel"}
    if move not in allowed:
        raise PortalError(404)
    form = await form_of(request)
    body = {"reason": form.get("reason", "").strip()} if move == "cancel" else None
    try:
        fair = await api.post("registration", f"/fairs/{fair_id}/{move}", token=token, json=body)
    except ServiceProblem as problem:
        if problem.status not in (409, 422):
            raise
        return await _fair_page(request, api, fair_id, alert=problem, status_code=problem.status)
    log.info("portal.fair_moved", fair_id=fair_id, move=move, status=fair.get("status"))
    return RedirectResponse(f"/organizer/fairs/{fair_id}?result={fair.get('status')}", status_code=303)


# ---- decisions ------------------------------------------------------------------------------------------

@organizer.post("/registrations/{registration_id}/approve", summary="Approve a registration (organizer)")
async def approve_registration(request: Request, registration_id: str, api: BackendDep) -> Response:
    return await _decide(request, api, checked_id(registration_id), "approve", needs_reason=False)


@organizer.post("/registrations/{registration_id}/reject", summary="Reject a registration, with a reason")
async def reject_registration(request: Request, registration_id: str, api: BackendDep) -> Response:
    return await _decide(request, api, checked_id(registration_id), "reject", needs_reason=True)


@organizer.post("/registrations/{registration_id}/request-changes", summary="Ask the exhibitor to resubmit")
async def request_changes(request: Request, registration_id: str, api: BackendDep) -> Response:
    return await _decide(request, api, checked_id(registration_id), "request-changes", needs_reason=True)


async def _decide(request: Request, api: Backend, registration_id: str, action: str, *,
                  needs_reason: bool) -> Response:
    _, token = organizer_session(request)
    form = await form_of(request)
    if form.get("from") == "review":
        return await _decide_on_review(request, api, token, registration_id, action, form, needs_reason=needs_reason)
    fair_id = form.get("fair_id", "")
    view = QueueView.of(form, prefix="back_")
    body = None
    if needs_reason:
        reason = form.get("reason", "").strip()
        if not reason:
            if not is_id(fair_id):
                raise PortalError(422, "Vui lòng ghi lý do / A reason is required")
            return await _fair_page(request, api, fair_id, status_code=422, view=view, alert=ServiceProblem(
                422, "Vui lòng ghi lý do / A reason is required"))
        body = {"reason": reason}
    try:
        registration = await api.post("registration", f"/registrations/{registration_id}/{action}", token=token,
                                      json=body)
    except ServiceProblem as problem:
        if problem.status not in (409, 422) or not is_id(fair_id):
            raise
        return await _fair_page(request, api, fair_id, alert=problem, view=view, status_code=problem.status)
    log.info("portal.registration_decided", registration_id=registration_id, action=action,
             status=registration.get("status"))
    fair_id = checked_id(str(registration.get("fair_id")))
    query = urlencode([("result", str(registration.get("status"))), *view.pairs()])
    return RedirectResponse(f"/organizer/fairs/{fair_id}?{query}", status_code=303)


async def _decide_on_review(request: Request, api: Backend, token: str, registration_id: str, action: str,
                            form: dict[str, str], *, needs_reason: bool) -> Response:
    """A decision taken on the review page: its errors shown there, next to the decision's reason field."""
    reason = " ".join(form.get("reason", "").split())
    shown = {REASON_FIELDS[action]: form.get("reason", "")} if action in REASON_FIELDS else {}
    if needs_reason and not reason:
        return await review_page(request, api, token, registration_id, errors=decision_errors(action), form=shown,
                                 status_code=422)
    try:
        registration = await api.post("registration", f"/registrations/{registration_id}/{action}", token=token,
                                      json={"reason": reason} if needs_reason else None)
    except ServiceProblem as problem:
        if problem.status not in (409, 422):
            raise
        return await review_page(request, api, token, registration_id, errors=decision_errors(action, problem),
                                 form=shown, status_code=problem.status)
    log.info("portal.registration_decided", registration_id=registration_id, action=action,
             status=registration.get("status"), page="review")
    query = urlencode({"result": str(registration.get("status"))})
    return RedirectResponse(f"/organizer/registrations/{registration_id}?{query}", status_code=303)


@organizer.post("/fairs/{fair_id}/bulk", summary="Approve or reject the checked registrations together")
async def bulk_decide(request: Request, fair_id: str, api: BackendDep) -> Response:
    _, token = organizer_session(request)
    fair_id = checked_id(fair_id)
    form = await request.form()
    view = QueueView.of(form, prefix="back_")
    ids = [v for v in form.getlist("registration_ids") if isinstance(v, str) and is_id(v)]
    action = str(form.get("action") or "")
    reason = str(form.get("reason") or "").strip()
    if action not in ("approve", "reject"):
        raise PortalError(400)
    if not ids:
        return await _fair_page(request, api, fair_id, status_code=422, view=view, alert=ServiceProblem(
            422, "Chưa chọn hồ sơ nào / No registration selected"))
    if action == "reject" and not reason:
        return await _fair_page(request, api, fair_id, status_code=422, view=view, alert=ServiceProblem(
            422, "Vui lòng ghi lý do từ chối / A reason is required to reject"))
    body: dict[str, Any] = {"registration_ids": ids, **({"reason": reason} if action == "reject" else {})}
    try:
        page = await api.post("registration", f"/fairs/{fair_id}/registrations/{action}", token=token, json=body)
    except ServiceProblem as problem:
        if problem.status not in (404, 409, 422):
            raise
        return await _fair_page(request, api, fair_id, alert=problem, view=view, status_code=problem.status)
    outcome = Counter(str(r.get("status")) for r in items(page))
    log.info("portal.registrations_bulk", fair_id=fair_id, action=action, outcome=dict(outcome))
    query = urlencode([("result", "bulk"), *((k, str(outcome[k])) for k in ("approved", "waitlisted", "rejected")),
                       *view.pairs()])
    return RedirectResponse(f"/organizer/fairs/{fair_id}?{query}", status_code=303)


# ---- audit logs and exports -----------------------------------------------------------------------------

@organizer.get("/fairs/{fair_id}/audit", response_class=HTMLResponse, summary="The fair's audit logs (organizer)")
async def read_audit(request: Request, fair_id: str, api: BackendDep) -> Response:
    _, token = organizer_session(request)
    fair_id = checked_id(fair_id)
    fair, registration_log = await asyncio.gather(
        api.get("registration", f"/fairs/{fair_id}", token=token),
        api.get("registration", f"/fairs/{fair_id}/audit", token=token))
    booths_log = await optional(api.get("booths", f"/fairs/{fair_id}/audit", token=token), "booths audit")
    entries = list(reversed(items(registration_log)))  # newest first, like the booths log
    return render(request, "organizer/audit.html", page_context(
        fair=fair, registration_log=entries, booths_log=None if booths_log is None else items(booths_log)))


EXPORT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "csv": "text/csv; charset=utf-8"}


@organizer.get("/fairs/{fair_id}/registrations.{kind}", summary="The registration service's export (organizer)")
async def export_registrations(request: Request, fair_id: str, kind: str, api: BackendDep) -> Response:
    _, token = organizer_session(request)
    if kind not in EXPORT_TYPES:
        raise PortalError(404)
    answer = await api.get_raw("registration", f"/fairs/{checked_id(fair_id)}/registrations.{kind}", token=token)
    headers = {"Content-Disposition": answer.headers.get(
        "content-disposition", f'attachment; filename="dang-ky-{fair_id}.{kind}"'), "X-Content-Type-Options": "nosniff"}
    return Response(answer.content, media_type=EXPORT_TYPES[kind], headers=headers)

