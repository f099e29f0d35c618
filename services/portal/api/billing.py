"""The organizer's invoices, payments, subsidy programmes and settlement exports."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.adapters.backend import Backend, items
from services.portal.api.deps import backend, organizer_session
from services.portal.api.views import render
from services.portal.domain.display import LOCAL_TZ, kind_choices
from services.portal.domain.errors import PortalError, ServiceProblem, checked_id, is_id
from services.portal.domain.forms import FormErrors, by_code
from services.portal.service.exhibitors import exhibitor_names
from services.portal.service.parts import optional
from shared.auth import Principal
from shared.contracts.registration import EXHIBITOR_KINDS as CONTRACT_KINDS
from shared.reference.geo import provinces

log = structlog.get_logger()

BackendDep = Annotated[Backend, Depends(backend)]

billing_pages = APIRouter(prefix="/organizer/billing", tags=["billing pages"], include_in_schema=False)

PAGE_SIZE = 50
INVOICE_STATUSES = ("issued", "overdue", "paid", "voided")
PAYMENT_FIELDS = ("amount_vnd", "method", "reference", "received_on")
PROGRAMME_FIELDS = ("name", "decision", "level", "funder", "funding_province_code", "budget_vnd", "valid_from",
                    "valid_to", "support_percent", "cap_per_booth_vnd", "max_booths_per_exhibitor", "base",
                    "cscnnt_only", "eligible_kinds", "eligible_provinces", "eligible_communes", "fair_ids")
EXHIBITOR_KINDS = kind_choices(CONTRACT_KINDS)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_MONEY_NOISE = re.compile(r"[\s.,_₫đĐ]|VND|vnd")
_COMMUNE = re.compile(r"\d{5}")
NOTICES = {
    "recorded": ("Đã ghi nhận khoản thanh toán.", "The payment was recorded."),
    "created": ("Đã tạo chương trình hỗ trợ.", "The programme was created."),
}


def today_in_vietnam() -> date:
    """Today's date in Asia/Ho_Chi_Minh (what the services call 'today')."""
    return datetime.now(LOCAL_TZ).date()


def parse_vnd(raw: str) -> int | None:
    """"10.800.000", "10 800 000 ₫" or "10800000" → 10800000; None when it is not a whole amount."""
    cleaned = _MONEY_NOISE.sub("", raw.strip())
    return int(cleaned) if cleaned.isdigit() else None


def _form(values: Any) -> dict[str, str]:
    return {k: v for k, v in values.items() if isinstance(v, str)}


def _notice(result: str | None) -> tuple[str, str] | None:
    return NOTICES.get(result or "")


async def _centre_fairs(api: Backend, token: str, principal: Principal) -> list[dict[str, Any]]:
    fairs = items(await api.get("registration", "/fairs", token=token))
    return [f for f in fairs if principal.is_admin() or f.get("centre_id") == principal.centre_id]


def is_overdue(invoice: dict[str, Any], today: date) -> bool:
    """Marked overdue by billing, or past its due date and not yet paid (the check runs hourly)."""
    if invoice.get("status") == "overdue":
        return True
    try:
        due = date.fromisoformat(str(invoice.get("due_on")))
    except ValueError:
        return False
    return invoice.get("status") == "issued" and due < today


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
                                       _centre_fairs(api, token, principal))
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
                        notice: tuple[str, str] | None = None, status_code: int = 200) -> Response:
    invoice = await api.get("billing", f"/invoices/{invoice_id}", token=token)
    exhibitor_id = str(invoice.get("exhibitor_id"))
    credits = None
    if is_id(exhibitor_id):
        credits = await optional(api.get("billing", f"/exhibitors/{exhibitor_id}/credits", token=token), "credits")
    outstanding = invoice.get("outstanding_vnd")
    defaults = {"method": "bank_transfer", "received_on": today_in_vietnam().isoformat(),
                "amount_vnd": str(outstanding) if isinstance(outstanding, int) and outstanding > 0 else ""}
    return render(request, "billing/invoice.html", {
        "invoice": invoice, "credits": credits, "errors": errors or FormErrors(), "form": form or defaults,
        "notice": notice, "late": is_overdue(invoice, today_in_vietnam()),
        "can_pay": invoice.get("status") in ("issued", "overdue"), "today": today_in_vietnam().isoformat()},
        status_code=status_code)


