"""The organizer's market-session planner: programmes, sites, suppliers, scheduler, results.

Everything is the markets service's (docs/markets.md): the portal turns forms into its JSON bodies, puts its
problem+json field errors next to the fields, and draws its proposals as calendars. The service decides who
may see what (another centre's programme answers 404, other roles 403); the portal also refuses other roles
up front and hides other centres' programmes, which the service lists publicly.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from services.portal.adapters.backend import Backend, items
from services.portal.api.deps import backend, organizer_session, plan_jobs
from services.portal.api.views import render
from services.portal.domain import markets_forms as forms
from services.portal.domain.errors import PortalError, ServiceProblem, checked_id
from services.portal.domain.forms import FormErrors
from services.portal.domain.markets_calendar import month_chart, month_grid
from services.portal.domain.markets_notices import notice_of, notice_query
from services.portal.service.markets_jobs import PlanJob, find_job, start_job
from services.portal.service.parts import optional
from shared.auth import Principal
from shared.reference import geo

log = structlog.get_logger()

BackendDep = Annotated[Backend, Depends(backend)]
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
HOME = "/organizer/markets"
SLOW_S = 30.0  # on top of the solver's own limit, for the HTTP call that waits for it
DEFAULT_LIMIT_S = 60.0  # the service's largest limit, when the organizer leaves it to the service
# Refusals a form shows above or next to its fields; the others (403, 404) become the error page.
FORM_STATUSES = (400, 409, 422)

markets_pages = APIRouter(prefix=HOME, tags=["markets pages"], include_in_schema=False)

PROPOSAL_STATUS = {"draft": ("Bản nháp", "Draft"), "confirmed": ("Đã xác nhận", "Confirmed"),
                   "superseded": ("Đã thay thế", "Superseded"), "discarded": ("Đã bỏ", "Discarded")}
ACTIONS = {"new": ("Phiên mới", "New"), "keep": ("Giữ nguyên", "Kept"), "move": ("Dời lịch", "Moved"),
           "cancel": ("Hủy", "Cancelled")}
BLOCKERS = {"calendar": ("Ngày chợ, ngày nghỉ lễ và thời gian cấm", "Market days, holidays and blackouts"),
            "site-gap": ("Khoảng cách tối thiểu giữa hai phiên tại một điểm", "Minimum gap at one site"),
            "teams": ("Số đoàn công tác đi cùng lúc", "Teams away at once"),
            "budget": ("Kinh phí", "Budget"), "pin": ("Phiên đã ghim", "Pinned sessions"),
            "combined": ("Các điều kiện cộng lại", "The rules together"),
            "unknown": ("Chưa xác định kịp", "Not determined in time")}
SOLVER_STATUS = {"optimal": ("tối ưu", "optimal"), "feasible": ("khả thi, chưa chứng minh tối ưu", "feasible")}
SESSION_STATUS = {"scheduled": ("Đã lên lịch", "Scheduled"), "cancelled": ("Đã hủy", "Cancelled")}


def today() -> date:
    """Today in Vietnam (the service decides what may be reported or cancelled by the same clock)."""
    return datetime.now(VIETNAM).date()


def owner_of(principal: Principal) -> str:
    """Who a background job belongs to."""
    return f"{principal.role.value}:{principal.subject}"


async def form_of(request: Request) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The posted form: single values, and the repeated ones (checkboxes) as lists."""
    data = await request.form()
    single = {k: v for k, v in data.items() if isinstance(v, str)}
    lists = {k: [v for v in data.getlist(k) if isinstance(v, str)] for k in data}
    return single, lists


def _refused(exc: ServiceProblem, fields: tuple[str, ...]) -> FormErrors:
    if exc.status not in FORM_STATUSES:
        raise exc
    return FormErrors.from_problem(exc, fields)


async def own_programme(api: Backend, token: str, principal: Principal, programme_id: str) -> dict[str, Any]:
    """A programme of the organizer's centre; another centre's is not found (the service reads it publicly)."""
    programme: dict[str, Any] = await api.get("markets", f"/programmes/{checked_id(programme_id)}", token=token)
    if not principal.is_admin() and programme.get("centre_id") != principal.centre_id:
        raise PortalError(404, "Không tìm thấy chương trình / Programme not found")
    return programme


def _back(path: str, notice: str, *counts: int) -> RedirectResponse:
    return RedirectResponse(path + notice_query(notice, *counts), status_code=303)


# Programmes ------------------------------------------------------------------------------------------


