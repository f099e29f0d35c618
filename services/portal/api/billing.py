"""The organizer's invoices, payments, subsidy programmes and settlement exports."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.adapters.backend import Backend, items
from services.portal.api.deps import backend, organizer_session
from services.portal.api.views import render
from services.portal.domain.billing_forms import (
    PAYMENT_FIELDS,
    PROGRAMME_FIELDS,
    REVERSAL_FIELDS,
    is_overdue,
    payment_body,
    programme_body,
    reversal_body,
)
from services.portal.domain.budget_chart import CHART_WIDTH, budget_bars
from services.portal.domain.display import LOCAL_TZ, kind_choices
from services.portal.domain.errors import PortalError, ServiceProblem, checked_id, is_id
from services.portal.domain.forms import FormErrors
from services.portal.service.exhibitors import exhibitor_names
from services.portal.service.fairs import centre_fairs
from services.portal.service.invoice_booths import invoice_booths
from services.portal.service.parts import optional
from shared.auth import Principal
from shared.contracts.registration import EXHIBITOR_KINDS as CONTRACT_KINDS
from shared.reference.geo import provinces

log = structlog.get_logger()

BackendDep = Annotated[Backend, Depends(backend)]

billing_pages = APIRouter(prefix="/organizer/billing", tags=["billing pages"], include_in_schema=False)

PAGE_SIZE = 50
INVOICE_STATUSES = ("issued", "overdue", "paid", "voided")
EXHIBITOR_KINDS = kind_choices(CONTRACT_KINDS)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOTICES = {
    "recorded": ("Đã ghi nhận khoản thanh toán.", "The payment was recorded."),
    "reversed": ("Đã huỷ khoản thu; hóa đơn ghi nhận lại số tiền còn phải thu.",
                 "The payment was reversed; the invoice owes its amount again."),
    "created": ("Đã tạo chương trình hỗ trợ.", "The programme was created."),
}


def today_in_vietnam() -> date:
    """Today's date in Asia/Ho_Chi_Minh (what the services call 'today')."""
    return datetime.now(LOCAL_TZ).date()


def _form(values: Any) -> dict[str, str]:
    return {k: v for k, v in values.items() if isinstance(v, str)}


def _notice(result: str | None) -> tuple[str, str] | None:
    return NOTICES.get(result or "")


# ---------------------------------------------------------------- invoices

@billing_pages.get("", response_class=HTMLResponse, summary="The centre's invoices, filtered (organizer)")
async def read_invoices(request: Request, api: BackendDep, fair_id: str = "", status: str = "",
                        offset: int = 0, result: str | None = None, checked: int | None = None) -> Response:
    principal, token = organizer_session(request)
    params: dict[str, str] = {"limit": str(PAGE_SIZE), "offset": str(max(offset, 0))}
    if fair_id:
        params["fair_id"] = checked_id(fair_id)
    if status:
        if status not in INVOICE_STATUSES:
            raise PortalError(404)
        params["status"] = status
    page, fairs = await asyncio.gather(api.get("billing", "/invoices", token=token, params=params),
                                       centre_fairs(api, token, principal))
    invoices = items(page)
    count = int(page.get("count", len(invoices))) if isinstance(page, dict) else len(invoices)
    names = await exhibitor_names(api, token, {str(i.get("exhibitor_id")) for i in invoices})
    today = today_in_vietnam()
    late = {str(i.get("id")) for i in invoices if is_overdue(i, today)}
    start = max(offset, 0)
    base_query = {k: v for k, v in {"fair_id": fair_id, "status": status}.items() if v}
    following = (urlencode({**base_query, "offset": start + PAGE_SIZE}) if start + PAGE_SIZE < count else None)
    previous = urlencode({**base_query, "offset": max(start - PAGE_SIZE, 0)}) if start > 0 else None
    return render(request, "billing/invoices.html", {
        "invoices": invoices, "count": count, "fairs": fairs, "fair_names": {f.get("id"): f.get("name") for f in fairs},
        "names": names, "late": late, "filters": {"fair_id": fair_id, "status": status},
        "statuses": INVOICE_STATUSES, "following": following, "previous": previous, "start": start,
        "checked": checked, "notice": _notice(result), "can_check": principal.is_admin()})


@billing_pages.post("/overdue-check", summary="Run billing's overdue check now (admin)")
async def run_overdue_check(request: Request, api: BackendDep) -> Response:
    principal, token = organizer_session(request)
    if not principal.is_admin():
        raise PortalError(403, "Chỉ quản trị viên chạy được kiểm tra quá hạn / Admins only")
    outcome = await api.post("billing", "/admin/overdue-check", token=token, json={})
    marked = outcome.get("marked") if isinstance(outcome, dict) else None
    count = len(marked) if isinstance(marked, list) else 0
    log.info("portal.overdue_check", marked=count)
    return RedirectResponse(f"/organizer/billing?status=overdue&checked={count}", status_code=303)


