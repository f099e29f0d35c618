"""HTML forms: reading what the user typed, and putting a service's field errors back next to the fields."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from services.portal.domain.errors import ServiceProblem

# Pydantic's error types, in Vietnamese and English; `{n}` is the limit read from the English message.
_BY_CODE: dict[str, tuple[str, str]] = {
    "missing": ("Vui lòng nhập trường này.", "Please fill in this field."),
    "int_parsing": ("Vui lòng nhập một số nguyên.", "Please enter a whole number."),
    "int_type": ("Vui lòng nhập một số nguyên.", "Please enter a whole number."),
    "int_from_float": ("Vui lòng nhập một số nguyên.", "Please enter a whole number."),
    "greater_than": ("Phải lớn hơn {n}.", "Must be greater than {n}."),
    "greater_than_equal": ("Phải lớn hơn hoặc bằng {n}.", "Must be at least {n}."),
    "less_than": ("Phải nhỏ hơn {n}.", "Must be less than {n}."),
    "less_than_equal": ("Không được lớn hơn {n}.", "Must be at most {n}."),
    "string_too_short": ("Quá ngắn (tối thiểu {n} ký tự).", "Too short (at least {n} characters)."),
    "string_too_long": ("Quá dài (tối đa {n} ký tự).", "Too long (at most {n} characters)."),
    "too_short": ("Cần ít nhất {n} mục.", "At least {n} items are needed."),
    "too_long": ("Nhiều nhất {n} mục.", "At most {n} items."),
    "extra_forbidden": ("Trường không được phép.", "This field is not allowed."),
}
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
CHECK_FORM = ("Vui lòng kiểm tra lại thông tin", "Please check the form")


class Text(str):
    """A message: its value is the Vietnamese, `en` its English (the Vietnamese again when none was written).

    A `str`, so templates, joins and comparisons keep working; `FormErrors.in_language` picks the English.
    """

    en: str

    def __new__(cls, vi: str, en: str = "") -> Text:
        text = super().__new__(cls, vi)
        text.en = en or vi
        return text

    def prefixed(self, vi: str, en: str) -> Text:
        """The message after a prefix ("Dòng 3: " / "Line 3: ")."""
        return Text(vi + self, en + self.en)


def in_language(message: str, lang: str) -> str:
    """The message in the reader's language (a plain string has only one)."""
    return message.en if lang == "en" and isinstance(message, Text) else str(message)


def split_title(text: str) -> tuple[str, str]:
    """"Vietnamese / English" → both halves (the English may be empty)."""
    vi, _, en = text.partition(" / ")
    return vi.strip(), en.strip()


def split_detail(text: str) -> tuple[str, str]:
    """A service's detail as (Vietnamese, English): "Vietnamese / English" split; a one-language detail (the
    kernel's are English, e.g. a role check's) kept for its own language only, told by its letters (Vietnamese
    writing has letters outside ASCII), so that no page shows the other language's words."""
    if " / " in text:
        return split_title(text)
    if any(ch.isalpha() and not ch.isascii() for ch in text):
        return text.strip(), ""
    return "", text.strip()


def bilingual(text: str) -> Text:
    """A service's "Vietnamese / English" text as a message."""
    return Text(*split_title(text))


def by_code(code: str, n: str = "") -> Text:
    """The portal's wording of a pydantic error type (the code must be known)."""
    vi, en = _BY_CODE[code]
    return Text(vi.format(n=n), en.format(n=n))


def message_of(error: dict[str, Any]) -> Text:
    """The message of one field error of a problem+json document, in Vietnamese and English."""
    message = str(error.get("message") or "")
    code = str(error.get("code") or "")
    if code in _BY_CODE:
        numbers = _NUMBER.findall(message)
        return by_code(code, numbers[-1] if numbers else "")
    if " / " in message:  # the services write "Vietnamese / English"
        return bilingual(message)
    return Text(message) if message else Text("Giá trị không hợp lệ.", "Invalid value.")


vietnamese = message_of  # its former name


@dataclass
class FormErrors:
    """What went wrong with a submitted form: a heading, messages by field, and the rest."""

    title: str = ""
    title_en: str = ""
    fields: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.title or self.fields or self.general)

    def add(self, name: str, message: str, en: str = "") -> None:
        """A message next to one field (`en`: its English, when `message` is a plain Vietnamese string)."""
        self.fields.setdefault(name, []).append(Text(message, en) if en else message)

    def note(self, message: str, en: str = "") -> None:
        """A message above the form."""
        self.general.append(Text(message, en) if en else message)

    def in_language(self, lang: str) -> FormErrors:
        """The same errors as the reader reads them: in English only the English (the heading too)."""
        if lang != "en":
            return self
        return FormErrors(title=self.title_en or self.title, title_en="",
                          fields={k: [in_language(m, lang) for m in v] for k, v in self.fields.items()},
                          general=[in_language(m, lang) for m in self.general])

    @classmethod
    def from_problem(cls, problem: ServiceProblem, form_fields: Iterable[str]) -> FormErrors:
        """Sort a problem's errors onto the form's fields; the others go above the form."""
        title, title_en = split_title(problem.title)
        errors = cls(title=title, title_en=title_en)
        known = set(form_fields)
        for error in problem.errors:
            name = str(error.get("field") or "").split(".")[0]
            if name in known:
                errors.add(name, message_of(error))
            else:
                errors.general.append(message_of(error))
        if problem.detail and not problem.errors:
            errors.general.append(bilingual(problem.detail))
        if any(title in messages for messages in errors.fields.values()):
            # The rule's message already stands next to its field; the heading need not repeat it.
            errors.title, errors.title_en = CHECK_FORM
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
        errors.add("booths_requested", by_code("int_parsing" if raw else "missing"))
    if errors:
        errors.title, errors.title_en = "Dữ liệu không hợp lệ", "Invalid input"
    products = [line.strip() for line in form.get("products", "").splitlines() if line.strip()]
    body = {"booths_requested": booths, "sector": form.get("sector", "").strip(), "products": products}
    return body, errors


RESUBMIT_FIELDS = (*REGISTRATION_FIELDS, "zone")


def form_from_registration(registration: dict[str, Any]) -> dict[str, str]:
    """The form's values from the registration as it was sent."""
    return {"booths_requested": str(registration.get("booths_requested") or ""),
            "sector": str(registration.get("sector") or ""), "zone": str(registration.get("zone") or ""),
            "products": "\n".join(str(p) for p in registration.get("products") or [])}


def resubmit_body(form: dict[str, str], fair: dict[str, Any] | None) -> tuple[dict[str, Any], FormErrors]:
    """The JSON body of registration's `RegistrationUpdate`: every field of the form, the zone if the fair has any."""
    body, errors = registration_body(form)
    if isinstance(fair, dict) and fair.get("zones"):
        body["zone"] = form.get("zone", "").strip()
    return body, errors