@markets_pages.get("", response_class=HTMLResponse, summary="The centre's market programmes (organizer)")
async def read_programmes(request: Request, api: BackendDep) -> Response:
    principal, token = organizer_session(request)
    rows = items(await api.get("markets", "/programmes", token=token))
    own = [p for p in rows if principal.is_admin() or p.get("centre_id") == principal.centre_id]
    own.sort(key=lambda p: (-int(p.get("year") or 0), str(p.get("name"))))
    return render(request, "markets/programmes.html", {"programmes": own})


def _programme_form(request: Request, form: dict[str, str], errors: FormErrors, status: int = 200) -> Response:
    return render(request, "markets/programme_new.html", {
        "form": form, "errors": errors, "provinces": geo.provinces()}, status_code=status)


@markets_pages.get("/new", response_class=HTMLResponse, summary="Form: a new programme (organizer)")
async def read_programme_form(request: Request) -> Response:
    organizer_session(request)
    now = today()
    year = now.year + 1 if now.month >= 10 else now.year
    return _programme_form(request, {"year": str(year), "target_sessions": "22", "session_days": "3",
                                     "booth_quota": "25", "enterprise_quota": "12", "min_gap_days": "60",
                                     "max_concurrent": "1"}, FormErrors())


@markets_pages.post("/new", summary="Create a programme (organizer)")
async def create_programme(request: Request, api: BackendDep) -> Response:
    _, token = organizer_session(request)
    form, _ = await form_of(request)
    body, errors = forms.programme_body(form)
    if errors:
        return _programme_form(request, form, errors, 422)
    try:
        programme = await api.post("markets", "/programmes", token=token, json=body)
    except ServiceProblem as exc:
        return _programme_form(request, form, _refused(exc, forms.PROGRAMME_FIELDS), exc.status)
    log.info("portal.programme_created", programme_id=programme.get("id"))
    return _back(f"{HOME}/{checked_id(str(programme.get('id')))}", "programme-created")


@markets_pages.get("/{programme_id}", response_class=HTMLResponse, summary="A programme and its year (organizer)")
async def read_programme(request: Request, programme_id: str, api: BackendDep,
                         notice: str | None = None, n: str | None = None) -> Response:
    return await _programme_page(request, api, programme_id, notice=notice_of(notice, n))


async def _programme_page(request: Request, api: Backend, programme_id: str, *,
                          notice: tuple[str, str] | None = None, errors: FormErrors | None = None,
                          form: dict[str, str] | None = None, status: int = 200) -> Response:
    principal, token = organizer_session(request)
    programme = await own_programme(api, token, principal, programme_id)
    pid = programme["id"]
    summary, proposals = await asyncio.gather(
        optional(api.get("markets", f"/programmes/{pid}/summary", token=token), "summary"),
        optional(api.get("markets", f"/programmes/{pid}/proposals", token=token), "proposals"))
    sessions = [s for s in programme.get("sessions", []) if isinstance(s, dict)]
    held_ids = await _reported(api, token, sessions)
    return render(request, "markets/programme.html", {
        "programme": programme, "summary": summary or {}, "sessions": sessions, "held_ids": held_ids,
        "drafts": [p for p in items(proposals or {}) if p.get("status") == "draft"],
        "chart": month_chart(sessions, held_ids, int(programme.get("year") or today().year)),
        "today": today().isoformat(), "notice": notice, "session_status": SESSION_STATUS,
        "confirmed": any(s.get("status") == "scheduled" for s in sessions), "errors": errors or FormErrors(),
        "form": form or {"time_limit_s": "10"}}, status_code=status)


async def _reported(api: Backend, token: str, sessions: list[dict[str, Any]]) -> set[str]:
    """The ids of the sessions that have results (only sessions already started can have them)."""
    now = today().isoformat()
    started = [str(s["id"]) for s in sessions
               if s.get("status") == "scheduled" and str(s.get("starts_on")) <= now and checked_ok(s.get("id"))]
    reports = await asyncio.gather(*(optional(api.get("markets", f"/sessions/{sid}/report", token=token), "report")
                                     for sid in started))
    return {sid for sid, report in zip(started, reports, strict=True) if isinstance(report, dict)}


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def checked_ok(value: Any) -> bool:
    """Whether an id from a service may go into another URL."""
    try:
        checked_id(str(value))
    except PortalError:
        return False
    return True


# Sites -----------------------------------------------------------------------------------------------


