"""The centre's payment settings page: the bank account exhibitors transfer to (shown with its VietQR code on
their invoices) and the payment term. Billing keeps them (`GET`/`PUT /invoice-settings`, a whole document):
the portal reads the current settings and sends them back with the changed fields, so the invoice form and
symbol set elsewhere are kept."""

from __future__ import annotations

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.adapters.backend import Backend
from services.portal.api.deps import backend, form_of, organizer_session
from services.portal.api.views import render
from services.portal.domain.billing_forms import SETTINGS_FIELDS, settings_body, settings_form
from services.portal.domain.display import BANKS
from services.portal.domain.errors import ServiceProblem, checked_id
from services.portal.domain.forms import FormErrors

log = structlog.get_logger()

BackendDep = Annotated[Backend, Depends(backend)]
billing_settings = APIRouter(prefix="/organizer/billing/settings", tags=["billing pages"], include_in_schema=False)

def _params(request: Request) -> dict[str, str]:
    """An admin names the centre (`?centre_id=`); an organizer's is its own."""
    centre = request.query_params.get("centre_id")
    return {"centre_id": checked_id(centre)} if centre else {}


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
    return _page(request, settings, settings_form(settings), saved=request.query_params.get("done") == "saved")


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
        return _page(request, current, form, errors=FormErrors.from_problem(problem, SETTINGS_FIELDS),
                     status_code=problem.status)
    log.info("portal.invoice_settings_saved", centre_id=current.get("centre_id"))
    back = f"&centre_id={params['centre_id']}" if params else ""
    return RedirectResponse(f"/organizer/billing/settings?done=saved{back}", status_code=303)
