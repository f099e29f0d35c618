"""The organizer's billing forms: a payment received, a new subsidy programme; amounts typed the Vietnamese way."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from services.portal.domain.forms import CHECK_FORM, FormErrors, by_code

PAYMENT_FIELDS = ("amount_vnd", "method", "reference", "received_on")
REVERSAL_FIELDS = ("reason", "confirm")
PROGRAMME_FIELDS = ("name", "decision", "level", "funder", "funding_province_code", "budget_vnd", "valid_from",
                    "valid_to", "support_percent", "cap_per_booth_vnd", "max_booths_per_exhibitor", "base",
                    "cscnnt_only", "eligible_kinds", "eligible_provinces", "eligible_communes", "fair_ids")
_MONEY_NOISE = re.compile(r"[\s.,_₫đĐ]|VND|vnd")
_COMMUNE = re.compile(r"\d{5}")


def parse_vnd(raw: str) -> int | None:
    """"10.800.000", "10 800 000 ₫" or "10800000" → 10800000; None when it is not a whole amount."""
    cleaned = _MONEY_NOISE.sub("", raw.strip())
    return int(cleaned) if cleaned.isdigit() else None


def is_overdue(invoice: dict[str, Any], today: date) -> bool:
    """Marked overdue by billing, or past its due date and not yet paid (the check runs hourly)."""
    if invoice.get("status") == "overdue":
        return True
    try:
        due = date.fromisoformat(str(invoice.get("due_on")))
    except ValueError:
        return False
    return invoice.get("status") == "issued" and due < today


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


# ---- the centre's payment account and term (billing's invoice settings)

SETTINGS_FIELDS = ("bank_bin", "bank_account", "bank_account_name", "due_in_days")
KEPT = ("form", "with_tax_authority_code", "type_letter", "series")  # set elsewhere; sent back unchanged
_ACCOUNT = re.compile(r"^[0-9A-Za-z]{1,19}$")
_BIN = re.compile(r"^\d{6}$")


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


def settings_form(settings: dict[str, Any]) -> dict[str, str]:
    """The settings form filled from billing's current settings."""
    days = settings.get("due_in_days")
    return {"bank_bin": str(settings.get("bank_bin") or ""), "bank_account": str(settings.get("bank_account") or ""),
            "bank_account_name": str(settings.get("bank_account_name") or ""),
            "due_in_days": "" if days is None else str(days)}


def reversal_body(form: dict[str, str]) -> tuple[dict[str, Any], FormErrors]:
    """Billing's body to reverse a payment: a reason, and the organizer's explicit confirmation (no script)."""
    errors = FormErrors()
    reason = " ".join(form.get("reason", "").split())
    if not reason:
        errors.add("reason", "Hãy nêu lý do huỷ khoản thu.", "Give the reason for reversing the payment.")
    elif len(reason) > 500:
        errors.add("reason", "Lý do dài quá 500 ký tự.", "The reason is longer than 500 characters.")
    if form.get("confirm") != "yes":
        errors.add("confirm", "Hãy đánh dấu ô xác nhận để huỷ khoản thu.", "Tick the box to confirm the reversal.")
    if errors:
        errors.title, errors.title_en = "Chưa huỷ được khoản thu", "The payment was not reversed"
    return {"reason": reason}, errors
