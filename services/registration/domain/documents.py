"""Documents an exhibitor attaches to a registration, pure: the catalogue of document types, a fair's requirements
per exhibitor kind, what a file may be, the review of each document, and what is missing before an approval.

The rule for approving: every document the fair requires of the exhibitor's kind must be **accepted** by the
organizer. A document still waiting for review (`pending`) or sent back (`replace_requested`) does not count: an
approval on an unread certificate would approve blind. The decision recognising a CNNT tiêu biểu product
(`cscnnt_product_decision`) is required only of a registration that names a recognised product of the profile (it
is what proves the product's priority points); a registration naming none is not asked for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from shared.errors import Invalid, Rejected


@dataclass(frozen=True)
class DocumentType:
    """A kind of document an organizer may require: its code and how users read it (Vietnamese, English)."""

    code: str
    label_vi: str
    label_en: str
    # Required only of a registration naming a recognised (CNNT tiêu biểu) product of the profile.
    for_recognised_products: bool = False


DOCUMENT_TYPES: tuple[DocumentType, ...] = (
    DocumentType("business_registration", "Giấy chứng nhận đăng ký doanh nghiệp / hộ kinh doanh",
                 "Business registration certificate"),
    DocumentType("cooperative_registration", "Giấy chứng nhận đăng ký hợp tác xã",
                 "Cooperative registration certificate"),
    DocumentType("cooperation_contract", "Hợp đồng hợp tác của tổ hợp tác", "Cooperative group's contract"),
    DocumentType("cscnnt_product_decision", "Quyết định công nhận sản phẩm công nghiệp nông thôn tiêu biểu",
                 "Decision recognising a rural industrial product (CNNT tiêu biểu)", for_recognised_products=True),
    DocumentType("food_safety_certificate", "Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm",
                 "Food safety certificate"),
    DocumentType("ocop_certificate", "Giấy chứng nhận sản phẩm OCOP", "OCOP product certificate"),
    DocumentType("product_quality_declaration", "Bản tự công bố chất lượng sản phẩm",
                 "Product quality self-declaration"),
)
DOCUMENT_TYPE_BY_CODE: dict[str, DocumentType] = {t.code: t for t in DOCUMENT_TYPES}

# What a file may be, by its content (magic bytes), never by its name or the type the client claims.
ALLOWED_MEDIA_TYPES: dict[str, str] = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
DEFAULT_MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_FILENAME_CHARS = 200


class DocumentStatus(StrEnum):
    """Where a document is in its review."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REPLACE_REQUESTED = "replace_requested"


def check_requirements(requirements: Mapping[str, Iterable[str]], kinds: Iterable[str]) -> dict[str, list[str]]:
    """A fair's requirements, checked: each key an exhibitor kind, each value known document types (no repeats).
    Returns them normalised (kinds with no document left out, types in the catalogue's order); a mistake is a 422
    naming the field (`requirements.<kind>` or `requirements.<kind>.<i>`)."""
    known_kinds = set(kinds)
    order = {t.code: i for i, t in enumerate(DOCUMENT_TYPES)}
    checked: dict[str, list[str]] = {}
    for kind, codes in requirements.items():
        if kind not in known_kinds:
            raise Invalid(f"Loại hình '{kind}' không có / unknown exhibitor kind '{kind}' "
                          f"(known: {', '.join(sorted(known_kinds))})", code="unknown-kind",
                          field=f"requirements.{kind}")
        listed = list(codes)
        for index, code in enumerate(listed):
            if code not in DOCUMENT_TYPE_BY_CODE:
                raise Invalid(f"Loại giấy tờ '{code}' không có / unknown document type '{code}'",
                              code="unknown-document-type", field=f"requirements.{kind}.{index}")
            if listed.index(code) != index:
                raise Invalid(f"Giấy tờ '{code}' bị lặp / document type '{code}' listed twice",
                              code="duplicate-document-type", field=f"requirements.{kind}.{index}")
        if listed:
            checked[kind] = sorted(listed, key=order.__getitem__)
    return checked


def required_of(requirements: Mapping[str, Iterable[str]], kind: str, *, names_recognised_product: bool) -> list[str]:
    """The document types a registration must have accepted: its kind's, less the CNNT decision when the
    registration names no recognised product."""
    return [code for code in requirements.get(kind, ())
            if code in DOCUMENT_TYPE_BY_CODE
            and (names_recognised_product or not DOCUMENT_TYPE_BY_CODE[code].for_recognised_products)]


@dataclass(frozen=True)
class Outstanding:
    """A required document not accepted yet, and why: `missing` (none uploaded), `pending` (waiting for review)
    or `replace_requested` (the organizer asked for a new one)."""

    doc_type: str
    state: str


