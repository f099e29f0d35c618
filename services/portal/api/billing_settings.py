"""The centre's payment settings page: the bank account exhibitors transfer to (shown with its VietQR code on
their invoices) and the payment term. Billing keeps them (`GET`/`PUT /invoice-settings`, a whole document):
the portal reads the current settings and sends them back with the changed fields, so the invoice form and
symbol set elsewhere are kept."""

from __future__ import annotations

import re
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.adapters.backend import Backend
from services.portal.api.deps import backend, form_of, organizer_session
from services.portal.api.pages import BANKS
from services.portal.api.views import render
from services.portal.domain.errors import ServiceProblem, checked_id
from services.portal.domain.forms import CHECK_FORM, FormErrors

log = structlog.get_logger()

BackendDep = Annotated[Backend, Depends(backend)]
billing_settings = APIRouter(prefix="/organizer/billing/settings", tags=["billing pages"], include_in_schema=False)

FIELDS = ("bank_bin", "bank_account", "bank_account_name", "due_in_days")
KEPT = ("form", "with_tax_authority_code", "type_letter", "series")  # set elsewhere; sent back unchanged
_ACCOUNT = re.compile(r"^[0-9A-Za-z]{1,19}$")
_BIN = re.compile(r"^\d{6}$")


def _params(request: Request) -> dict[str, str]:
    """An admin names the centre (`?centre_id=`); an organizer's is its own."""
    centre = request.query_params.get("centre_id")
    return {"centre_id": checked_id(centre)} if centre else {}


def settings_body(form: dict[str, str], current: dict[str, Any]) -> tuple[dict[str, Any], FormErrors]:
    """Billing's InvoiceSettingsBody: the current settings with the form's fields, or every mistake at once."""
    errors = FormErrors()
    bank_bin, account = form.get("bank_bin", "").strip(), re.sub(r"[\s.-]", "", form.get("bank_account", ""))
    name = " ".join(form.get("bank_account_name", "").split())
    if bank_bin and not _BIN.fullmatch(bank_bin):
        errors.add("bank_bin", "Vui lòng chọn ngân hàng trong danh sách.", "Please choose a bank from the list.")
    if account and not _ACCOUNT.fullmatch(account):
        errors.add("bank_account", "Số tài khoản gồm chữ số và chữ cái, tối đa 19 ký tự.",
                   "An account number has digits and letters, at most 19.")
    if len(name) > 100:
        errors.add("bank_account_name", "Quá dài (tối đa 100 ký tự).", "Too long (at most 100 characters).")
    if (bank_bin or account or name) and not bank_bin:
        errors.add("bank_bin", "Vui lòng chọn ngân hàng.", "Please choose the bank.")
    if (bank_bin or account or name) and not account:
        errors.add("bank_account", "Vui lòng nhập số tài khoản.", "Please enter the account number.")
    if (bank_bin or account) and not name:
        errors.add("bank_account_name", "Vui lòng nhập tên chủ tài khoản.", "Please enter the account holder's name.")
    raw_days = form.get("due_in_days", "").strip()
    days: int | None = None
    if raw_days:
        days = int(raw_days) if raw_days.isdigit() else None
        if days is None or days > 365:
            errors.add("due_in_days", "Vui lòng nhập số ngày từ 0 đến 365.", "Please enter a number of days, 0 to 365.")
    if errors:
        errors.title, errors.title_en = CHECK_FORM
    body = {k: current[k] for k in KEPT if k in current}
    body.update(bank_bin=bank_bin, bank_account=account, bank_account_name=name, due_in_days=days)
    return body, errors


def _form_of(settings: dict[str, Any]) -> dict[str, str]:
    days = settings.get("due_in_days")
    return {"bank_bin": str(settings.get("bank_bin") or ""), "bank_account": str(settings.get("bank_account") or ""),
            "bank_account_name": str(settings.get("bank_account_name") or ""),
            "due_in_days": "" if days is None else str(days)}


def _page(request: Request, settings: dict[str, Any], form: dict[str, str], *, errors: FormErrors | None = None,
          saved: bool = False, status_code: int = 200) -> Response:
    banks = dict(BANKS)
    if form.get("bank_bin") and form["bank_bin"] not in banks:
        banks[form["bank_bin"]] = form["bank_bin"]  # a bank outside the short list keeps its BIN
    return render(request, "billing/settings.html", {
        "settings": settings, "form": form, "errors": errors or FormErrors(), "saved": saved,
        "banks": sorted(banks.items(), key=lambda b: b[1].lower()), "labels": LABELS}, status_code=status_code)


LABELS = {"bank_bin": ("Ngân hàng", "Bank"), "bank_account": ("Số tài khoản", "Account number"),
          "bank_account_name": ("Chủ tài khoản", "Account holder"),
          "due_in_days": ("Hạn thanh toán (ngày)", "Payment term (days)")}


@billing_settings.get("", response_class=HTMLResponse, summary="The centre's bank account and payment term (organizer)")
async def read_billing_settings(request: Request, api: BackendDep) -> Response:
    _, token = organizer_session(request)
    settings = await api.get("billing", "/invoice-settings", token=token, params=_params(request))
    return _page(request, settings, _form_of(settings), saved=request.query_params.get("done") == "saved")


@billing_settings.post("", summary="Set the centre's bank account and payment term (organizer)")
async def set_billing_settings(request: Request, api: BackendDep) -> Response:
    _, token = organizer_session(request)
    params = _params(request)
    current = await api.get("billing", "/invoice-settings", token=token, params=params)
    form = await form_of(request)
    body, errors = settings_body(form, current)
    if errors:
        return _page(request, current, form, errors=errors, status_code=422)
    try:
        query = f"?centre_id={params['centre_id']}" if params else ""  # an id checked to be URL-safe
        await api.put("billing", f"/invoice-settings{query}", token=token, json=body)
    except ServiceProblem as problem:
        if problem.status not in (409, 422):
            raise
        return _page(request, current, form, errors=FormErrors.from_problem(problem, FIELDS),
                     status_code=problem.status)
    log.info("portal.invoice_settings_saved", centre_id=current.get("centre_id"))
    back = f"&centre_id={params['centre_id']}" if params else ""
    return RedirectResponse(f"/organizer/billing/settings?done=saved{back}", status_code=303)