async def _sites_page(request: Request, api: BackendDep, programme_id: str, *, form: dict[str, str] | None = None,
                      lists: dict[str, list[str]] | None = None, errors: FormErrors | None = None,
                      import_text: str = "", import_errors: FormErrors | None = None, status: int = 200,
                      notice: str | None = None, n: str | None = None) -> Response:
    principal, token = organizer_session(request)
    programme = await own_programme(api, token, principal, programme_id)
    sites = items(await api.get("markets", f"/programmes/{programme['id']}/sites", token=token))
    try:
        communes = geo.communes(str(programme.get("province_code")))
    except (KeyError, LookupError):
        communes = []
    taken = {s.get("commune_code") for s in sites}
    return render(request, "markets/sites.html", {
        "programme": programme, "sites": sites, "communes": communes, "taken": taken,
        "form": form or {"market_kind": "weekday", "capacity_booths": str(programme.get("booth_quota") or ""),
                         "mountain": "on"},
        "lists": lists or {}, "errors": errors or FormErrors(), "import_text": import_text,
        "import_errors": import_errors or FormErrors(), "branches": forms.BRANCHES, "weekdays": forms.WEEKDAYS,
        "notice": notice_of(notice, n)}, status_code=status)


@markets_pages.get("/{programme_id}/sites", response_class=HTMLResponse, summary="A programme's sites (organizer)")
async def read_sites(request: Request, programme_id: str, api: BackendDep, notice: str | None = None,
                     n: str | None = None) -> Response:
    return await _sites_page(request, api, programme_id, notice=notice, n=n)


@markets_pages.post("/{programme_id}/sites", summary="Add a site (organizer)")
async def create_site(request: Request, programme_id: str, api: BackendDep) -> Response:
    principal, token = organizer_session(request)
    programme = await own_programme(api, token, principal, programme_id)
    form, lists = await form_of(request)
    body, errors = forms.site_body(form, lists)
    if not errors:
        try:
            await api.post("markets", f"/programmes/{programme['id']}/sites", token=token, json=body)
        except ServiceProblem as exc:
            errors = _refused(exc, forms.SITE_FIELDS)
    if errors:
        return await _sites_page(request, api, programme_id, form=form, lists=lists, errors=errors, status=422)
    return _back(f"{HOME}/{programme['id']}/sites", "site-added")


@markets_pages.post("/{programme_id}/sites/import", summary="Import many sites at once (organizer)")
async def import_sites(request: Request, programme_id: str, api: BackendDep) -> Response:
    principal, token = organizer_session(request)
    programme = await own_programme(api, token, principal, programme_id)
    form, _ = await form_of(request)
    text = form.get("lines", "")
    body, errors = forms.import_body(text)
    if not body["sites"] and not errors:
        errors.title, errors.title_en = "Chưa có dòng nào", "No lines given"
    if not errors:
        try:
            done = await api.post("markets", f"/programmes/{programme['id']}/sites/import", token=token, json=body)
        except ServiceProblem as exc:
            if exc.status not in FORM_STATUSES:
                raise
            errors = forms.import_problem(exc)
        else:
            return _back(f"{HOME}/{programme['id']}/sites", "sites-imported", _count(done.get("count")))
    return await _sites_page(request, api, programme_id, import_text=text, import_errors=errors, status=422)


# Suppliers -------------------------------------------------------------------------------------------


async def _suppliers_page(request: Request, api: BackendDep, programme_id: str, *,
                          form: dict[str, str] | None = None, errors: FormErrors | None = None,
                          status: int = 200, notice: str | None = None, n: str | None = None) -> Response:
    principal, token = organizer_session(request)
    programme = await own_programme(api, token, principal, programme_id)
    suppliers = items(await api.get("markets", f"/programmes/{programme['id']}/suppliers", token=token))
    return render(request, "markets/suppliers.html", {
        "programme": programme, "suppliers": suppliers, "form": form or {"kind": "cooperative"},
        "errors": errors or FormErrors(), "kinds": forms.SUPPLIER_KINDS, "notice": notice_of(notice, n)},
        status_code=status)


@markets_pages.get("/{programme_id}/suppliers", response_class=HTMLResponse,
                   summary="A programme's suppliers (organizer)")
async def read_suppliers(request: Request, programme_id: str, api: BackendDep,
                         notice: str | None = None, n: str | None = None) -> Response:
    return await _suppliers_page(request, api, programme_id, notice=notice, n=n)


