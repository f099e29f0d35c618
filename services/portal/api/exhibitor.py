"""The exhibitor's own space: profile, registrations, booth picks, invoices.

Every call goes to the services with the exhibitor's token, so the services decide what it may see; the
portal only refuses other roles up front and turns the services' 403/404 into pages.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from services.portal.adapters.backend import Backend, items
from services.portal.api.deps import backend
from services.portal.api.session import token_of, viewer
from services.portal.api.views import remember_name, render
from services.portal.domain.errors import NotAuthenticated, PortalError, ServiceProblem, checked_id, is_id
from services.portal.domain.exhibitor_forms import (
    GROUPS,
    KINDS,
    LEVELS,
    commune_options,
    form_from_profile,
    pad_products,
    profile_body,
    profile_errors,
    province_options,
    read_form,
    resolve_province_code,
)
from services.portal.domain.exhibitor_history import Entry, history
from services.portal.domain.forms import FormErrors, message_of, split_title
from services.portal.service.booth_pick import pick_context
from services.portal.service.exhibitors import booths_by_registration, fairs_by_id, read_profile
from services.portal.service.parts import optional
from shared.auth import Principal, Role

log = structlog.get_logger()

BackendDep = Annotated[Backend, Depends(backend)]

exhibitor_pages = APIRouter(prefix="/me", tags=["exhibitor pages"], include_in_schema=False)

# What a page says after an action, by the `done` query parameter (Vietnamese, English).
NOTICES: dict[str, tuple[str, str]] = {
    "profile-created": ("Đã tạo hồ sơ doanh nghiệp.", "Your profile was created."),
    "profile-saved": ("Đã lưu hồ sơ doanh nghiệp.", "Your profile was saved."),
    "cancelled": ("Đã hủy đăng ký.", "The registration was cancelled."),
    "held": ("Đã giữ chỗ. Vui lòng xác nhận trước khi hết giờ.", "Booths held. Please confirm before time runs out."),
    "assigned": ("Đã xác nhận gian hàng.", "Your booths are confirmed."),
    "released": ("Đã bỏ giữ chỗ; các gian đã được trả lại.", "The hold was given up; the booths are free again."),
}
LIVE_REGISTRATION = ("submitted", "approved", "waitlisted", "changes_requested")


def exhibitor_session(request: Request) -> tuple[Principal, str]:
    """The exhibitor and its token; others are sent to log in or refused."""
    token, principal = token_of(request), viewer(request)
    if not token or principal is None:
        raise NotAuthenticated
    if principal.role is not Role.EXHIBITOR or not principal.exhibitor_id:
        raise PortalError(403, "Trang dành cho doanh nghiệp tham gia hội chợ / Exhibitors only")
    return principal, token


def notice(done: str | None) -> tuple[str, str] | None:
    """The message of a finished action."""
    return NOTICES.get(done or "")


# ---------------------------------------------------------------- dashboard


@exhibitor_pages.get("", response_class=HTMLResponse, summary="The exhibitor's dashboard (exhibitor)")
async def read_dashboard(request: Request, api: BackendDep, done: str | None = None) -> Response:
    principal, token = exhibitor_session(request)
    profile, registrations, invoices = await asyncio.gather(
        read_profile(api, token, str(principal.exhibitor_id)),
        optional(api.get("registration", "/registrations", token=token), "registrations"),
        optional(api.get("billing", "/invoices", token=token), "invoices"))
    if profile:
        remember_name(request, str(principal.exhibitor_id), profile.get("legal_name"))
    rows = items(registrations) if registrations is not None else None
    fair_ids = sorted({str(r.get("fair_id")) for r in rows or [] if is_id(str(r.get("fair_id")))})
    fairs, booths = await asyncio.gather(fairs_by_id(api, token, fair_ids),
                                         booths_by_registration(api, token, fair_ids))
    return render(request, "exhibitor/dashboard.html", {
        "profile": profile, "registrations": rows, "fairs": fairs, "booths": booths,
        "invoices": items(invoices) if invoices is not None else None, "notice": notice(done)})


# ---------------------------------------------------------------- profile


@exhibitor_pages.get("/profile", response_class=HTMLResponse, summary="Create or edit the profile (exhibitor)")
async def read_profile_form(request: Request, api: BackendDep) -> Response:
    principal, token = exhibitor_session(request)
    exhibitor_id = str(principal.exhibitor_id)
    profile = await read_profile(api, token, exhibitor_id)
    if profile:
        remember_name(request, exhibitor_id, profile.get("legal_name"))
    form = form_from_profile(profile or {})  # a new profile: no kind chosen for the exhibitor (it is required)
    audit = None
    if profile:
        audit = await optional(api.get("registration", f"/exhibitors/{quote(exhibitor_id, safe='')}/audit",
                                       token=token), "audit")
    return _profile_page(request, form, creating=profile is None, changes=history(audit) if audit else None,
                         history_missing=profile is not None and audit is None)


def _profile_page(request: Request, form: dict[str, Any], *, creating: bool, errors: FormErrors | None = None,
                  changes: list[Entry] | None = None, history_missing: bool = False,
                  status_code: int = 200) -> Response:
    province = resolve_province_code(str(form.get("province_code") or ""))
    return render(request, "exhibitor/profile.html", {
        "form": form, "creating": creating, "errors": errors or FormErrors(), "kinds": KINDS, "groups": GROUPS,
        "levels": LEVELS, "provinces": province_options(), "province": province, "history": changes,
        "history_missing": history_missing,
        "communes": commune_options(province) if province else ()}, status_code=status_code)


@exhibitor_pages.post("/profile", summary="Save the profile: create it, or change it (exhibitor)")
async def save_profile(request: Request, api: BackendDep) -> Response:
    principal, token = exhibitor_session(request)
    raw = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    form = read_form(raw)
    creating = raw.get("creating") == "1"
    if raw.get("action") == "communes":  # without script: show the chosen province's communes, save nothing
        form["commune_code"] = ""
        return _profile_page(request, form, creating=creating)
    body, errors = profile_body(form, creating=creating)
    if errors:
        return _profile_page(request, form, creating=creating, errors=errors, status_code=422)
    exhibitor_id = quote(str(principal.exhibitor_id), safe="")
    try:
        if creating:
            await api.post("registration", "/exhibitors", token=token, json=body)
        else:
            await api.patch("registration", f"/exhibitors/{exhibitor_id}", token=token, json=body)
    except ServiceProblem as problem:
        if problem.status not in (409, 422):
            raise
        if problem.status == 409 and creating and "exists" in problem.title.lower():
            creating = False
        form["products"] = pad_products([r for r in form["products"] if r["name"] or r["level"]])
        return _profile_page(request, form, creating=creating, errors=profile_errors(problem),
                             status_code=problem.status)
    log.info("portal.profile_saved", exhibitor_id=principal.exhibitor_id, created=creating)
    return RedirectResponse(f"/me?done={'profile-created' if creating else 'profile-saved'}", status_code=303)


@exhibitor_pages.get("/communes", summary="Communes of a province, for the profile form's picker (anyone)")
async def read_communes(province: str = "") -> Response:
    code = resolve_province_code(province)
    rows = [{"code": c, "name": n} for c, n in commune_options(code)] if code else []
    return JSONResponse(rows, headers={"Cache-Control": "public, max-age=86400"})


# ---------------------------------------------------------------- registration: cancel


@exhibitor_pages.post("/registrations/{registration_id}/cancel", summary="Cancel before the deadline (exhibitor)")
async def cancel_registration(request: Request, registration_id: str, api: BackendDep) -> Response:
    _, token = exhibitor_session(request)
    registration_id = checked_id(registration_id)
    form = await request.form()
    reason = str(form.get("reason") or "").strip()
    body = {"reason": reason[:1000]} if reason else None
    await api.post("registration", f"/registrations/{registration_id}/cancel", token=token, json=body)
    log.info("portal.registration_cancelled", registration_id=registration_id)
    return RedirectResponse(f"/registrations/{registration_id}?done=cancelled", status_code=303)


# ---------------------------------------------------------------- booth picks


@exhibitor_pages.get("/registrations/{registration_id}/booths", response_class=HTMLResponse,
                     summary="Pick booths on the floor plan, see the hold and confirm (exhibitor)")
async def read_booth_pick(request: Request, registration_id: str, api: BackendDep, done: str | None = None) -> Response:
    _, token = exhibitor_session(request)
    context = await pick_context(api, token, checked_id(registration_id), now=datetime.now(UTC))
    return render(request, "exhibitor/booths.html", {**context, "errors": FormErrors(), "chosen": [],
                                                     "notice": notice(done)})


@exhibitor_pages.post("/registrations/{registration_id}/booths/hold", summary="Hold the chosen booths (exhibitor)")
async def hold_booths(request: Request, registration_id: str, api: BackendDep) -> Response:
    _, token = exhibitor_session(request)
    registration_id = checked_id(registration_id)
    form = await request.form()
    chosen = [c for c in form.getlist("booth_codes") if isinstance(c, str) and is_id(c)]
    fair_id = await _fair_of(api, token, registration_id)
    errors, status = FormErrors(), 422
    if not chosen:
        errors.title, errors.title_en = "Chưa chọn gian hàng", "No booth chosen"
        errors.add("booth_codes", "Vui lòng chọn gian hàng trong danh sách.", "Please choose booths from the list.")
    else:
        try:
            await api.post("booths", f"/fairs/{fair_id}/holds", token=token,
                           json={"registration_id": registration_id, "booth_codes": chosen})
        except ServiceProblem as problem:
            if problem.status not in (404, 409, 422):
                raise
            errors, status = _pick_errors(problem), problem.status
    if errors:
        context = await pick_context(api, token, registration_id, now=datetime.now(UTC))
        return render(request, "exhibitor/booths.html", {**context, "errors": errors, "chosen": chosen,
                                                         "notice": None}, status_code=status)
    log.info("portal.booths_held", registration_id=registration_id, booths=chosen)
    return RedirectResponse(f"/me/registrations/{registration_id}/booths?done=held", status_code=303)


async def _fair_of(api: Backend, token: str, registration_id: str) -> str:
    """The fair of one of the exhibitor's registrations (another's is not found by the service)."""
    registration = await api.get("registration", f"/registrations/{registration_id}", token=token)
    return checked_id(str(registration.get("fair_id")))


def _pick_errors(problem: ServiceProblem) -> FormErrors:
    title, title_en = split_title(problem.title)
    errors = FormErrors(title=title, title_en=title_en)
    for error in problem.errors:
        message = message_of(error)
        if message != title:
            errors.general.append(message)
    if problem.status == 409 and not errors.general:
        errors.note("Vui lòng chọn gian khác; sơ đồ dưới đây đã được cập nhật.",
                    "Please choose other booths; the plan below is up to date.")
    return errors


@exhibitor_pages.post("/registrations/{registration_id}/booths/confirm", summary="Confirm the hold (exhibitor)")
async def confirm_hold(request: Request, registration_id: str, api: BackendDep) -> Response:
    _, token = exhibitor_session(request)
    registration_id = checked_id(registration_id)
    form = await request.form()
    hold_id = checked_id(str(form.get("hold_id") or ""))
    fair_id = await _fair_of(api, token, registration_id)
    try:
        await api.post("booths", f"/fairs/{fair_id}/holds/{hold_id}/confirm", token=token)
    except ServiceProblem as problem:
        if problem.status != 409:
            raise
        context = await pick_context(api, token, registration_id, now=datetime.now(UTC))
        return render(request, "exhibitor/booths.html", {**context, "errors": _pick_errors(problem), "chosen": [],
                                                         "notice": None}, status_code=409)
    log.info("portal.hold_confirmed", registration_id=registration_id, hold_id=hold_id)
    return RedirectResponse(f"/me/registrations/{registration_id}/booths?done=assigned", status_code=303)


@exhibitor_pages.post("/registrations/{registration_id}/booths/release", summary="Give the hold up (exhibitor)")
async def release_hold(request: Request, registration_id: str, api: BackendDep) -> Response:
    _, token = exhibitor_session(request)
    registration_id = checked_id(registration_id)
    form = await request.form()
    hold_id = checked_id(str(form.get("hold_id") or ""))
    fair_id = await _fair_of(api, token, registration_id)
    await api.delete("booths", f"/fairs/{fair_id}/holds/{hold_id}", token=token)
    log.info("portal.hold_released", registration_id=registration_id, hold_id=hold_id)
    return RedirectResponse(f"/me/registrations/{registration_id}/booths?done=released", status_code=303)