def outstanding(required: Iterable[str], statuses: Mapping[str, str]) -> list[Outstanding]:
    """Required documents not accepted (`statuses`: the current document's status by type)."""
    return [Outstanding(code, statuses.get(code, "missing")) for code in required
            if statuses.get(code) != DocumentStatus.ACCEPTED]


@dataclass(frozen=True)
class Tally:
    """How far a registration's required documents are: how many it needs, and how many are accepted, waiting for
    review, sent back or not uploaded (what the review queue shows on each row)."""

    required: int
    accepted: int
    pending: int
    replace_requested: int
    missing: int

    @property
    def complete(self) -> bool:
        """Every required document accepted: the documents do not hold its approval back."""
        return self.accepted == self.required


def tally(required: Iterable[str], statuses: Mapping[str, str]) -> Tally:
    """Count the required documents by where they stand (`statuses`: the current document's status by type)."""
    states = [statuses.get(code, "missing") for code in required]
    return Tally(required=len(states), accepted=states.count(DocumentStatus.ACCEPTED),
                 pending=states.count(DocumentStatus.PENDING),
                 replace_requested=states.count(DocumentStatus.REPLACE_REQUESTED), missing=states.count("missing"))


STATE_WORDS: dict[str, tuple[str, str]] = {
    "missing": ("chưa nộp", "not uploaded"),
    DocumentStatus.PENDING: ("chờ xem xét", "waiting for review"),
    DocumentStatus.REPLACE_REQUESTED: ("cần nộp lại", "a new one was asked for"),
    DocumentStatus.ACCEPTED: ("đã chấp nhận", "accepted"),
}


def check_complete(required: Iterable[str], statuses: Mapping[str, str]) -> None:
    """Refuse an approval while a required document is not accepted (409, naming each one and why)."""
    left = outstanding(required, statuses)
    if not left:
        return
    vi = "; ".join(f"{DOCUMENT_TYPE_BY_CODE[o.doc_type].label_vi} ({STATE_WORDS[o.state][0]})" for o in left)
    en = "; ".join(f"{DOCUMENT_TYPE_BY_CODE[o.doc_type].label_en} ({STATE_WORDS[o.state][1]})" for o in left)
    raise Rejected(f"Chưa đủ giấy tờ được chấp nhận: {vi} / required documents not accepted: {en}",
                   code="documents-missing", field="documents")


def check_file(*, size: int, detected: str | None, max_bytes: int) -> str:
    """A file's content, judged: the media type detected from its bytes, if it is one of PDF, JPEG or PNG and
    within the size limit (`size`, `detected`: what the content is, found by its magic bytes). Returns the media
    type; 413 for a file too big, 422 for an empty one or another type, both naming the field `file`."""
    if size > max_bytes:
        raise Rejected(f"Tệp quá lớn: {size} byte, tối đa {max_bytes} byte / file too large: {size} bytes, "
                       f"at most {max_bytes}", code="file-too-large", field="file", status=413)
    if size == 0:
        raise Invalid("Tệp rỗng / the file is empty", code="empty-file", field="file")
    if detected not in ALLOWED_MEDIA_TYPES:
        vi = f"nội dung tệp là {detected}" if detected else "không nhận ra nội dung tệp"
        en = f"the content is {detected}" if detected else "the content is not recognised"
        raise Invalid(f"Chỉ nhận tệp PDF, JPEG hoặc PNG; {vi} / only PDF, JPEG or PNG files are accepted; {en}",
                      code="unsupported-file-type", field="file")
    return detected


def check_document_type(code: str) -> DocumentType:
    """A document type of the catalogue (422 naming `doc_type` otherwise)."""
    found = DOCUMENT_TYPE_BY_CODE.get(code)
    if found is None:
        raise Invalid(f"Loại giấy tờ '{code}' không có / unknown document type '{code}'",
                      code="unknown-document-type", field="doc_type")
    return found


def safe_filename(name: str | None, media_type: str) -> str:
    """The name the file is offered under: the client's, stripped of any path and control characters and cut
    short, with the extension of what the content is (a `.pdf` that is a PNG is offered as `.png`)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>:|?*;').strip(" .")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{(stem or 'tai-lieu')[:MAX_FILENAME_CHARS]}.{ALLOWED_MEDIA_TYPES[media_type]}"


def check_review(*, status: str, target: DocumentStatus, registration_live: bool) -> None:
    """A document is reviewed while its registration is live; it may move from any state to another (a mistaken
    acceptance is corrected by asking for a new one), but not to the state it is in (409: nothing would change)."""
    if not registration_live:
        raise Rejected("Hồ sơ đăng ký đã kết thúc / the registration is no longer live", code="registration-closed")
    if status == target:
        raise Rejected(f"Giấy tờ đã ở trạng thái này ({STATE_WORDS[target][0]}) / the document is already "
                       f"{STATE_WORDS[target][1]}", code="document-unchanged")