@markets_pages.post("/{programme_id}/suppliers", summary="Enrol a supplier (organizer)")
async def create_supplier(request: Request, programme_id: str, api: BackendDep) -> Response:
    principal, token = organizer_session(request)
    programme = await own_programme(api, token, principal, programme_id)
    form, _ = await form_of(request)
    body, errors = forms.supplier_body(form)
    if not errors:
        try:
            await api.post("markets", f"/programmes/{programme['id']}/suppliers", token=token, json=body)
        except ServiceProblem as exc:
            errors = _refused(exc, forms.SUPPLIER_FIELDS)
    if errors:
        return await _suppliers_page(request, api, programme_id, form=form, errors=errors, status=422)
    return _back(f"{HOME}/{programme['id']}/suppliers", "supplier-added")


# The scheduler ---------------------------------------------------------------------------------------


def _limit(form: dict[str, str]) -> float | None:
    try:
        value = float(form.get("time_limit_s", "").strip().replace(",", "."))
    except ValueError:
        return None
    return min(max(value, 0.5), 600.0)


def _solve(request: Request, principal: Principal, token: str, programme_id: str, method: str, path: str,
           body: dict[str, Any]) -> PlanJob:
    api = backend(request)
    timeout = float(body.get("time_limit_s") or DEFAULT_LIMIT_S) + SLOW_S
    call = (api.post if method == "POST" else api.patch)("markets", path, token=token, json=body, wait_s=timeout)
    return start_job(plan_jobs(request), owner_of(principal), programme_id, call)


@markets_pages.post("/{programme_id}/plan", summary="Run the scheduler: a new draft or a re-plan (organizer)")
async def run_scheduler(request: Request, programme_id: str, api: BackendDep) -> Response:
    principal, token = organizer_session(request)
    programme = await own_programme(api, token, principal, programme_id)
    form, _ = await form_of(request)
    typed = form.get("forbidden_dates", "").replace(",", " ").split()
    days = [forms.read_date(x) for x in typed]
    if any(d is None for d in days):
        errors = forms.unreadable_dates("forbidden_dates", [x for x, d in zip(typed, days, strict=True) if d is None])
        return await _programme_page(request, api, programme_id, errors=errors, form=form, status=422)
    body: dict[str, Any] = {"forbidden_dates": [d.isoformat() for d in days if d is not None],
                            "allow_fewer": "allow_fewer" in form}
    if (limit := _limit(form)) is not None:
        body["time_limit_s"] = limit
    job = _solve(request, principal, token, programme["id"], "POST", f"/programmes/{programme['id']}/proposals", body)
    return RedirectResponse(f"{HOME}/jobs/{job.id}", status_code=303)


def _job_next(job: PlanJob) -> str:
    if job.state == "done":
        result = job.task.result()
        proposal_id = result.get("id") if isinstance(result, dict) else None
        if proposal_id and checked_ok(proposal_id):
            return f"{HOME}/proposals/{proposal_id}"
    return f"{HOME}/jobs/{job.id}"


@markets_pages.get("/jobs/{job_id}/status", summary="How a solver run is doing (JSON for the waiting page)")
async def read_job_status(request: Request, job_id: str) -> Response:
    principal, _ = organizer_session(request)
    job = find_job(plan_jobs(request), checked_id(job_id), owner_of(principal))
    if job is None:
        return JSONResponse({"state": "unknown"}, status_code=404)
    return JSONResponse({"state": job.state, "elapsed_s": job.elapsed_s, "next": _job_next(job)},
                        headers={"Cache-Control": "no-store"})


@markets_pages.get("/jobs/{job_id}", response_class=HTMLResponse, summary="The scheduler at work, or its outcome")
async def read_job(request: Request, job_id: str) -> Response:
    principal, _ = organizer_session(request)
    job = find_job(plan_jobs(request), checked_id(job_id), owner_of(principal))
    if job is None:
        raise PortalError(404, "Không tìm thấy lượt lập lịch (có thể đã quá cũ) / Scheduler run not found")
    back = f"{HOME}/{job.programme_id}"
    if job.state == "running":
        return render(request, "markets/job.html", {"job": job, "back": back})
    if job.state == "done":
        return RedirectResponse(_job_next(job), status_code=303)
    error = job.task.exception() if not job.task.cancelled() else None
    if isinstance(error, ServiceProblem) and error.status in FORM_STATUSES:
        doc = error.document
        blockers = [b for b in doc.get("blockers", []) if isinstance(b, dict)] \
            if isinstance(doc.get("blockers"), list) else []
        return render(request, "markets/job_failed.html", {
            "problem": FormErrors.from_problem(error, ()), "blockers": blockers, "names": BLOCKERS,
            "target": doc.get("target"), "max_sessions": doc.get("max_sessions"), "back": back,
            "programme_id": job.programme_id}, status_code=error.status)
    if error is not None:
        raise error
    raise PortalError(502)