@billing_pages.get("/invoices/{invoice_id}.pdf", summary="The invoice's PDF, from billing (organizer)")
async def read_invoice_pdf(request: Request, invoice_id: str, api: BackendDep) -> Response:
    _, token = organizer_session(request)
    invoice_id = checked_id(invoice_id)
    answer = await api.get_raw("billing", f"/invoices/{invoice_id}.pdf", token=token)
    return Response(answer.content, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="hoa-don-{invoice_id}.pdf"',
                             "Cache-Control": "private, no-store"})


@billing_pages.get("/invoices/{invoice_id}", response_class=HTMLResponse,
                   summary="An invoice with its payments and the payment form (organizer)")
async def read_invoice(request: Request, invoice_id: str, api: BackendDep, result: str | None = None) -> Response:
    _, token = organizer_session(request)
    return await _invoice_page(request, api, token, checked_id(invoice_id), notice=_notice(result))


async def _invoice_page(request: Request, api: Backend, token: str, invoice_id: str, *,
                        errors: FormErrors | None = None, form: dict[str, str] | None = None,
                        notice: tuple[str, str] | None = None, status_code: int = 200,
                        reversal: tuple[str, FormErrors, dict[str, str]] | None = None) -> Response:
    invoice = await api.get("billing", f"/invoices/{invoice_id}", token=token)
    exhibitor_id = str(invoice.get("exhibitor_id"))
    credits = None
    if is_id(exhibitor_id):
        credits = await optional(api.get("billing", f"/exhibitors/{exhibitor_id}/credits", token=token), "credits")
    outstanding = invoice.get("outstanding_vnd")
    defaults = {"method": "bank_transfer", "received_on": today_in_vietnam().isoformat(),
                "amount_vnd": str(outstanding) if isinstance(outstanding, int) and outstanding > 0 else ""}
    return render(request, "billing/invoice.html", {
        **await invoice_booths(api, token, invoice),
        "invoice": invoice, "credits": credits, "errors": errors or FormErrors(), "form": form or defaults,
        "notice": notice, "late": is_overdue(invoice, today_in_vietnam()),
        "can_pay": invoice.get("status") in ("issued", "overdue"), "today": today_in_vietnam().isoformat(),
        "reverse_for": reversal[0] if reversal else None, "reverse_errors": reversal[1] if reversal else FormErrors(),
        "reverse_form": reversal[2] if reversal else {}},
        status_code=status_code)


@billing_pages.post("/invoices/{invoice_id}/payments", summary="Record a bank transfer or cash payment (organizer)")
async def record_payment(request: Request, invoice_id: str, api: BackendDep) -> Response:
    _, token = organizer_session(request)
    invoice_id = checked_id(invoice_id)
    form = _form(await request.form())
    body, errors = payment_body(form)
    if errors:
        return await _invoice_page(request, api, token, invoice_id, errors=errors, form=form, status_code=422)
    try:
        payment = await api.post("billing", f"/invoices/{invoice_id}/payments", token=token, json=body)
    except ServiceProblem as problem:
        if problem.status not in (409, 422):
            raise
        errors = FormErrors.from_problem(problem, PAYMENT_FIELDS)
        return await _invoice_page(request, api, token, invoice_id, errors=errors, form=form,
                                   status_code=problem.status)
    log.info("portal.payment_recorded", invoice_id=invoice_id, payment_id=payment.get("id"),
             amount_vnd=body["amount_vnd"])
    return RedirectResponse(f"/organizer/billing/invoices/{invoice_id}?result=recorded", status_code=303)


@billing_pages.post("/invoices/{invoice_id}/payments/{payment_id}/reverse",
                    summary="Reverse a mistaken payment, with a reason and a confirmation (organizer)")
async def reverse_payment(request: Request, invoice_id: str, payment_id: str, api: BackendDep) -> Response:
    _, token = organizer_session(request)
    invoice_id, payment_id = checked_id(invoice_id), checked_id(payment_id)
    form = _form(await request.form())
    body, errors = reversal_body(form)
    if errors:
        return await _invoice_page(request, api, token, invoice_id, reversal=(payment_id, errors, form),
                                   status_code=422)
    try:
        reversal = await api.post("billing", f"/invoices/{invoice_id}/payments/{payment_id}/reverse", token=token,
                                  json=body)
    except ServiceProblem as problem:
        if problem.status not in (409, 422):
            raise
        errors = FormErrors.from_problem(problem, REVERSAL_FIELDS)
        return await _invoice_page(request, api, token, invoice_id, reversal=(payment_id, errors, form),
                                   status_code=problem.status)
    log.info("portal.payment_reversed", invoice_id=invoice_id, payment_id=payment_id,
             reversal_id=reversal.get("id") if isinstance(reversal, dict) else None)
    return RedirectResponse(f"/organizer/billing/invoices/{invoice_id}?result=reversed", status_code=303)


