"""HTML forms: reading what the user typed, and putting a service's field errors back next to the fields."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from services.portal.backend import ServiceProblem

# Pydantic's error types, in Vietnamese; `{n}` is the limit read from the English message.
_BY_CODE = {
    "missing": "Vui lòng nhập trường này.",
    "int_parsing": "Vui lòng nhập một số nguyên.",
    "int_type": "Vui lòng nhập một số nguyên.",
    "int_from_float": "Vui lòng nhập một số nguyên.",
    "greater_than": "Phải lớn hơn {n}.",
    "greater_than_equal": "Phải lớn hơn hoặc bằng {n}.",
    "less_than": "Phải nhỏ hơn {n}.",
    "less_than_equal": "Không được lớn hơn {n}.",
    "string_too_short": "Quá ngắn (tối thiểu {n} ký tự).",
    "string_too_long": "Quá dài (tối đa {n} ký tự).",
    "too_short": "Cần ít nhất {n} mục.",
    "too_long": "Nhiều nhất {n} mục.",
    "extra_forbidden": "Trường không được phép.",
}
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def split_title(text: str) -> tuple[str, str]:
    """"Vietnamese / English" → both halves (the English may be empty)."""
    vi, _, en = text.partition(" / ")
    return vi.strip(), en.strip()


def vietnamese(error: dict[str, Any]) -> str:
    """The message of one field error, in Vietnamese."""
    message = str(error.get("message") or "")
    template = _BY_CODE.get(str(error.get("code") or ""))
    if template:
        numbers = _NUMBER.findall(message)
        return template.format(n=numbers[-1] if numbers else "")
    if " / " in message:  # the services write "Vietnamese / English"
        return split_title(message)[0]
    return message or "Giá trị không hợp lệ."


@dataclass
class FormErrors:
    """What went wrong with a submitted form: a heading, messages by field, and the rest."""

    title: str = ""
    title_en: str = ""
    fields: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.title or self.fields or self.general)

    def add(self, name: str, message: str) -> None:
        """A message next to one field."""
        self.fields.setdefault(name, []).append(message)

    @classmethod
    def from_problem(cls, problem: ServiceProblem, form_fields: Iterable[str]) -> FormErrors:
        """Sort a problem's errors onto the form's fields; the others go above the form."""
        title, title_en = split_title(problem.title)
        errors = cls(title=title, title_en=title_en)
        known = set(form_fields)
        for error in problem.errors:
            name = str(error.get("field") or "").split(".")[0]
            if name in known:
                errors.add(name, vietnamese(error))
            else:
                errors.general.append(vietnamese(error))
        if problem.detail and not problem.errors:
            errors.general.append(split_title(problem.detail)[0])
        if any(title in messages for messages in errors.fields.values()):
            # The rule's message already stands next to its field; the heading need not repeat it.
            errors.title, errors.title_en = "Vui lòng kiểm tra lại thông tin", "Please check the form"
        return errors


REGISTRATION_FIELDS = ("booths_requested", "sector", "products")


def registration_body(form: dict[str, str]) -> tuple[dict[str, Any], FormErrors]:
    """The JSON body for registration's `RegistrationCreate`, or the portal's own errors."""
    errors = FormErrors()
    raw = form.get("booths_requested", "").strip()
    booths: int | None = None
    try:
        booths = int(raw)
    except ValueError:
        errors.add("booths_requested", _BY_CODE["int_parsing"] if raw else _BY_CODE["missing"])
    if errors:
        errors.title = "Dữ liệu không hợp lệ"
        errors.title_en = "Invalid input"
    products = [line.strip() for line in form.get("products", "").splitlines() if line.strip()]
    body = {"booths_requested": booths, "sector": form.get("sector", "").strip(), "products": products}
    return body, errors