# Proposals -------------------------------------------------------------------------------------------


@markets_pages.get("/proposals/{proposal_id}", response_class=HTMLResponse,
                   summary="Review a proposal: calendar and list (organizer)")
async def read_proposal(request: Request, proposal_id: str, api: BackendDep, notice: str | None = None,
                        n: str | None = None) -> Response:
    return await _proposal_page(request, api, proposal_id, notice=notice_of(notice, n))


async def _proposal_page(request: Request, api: Backend, proposal_id: str, *, notice: tuple[str, str] | None = None,
                         errors: FormErrors | None = None, form: dict[str, str] | None = None,
                         status: int = 200) -> Response:
    principal, token = organizer_session(request)
    proposal = await api.get("markets", f"/proposals/{checked_id(proposal_id)}", token=token)
    programme = await own_programme(api, token, principal, str(proposal.get("programme_id")))
    lines = sorted((i for i in proposal.get("items", []) if isinstance(i, dict)),
                   key=lambda i: (str(i.get("starts_on")), str(i.get("commune_name"))))
    sites = items(await optional(api.get("markets", f"/programmes/{programme['id']}/sites", token=token), "sites")
                  or {})
    market_days = {s.get("commune_code"): s.get("market_day_text") for s in sites}
    return render(request, "markets/proposal.html", {
        "proposal": proposal, "programme": programme, "lines": lines, "market_days": market_days,
        "months": month_grid(lines, proposal.get("forbidden_dates", [])), "actions": ACTIONS,
        "statuses": PROPOSAL_STATUS, "solver_status": SOLVER_STATUS, "notice": notice,
        "solver": proposal.get("solver") or {}, "draft": proposal.get("status") == "draft",
        "today": today().isoformat(), "errors": errors or FormErrors(), "form": form or {}}, status_code=status)


async def _proposal_job(request: Request, api: Backend, proposal_id: str, body: dict[str, Any]) -> Response:
    principal, token = organizer_session(request)
    proposal = await api.get("markets", f"/proposals/{checked_id(proposal_id)}", token=token)
    programme_id = checked_id(str(proposal.get("programme_id")))
    allow_fewer = bool((proposal.get("solver") or {}).get("allow_fewer", False))
    body = {**body, "allow_fewer": allow_fewer} if allow_fewer else body
    job = _solve(request, principal, token, programme_id, "PATCH", f"/proposals/{proposal['id']}", body)
    return RedirectResponse(f"{HOME}/jobs/{job.id}", status_code=303)


@markets_pages.post("/proposals/{proposal_id}/pin", summary="Pin or unpin a line and solve again (organizer)")
async def pin_line(request: Request, proposal_id: str, api: BackendDep) -> Response:
    form, _ = await form_of(request)
    line = checked_id(form.get("item_id", ""))
    key = "unpin" if form.get("pinned") == "1" else "pin"
    return await _proposal_job(request, api, proposal_id, {key: [line]})


@markets_pages.post("/proposals/{proposal_id}/forbid", summary="Forbid (or allow again) a date (organizer)")
async def forbid_date(request: Request, proposal_id: str, api: BackendDep) -> Response:
    form, _ = await form_of(request)
    day = forms.read_date(form.get("date", ""))
    if day is None:
        errors = forms.unreadable_dates("date", [form.get("date", "").strip()])
        return await _proposal_page(request, api, proposal_id, errors=errors, form=form, status=422)
    key = "allow_dates" if form.get("allow") == "1" else "forbid_dates"
    return await _proposal_job(request, api, proposal_id, {key: [day.isoformat()]})


@markets_pages.post("/proposals/{proposal_id}/confirm", summary="Confirm a proposal (organizer)")
async def confirm_proposal(request: Request, proposal_id: str, api: BackendDep) -> Response:
    _, token = organizer_session(request)
    done = await api.post("markets", f"/proposals/{checked_id(proposal_id)}/confirm", token=token)
    programme_id = checked_id(str((done.get("proposal") or {}).get("programme_id")))
    counts = [len(done.get(k) or []) for k in ("scheduled", "rescheduled", "cancelled")]
    log.info("portal.proposal_confirmed", proposal_id=proposal_id, scheduled=counts[0])
    return _back(f"{HOME}/{programme_id}", "confirmed", *counts)