# ---------------------------------------------------------------- subsidy programmes

@billing_pages.get("/programmes", response_class=HTMLResponse, summary="The centre's subsidy programmes (organizer)")
async def read_programmes(request: Request, api: BackendDep) -> Response:
    _, token = organizer_session(request)
    programmes = items(await api.get("billing", "/subsidy-programmes", token=token))
    return render(request, "billing/programmes.html", {"programmes": programmes})


@billing_pages.get("/programmes/new", response_class=HTMLResponse, summary="The form of a new programme (organizer)")
async def read_programme_form(request: Request, api: BackendDep) -> Response:
    principal, token = organizer_session(request)
    return await _programme_form(request, api, token, principal)


async def _programme_form(request: Request, api: Backend, token: str, principal: Principal, *,
                          errors: FormErrors | None = None, form: dict[str, Any] | None = None,
                          status_code: int = 200) -> Response:
    fairs = await optional(centre_fairs(api, token, principal), "fairs") or []
    year = today_in_vietnam().year
    defaults: dict[str, Any] = {"base": "gross", "support_percent": "50",
                                "max_booths_per_exhibitor": "2", "valid_from": f"{year}-01-01",
                                "valid_to": f"{year + 1}-12-31"}
    return render(request, "billing/programme_new.html", {
        "errors": errors or FormErrors(), "form": form or defaults, "fairs": fairs, "kinds": EXHIBITOR_KINDS,
        "provinces": provinces(), "is_admin": principal.is_admin()}, status_code=status_code)


async def _programme_form_values(request: Request) -> dict[str, Any]:
    submitted = await request.form()
    values: dict[str, Any] = {k: v for k, v in submitted.items() if isinstance(v, str)}
    for name in ("eligible_kinds", "eligible_provinces", "fair_ids"):
        values[name] = [v for v in submitted.getlist(name) if isinstance(v, str)]
    return values


@billing_pages.post("/programmes", summary="Create a subsidy programme (organizer)")
async def create_programme(request: Request, api: BackendDep) -> Response:
    principal, token = organizer_session(request)
    form = await _programme_form_values(request)
    body, errors = programme_body(form)
    if errors:
        return await _programme_form(request, api, token, principal, errors=errors, form=form, status_code=422)
    path = "/subsidy-programmes"
    centre = str(form.get("centre_id", "")).strip()
    if principal.is_admin() and centre:
        path += "?" + urlencode({"centre_id": checked_id(centre)})
    try:
        programme = await api.post("billing", path, token=token, json=body)
    except ServiceProblem as problem:
        if problem.status not in (409, 422):
            raise
        errors = FormErrors.from_problem(problem, PROGRAMME_FIELDS)
        return await _programme_form(request, api, token, principal, errors=errors, form=form,
                                     status_code=problem.status)
    programme_id = checked_id(str(programme.get("id")))
    log.info("portal.programme_created", programme_id=programme_id)
    return RedirectResponse(f"/organizer/billing/programmes/{programme_id}?result=created", status_code=303)


@billing_pages.get("/programmes/{programme_id}", response_class=HTMLResponse,
                   summary="A programme: budget chart and settlement report (organizer)")
async def read_programme(request: Request, programme_id: str, api: BackendDep, result: str | None = None) -> Response:
    _, token = organizer_session(request)
    programme_id = checked_id(programme_id)
    report = await api.get("billing", f"/subsidy-programmes/{programme_id}/settlement", token=token)
    return render(request, "billing/programme.html", {
        "report": report, "programme": report.get("programme") or {}, "bars": budget_bars(report),
        "chart_width": CHART_WIDTH, "notice": _notice(result)})


@billing_pages.get("/programmes/{programme_id}/settlement.xlsx",
                   summary="The settlement report as .xlsx, from billing (organizer)")
async def read_settlement_xlsx(request: Request, programme_id: str, api: BackendDep) -> Response:
    _, token = organizer_session(request)
    programme_id = checked_id(programme_id)
    answer = await api.get_raw("billing", f"/subsidy-programmes/{programme_id}/settlement.xlsx", token=token)
    return Response(answer.content, media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="quyet-toan-{programme_id}.xlsx"',
                             "Cache-Control": "private, no-store"})