def payment_body(form: dict[str, str]) -> tuple[dict[str, Any], FormErrors]:
    """The JSON body of billing's PaymentCreate, or the portal's own errors (amount not a number…)."""
    errors = FormErrors()
    raw = form.get("amount_vnd", "")
    amount = parse_vnd(raw)
    if amount is None:
        if raw.strip():
            errors.add("amount_vnd", "Vui lòng nhập số tiền bằng số (đồng).",
                       "Please enter the amount in digits (đồng).")
        else:
            errors.add("amount_vnd", "Vui lòng nhập số tiền.", "Please enter the amount.")
    method = form.get("method", "")
    if method not in ("bank_transfer", "cash"):
        errors.add("method", "Vui lòng chọn hình thức thanh toán.", "Please choose how it was paid.")
    received_on = form.get("received_on", "").strip()
    try:
        date.fromisoformat(received_on)
    except ValueError:
        errors.add("received_on", "Vui lòng chọn ngày nhận tiền.", "Please choose the day it was received.")
    if errors:
        errors.title, errors.title_en = "Vui lòng kiểm tra lại thông tin", "Please check the form"
    body = {"amount_vnd": amount, "method": method, "reference": form.get("reference", "").strip(),
            "received_on": received_on, "accept_overpayment": form.get("accept_overpayment") == "yes"}
    return body, errors


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
    fairs = await optional(_centre_fairs(api, token, principal), "fairs") or []
    year = today_in_vietnam().year
    defaults: dict[str, Any] = {"base": "gross", "support_percent": "50",
                                "max_booths_per_exhibitor": "2", "valid_from": f"{year}-01-01",
                                "valid_to": f"{year + 1}-12-31"}
    return render(request, "billing/programme_new.html", {
        "errors": errors or FormErrors(), "form": form or defaults, "fairs": fairs, "kinds": EXHIBITOR_KINDS,
        "provinces": provinces(), "is_admin": principal.is_admin()}, status_code=status_code)


def programme_body(form: dict[str, Any]) -> tuple[dict[str, Any], FormErrors]:
    """The JSON body of billing's ProgrammeCreate from the form; numbers and lists read here."""
    errors = FormErrors()

    def whole(name: str, *, required: bool, money: bool = False) -> int | None:
        raw = str(form.get(name, "")).strip()
        if not raw:
            if required:
                errors.add(name, by_code("missing"))
            return None
        value = parse_vnd(raw) if money else (int(raw) if raw.isdigit() else None)
        if value is None:
            errors.add(name, by_code("int_parsing"))
        return value

    body: dict[str, Any] = {
        "name": str(form.get("name", "")).strip(), "decision": str(form.get("decision", "")).strip(),
        "level": form.get("level", ""), "funder": str(form.get("funder", "")).strip(),
        "budget_vnd": whole("budget_vnd", required=True, money=True),
        "valid_from": str(form.get("valid_from", "")).strip() or None,
        "valid_to": str(form.get("valid_to", "")).strip() or None,
        "support_percent": whole("support_percent", required=True),
        "max_booths_per_exhibitor": whole("max_booths_per_exhibitor", required=True),
        "base": form.get("base") or "gross", "cscnnt_only": form.get("cscnnt_only") == "on",
        "eligible_kinds": list(form.get("eligible_kinds", [])),
        "eligible_provinces": list(form.get("eligible_provinces", [])),
        "eligible_communes": _COMMUNE.findall(str(form.get("eligible_communes", ""))),
        "fair_ids": list(form.get("fair_ids", [])),
    }
    if body["level"] not in ("national", "local"):  # a required choice: never pre-selected, so asked for here
        errors.add("level", "Vui lòng chọn cấp kinh phí.", "Please choose the level of funding.")
    cap = whole("cap_per_booth_vnd", required=False, money=True)
    if cap is not None:
        body["cap_per_booth_vnd"] = cap
    if body["level"] == "local" and form.get("funding_province_code"):
        body["funding_province_code"] = form["funding_province_code"]
    if errors:
        errors.title, errors.title_en = "Vui lòng kiểm tra lại thông tin", "Please check the form"
    return body, errors


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


@dataclass(frozen=True)
class Bar:
    """One bar of the budget chart."""

    key: str
    vi: str
    en: str
    amount: int
    width: float
    percent: int


CHART_WIDTH = 360  # the bars' length in SVG units for the largest amount


def budget_bars(report: dict[str, Any]) -> list[Bar]:
    """Budget, committed, paid, released and remaining, scaled to the largest of them."""
    rows = (("budget", "Ngân sách", "Budget"), ("committed", "Đã cam kết", "Committed"),
            ("paid", "Đã giải ngân", "Paid out"), ("released", "Đã hoàn lại", "Released"),
            ("remaining", "Còn lại", "Remaining"))
    amounts = {key: max(int(report.get(f"{key}_vnd") or 0), 0) for key, _, _ in rows}
    largest = max(amounts.values()) or 1
    budget = amounts["budget"] or 1
    return [Bar(key, vi, en, amounts[key], round(CHART_WIDTH * amounts[key] / largest, 1),
                round(100 * amounts[key] / budget)) for key, vi, en in rows]


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