@markets_pages.post("/proposals/{proposal_id}/discard", summary="Discard a draft (organizer)")
async def discard_proposal(request: Request, proposal_id: str, api: BackendDep) -> Response:
    _, token = organizer_session(request)
    proposal = await api.get("markets", f"/proposals/{checked_id(proposal_id)}", token=token)
    await api.delete("markets", f"/proposals/{proposal['id']}", token=token)
    return _back(f"{HOME}/{checked_id(str(proposal.get('programme_id')))}", "draft-discarded")


# Sessions: cancel, results ---------------------------------------------------------------------------


@markets_pages.post("/sessions/{session_id}/cancel", summary="Cancel a session with its reason (organizer)")
async def cancel_session(request: Request, session_id: str, api: BackendDep) -> Response:
    _, token = organizer_session(request)
    form, _ = await form_of(request)
    cancelled = await api.post("markets", f"/sessions/{checked_id(session_id)}/cancel", token=token,
                               json={"reason": form.get("reason", "").strip()})
    programme_id = checked_id(str(cancelled.get("programme_id")))
    return _back(f"{HOME}/{programme_id}", "session-cancelled")


async def _session_of(api: Backend, token: str, principal: Principal, programme_id: str,
                      session_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    programme = await own_programme(api, token, principal, programme_id)
    found = next((s for s in programme.get("sessions", []) if isinstance(s, dict) and s.get("id") == session_id),
                 None)
    if found is None:
        raise PortalError(404, "Không tìm thấy phiên chợ / Session not found")
    return programme, found


async def _report_page(request: Request, api: Backend, programme_id: str, session_id: str, *,
                       form: dict[str, str] | None = None, errors: FormErrors | None = None,
                       status: int = 200) -> Response:
    principal, token = organizer_session(request)
    programme, market_session = await _session_of(api, token, principal, programme_id, checked_id(session_id))
    report = await optional(api.get("markets", f"/sessions/{market_session['id']}/report", token=token), "report")
    return render(request, "markets/report.html", {
        "programme": programme, "session": market_session, "report": report, "form": form or {},
        "errors": errors or FormErrors(), "goods_rows": range(forms.GOODS_ROWS),
        "not_started": str(market_session.get("starts_on")) > today().isoformat()}, status_code=status)


@markets_pages.get("/{programme_id}/sessions/{session_id}/report", response_class=HTMLResponse,
                   summary="A session's results, or the form to record them (organizer)")
async def read_report(request: Request, programme_id: str, session_id: str, api: BackendDep) -> Response:
    return await _report_page(request, api, programme_id, session_id)


@markets_pages.post("/{programme_id}/sessions/{session_id}/report", summary="Record a session's results")
async def create_report(request: Request, programme_id: str, session_id: str, api: BackendDep) -> Response:
    principal, token = organizer_session(request)
    programme, market_session = await _session_of(api, token, principal, programme_id, checked_id(session_id))
    form, _ = await form_of(request)
    body, errors = forms.report_body(form)
    if not errors:
        try:
            await api.post("markets", f"/sessions/{market_session['id']}/report", token=token, json=body)
        except ServiceProblem as exc:
            errors = _refused(exc, forms.REPORT_FIELDS)
    if errors:
        return await _report_page(request, api, programme_id, session_id, form=form, errors=errors, status=422)
    return _back(f"{HOME}/{programme['id']}", "report-saved")


# Calendar feeds (public, like the service's) ---------------------------------------------------------


def _feed(response: Any) -> Response:
    return Response(response.content, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'inline; filename="phien-cho.ics"',
                             "Cache-Control": "public, max-age=300"})


@markets_pages.get("/{programme_id}/calendar.ics", summary="The programme's iCalendar feed (public)")
async def read_programme_feed(programme_id: str, api: BackendDep) -> Response:
    return _feed(await api.get_raw("markets", f"/programmes/{checked_id(programme_id)}/calendar.ics", token=None))


@markets_pages.get("/sites/{site_id}/calendar.ics", summary="One site's iCalendar feed (public)")
async def read_site_feed(site_id: str, api: BackendDep) -> Response:
    return _feed(await api.get_raw("markets", f"/sites/{checked_id(site_id)}/calendar.ics", token=None))
