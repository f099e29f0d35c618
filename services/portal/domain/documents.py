"""Documents on the portal's pages, pure: document types and their states in words, a fair's requirements as a
grid of checkboxes (read back from the form), a registration's documents as rows, the upload's errors, and each
review queue row's documents counted in words."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from services.portal.domain.errors import ServiceProblem
from services.portal.domain.forms import FormErrors
from shared.contracts.registration import EXHIBITOR_KIND_LABELS, EXHIBITOR_KINDS

STATES: dict[str, tuple[str, str]] = {
    "missing": ("Chưa nộp", "Not uploaded"),
    "pending": ("Chờ ban tổ chức xem xét", "Waiting for review"),
    "accepted": ("Đã chấp nhận", "Accepted"),
    "replace_requested": ("Cần nộp bản mới", "A new one is asked for"),
}
# The biggest upload the portal passes on; the registration service applies its own, smaller limit.
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
UPLOAD_FIELDS = ("doc_type", "file")


@dataclass(frozen=True)
class DocType:
    code: str
    label: tuple[str, str]
    for_recognised_products: bool


def doc_types(catalogue: Any) -> list[DocType]:
    """The registration service's catalogue of document types (`GET /document-types`)."""
    rows = catalogue.get("data", []) if isinstance(catalogue, dict) else []
    return [DocType(str(r.get("code")), (str(r.get("label_vi")), str(r.get("label_en"))),
                    bool(r.get("for_recognised_products"))) for r in rows if isinstance(r, dict) and r.get("code")]


def label_of(types: Iterable[DocType], code: str) -> tuple[str, str]:
    """A type's name (its code when the catalogue could not be read)."""
    return next((t.label for t in types if t.code == code), (code, code))


def field_name(kind: str, code: str) -> str:
    """The checkbox of one (kind, type) cell of the requirements grid."""
    return f"req-{kind}-{code}"


@dataclass(frozen=True)
class GridRow:
    kind: str
    label: tuple[str, str]
    cells: list[tuple[str, str, bool]]  # (type code, checkbox name, ticked)


def requirements_grid(types: list[DocType], requirements: Mapping[str, Iterable[str]]) -> list[GridRow]:
    """One row per exhibitor kind, one ticked or not checkbox per document type."""
    return [GridRow(kind, EXHIBITOR_KIND_LABELS[kind],
                    [(t.code, field_name(kind, t.code), t.code in set(requirements.get(kind, ()))) for t in types])
            for kind in EXHIBITOR_KINDS]


def requirements_from_form(types: list[DocType], form: Mapping[str, str]) -> dict[str, list[str]]:
    """The ticked cells as the registration service's body: kind → document types."""
    return {kind: [t.code for t in types if form.get(field_name(kind, t.code))] for kind in EXHIBITOR_KINDS}


def document_rows(types: list[DocType], standing: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A registration's documents for a page: (required, each with its document or none; other documents)."""
    if not isinstance(standing, dict):
        return [], []
    documents = {str(d.get("doc_type")): d for d in standing.get("data", []) if isinstance(d, dict)}
    required = []
    for row in standing.get("required", []):
        code = str(row.get("doc_type"))
        required.append({"code": code, "label": label_of(types, code), "state": str(row.get("state")),
                         "state_words": STATES.get(str(row.get("state")), ("—", "—")),
                         "document": documents.get(code)})
    named = {r["code"] for r in required}
    others = [{"code": code, "label": label_of(types, code), "state": str(d.get("status")),
               "state_words": STATES.get(str(d.get("status")), ("—", "—")), "document": d}
              for code, d in documents.items() if code not in named]
    return required, others


def upload_errors(problem: ServiceProblem | None = None, *, missing_file: bool = False,
                  missing_type: bool = False) -> FormErrors:
    """An upload's refusal, next to the field it names (the file, the document type)."""
    if problem is None:
        errors = FormErrors(title="Chưa tải lên được", title_en="Nothing was uploaded")
        if missing_type:
            errors.add("doc_type", "Vui lòng chọn loại giấy tờ.", "Please choose the document type.")
        if missing_file:
            errors.add("file", "Vui lòng chọn tệp PDF, JPEG hoặc PNG.", "Please choose a PDF, JPEG or PNG file.")
        return errors
    errors = FormErrors.from_problem(problem, UPLOAD_FIELDS)
    if problem.status == 413 and "file" not in errors.fields:
        errors.add("file", "Tệp quá lớn.", "The file is too large.")
    return errors


def too_big(size: int) -> FormErrors:
    """A file the portal itself will not pass on."""
    errors = FormErrors(title="Chưa tải lên được", title_en="Nothing was uploaded")
    mib = MAX_UPLOAD_BYTES // (1024 * 1024)
    errors.add("file", f"Tệp quá lớn ({size // 1024} KB); tối đa {mib} MB.",
               f"The file is too large ({size // 1024} KB); at most {mib} MB.")
    return errors


@dataclass(frozen=True)
class QueueDocuments:
    """A review queue row's documents in words: how many of the required are accepted (`2/3 giấy tờ đã chấp
    nhận`), what the rest are waiting for, and whether the documents allow an approval."""

    headline: tuple[str, str]
    details: list[tuple[str, str]]
    ready: bool


TALLY_WORDS: tuple[tuple[str, str, str], ...] = (
    ("pending", "chờ xem xét", "waiting for review"),
    ("replace_requested", "cần nộp bản mới", "a new one asked for"),
    ("missing", "chưa nộp", "not uploaded"),
)


def queue_documents(tallies: Any) -> dict[str, QueueDocuments]:
    """Each registration's documents in words, by registration id, from the registration service's
    `GET /fairs/{id}/document-tallies` (empty when it could not be read: the queue shows no column then)."""
    rows = tallies.get("data", []) if isinstance(tallies, dict) else []
    found: dict[str, QueueDocuments] = {}
    for row in rows:
        if not isinstance(row, dict) or not row.get("registration_id"):
            continue
        required, accepted = int(row.get("required") or 0), int(row.get("accepted") or 0)
        if required == 0:
            found[str(row["registration_id"])] = QueueDocuments(
                ("Không yêu cầu giấy tờ", "No documents required"), [], True)
            continue
        details = [(f"{row[key]} {vi}", f"{row[key]} {en}") for key, vi, en in TALLY_WORDS if int(row.get(key) or 0)]
        found[str(row["registration_id"])] = QueueDocuments(
            (f"{accepted}/{required} giấy tờ đã chấp nhận",
             f"{accepted} of {required} document{'s' if required > 1 else ''} accepted"),
            details, accepted >= required)
    return found
