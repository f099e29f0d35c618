"""Document use cases: a fair's requirements per exhibitor kind, uploading a registration's documents, reading
them (the owner, the fair's organizers, admins), reviewing them, and what an approval still waits for.

A file is written to the storage before its row is committed and never while a database session is open; a file
whose row did not commit is deleted again, and a replaced file is deleted after the replacement committed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import bindparam
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.registration.adapters.storage import Storage, StorageUnavailable, StoredFileMissing
from services.registration.domain import documents as rules
from services.registration.domain.documents import DocumentStatus
from services.registration.domain.fairs import FairStatus
from services.registration.domain.registrations import LIVE_REGISTRATION_STATES
from services.registration.models import DocumentRequirement, Exhibitor, Fair, Registration, RegistrationDocument
from services.registration.service import audit
from services.registration.service.common import (
    Actor,
    fair_not_found,
    fair_of_centre,
    is_exhibitor,
    owns_fair,
    registration_not_found,
)
from shared.contracts.registration import EXHIBITOR_KINDS
from shared.db import Database, utcnow
from shared.errors import NotFound, Rejected
from shared.principal import Principal
from shared.uow import new_id

log = structlog.get_logger()
Requirements = dict[str, list[str]]


def _store_down() -> Rejected:
    return Rejected("Kho lưu trữ giấy tờ tạm thời không phản hồi, vui lòng thử lại / the documents' store is "
                    "unavailable, try again", code="storage-unavailable", status=503)


def _document_not_found(document_id: str) -> NotFound:
    return NotFound(f"Không tìm thấy giấy tờ / document {document_id} not found", code="not-found")


# --- requirements -------------------------------------------------------------------------------------------------

# Built once (the ids are expanding parameters): every approval batch reads both.
_REQUIREMENTS = select(DocumentRequirement).where(
    col(DocumentRequirement.fair_id).in_(bindparam("fair_ids", expanding=True)))
_DOCUMENT_STATUSES = select(RegistrationDocument.registration_id, RegistrationDocument.doc_type,
                            RegistrationDocument.status).where(
    col(RegistrationDocument.registration_id).in_(bindparam("registration_ids", expanding=True)))


async def requirements_of(session: AsyncSession, fair_ids: Iterable[str]) -> dict[str, Requirements]:
    """Each fair's requirements: exhibitor kind → document types, in the catalogue's order."""
    ids = set(fair_ids)
    found: dict[str, Requirements] = {fair_id: {} for fair_id in ids}
    if not ids:
        return found
    order = {t.code: i for i, t in enumerate(rules.DOCUMENT_TYPES)}
    rows = (await session.exec(_REQUIREMENTS, params={"fair_ids": list(ids)})).all()
    for row in sorted(rows, key=lambda r: (r.kind, order.get(r.doc_type, 99))):
        found[row.fair_id].setdefault(row.kind, []).append(row.doc_type)
    return found


async def get_requirements(*, db: Database, principal: Principal | None, fair_id: str) -> Requirements:
    """A fair's requirements, seen as the fair is: published fairs publicly, drafts by their centre."""
    async with db.sessions() as session:
        fair = await session.get(Fair, fair_id)
        if fair is None or (fair.status == FairStatus.DRAFT and not (principal and owns_fair(principal, fair))):
            raise fair_not_found(fair_id)
        return (await requirements_of(session, [fair_id]))[fair_id]


async def set_requirements(*, db: Database, principal: Principal, fair_id: str,
                           requirements: dict[str, list[str]]) -> Requirements:
    """Replace every kind's required documents at one of the organizer's fairs (audited). Registrations already
    approved keep their approval; the next approval of any registration is checked against the new list."""
    checked = rules.check_requirements(requirements, EXHIBITOR_KINDS)
    async with db.unit_of_work() as uow:
        fair = await fair_of_centre(uow.session, fair_id, principal, lock=True)
        if fair.status in {FairStatus.FINISHED, FairStatus.CANCELLED}:
            raise Rejected(f"Hội chợ ở trạng thái '{fair.status}' không đổi yêu cầu giấy tờ / a {fair.status} fair's "
                           "required documents cannot change", code="fair-not-editable")
        before = (await requirements_of(uow.session, [fair.id]))[fair.id]
        await uow.session.exec(delete(DocumentRequirement).where(col(DocumentRequirement.fair_id) == fair.id))
        uow.session.add_all([DocumentRequirement(fair_id=fair.id, kind=kind, doc_type=code)
                             for kind, codes in checked.items() for code in codes])
        if before != checked:
            audit.record(uow.session, Actor.of(principal), "fair.documents_required", entity="fair",
                         entity_id=fair.id, fair_id=fair.id, changes={"requirements": [before, checked]})
    return checked


# --- a registration's documents -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Standing:
    """A registration's documents with what its fair requires of it and what is not accepted yet."""

    registration: Registration
    documents: list[RegistrationDocument]
    required: list[str]

    @property
    def statuses(self) -> dict[str, str]:
        return {d.doc_type: d.status for d in self.documents}

    def states(self) -> list[rules.Outstanding]:
        """Every required document and where it stands (accepted ones too)."""
        return [rules.Outstanding(code, self.statuses.get(code, "missing")) for code in self.required]

    def outstanding(self) -> list[rules.Outstanding]:
        return rules.outstanding(self.required, self.statuses)


def claims_recognition(registration: Registration) -> bool:
    """The registration earns points for a recognised (CNNT tiêu biểu) product: the decision proving it is due."""
    return any(str(r.get("code", "")).startswith("cnnt_") for r in registration.priority_reasons or [])


def required_for(requirements: Requirements, exhibitor: Exhibitor, registration: Registration) -> list[str]:
    """The document types this registration must have accepted."""
    return rules.required_of(requirements, exhibitor.kind, names_recognised_product=claims_recognition(registration))


async def _readable(session: AsyncSession, principal: Principal, registration_id: str) -> Registration:
    """The registration if the caller is its exhibitor, an organizer of its fair's centre or an admin (404 else)."""
    registration = await session.get(Registration, registration_id)
    if registration is not None:
        if is_exhibitor(principal, registration.exhibitor_id):
            return registration
        fair = await session.get(Fair, registration.fair_id)
        if fair is not None and owns_fair(principal, fair):
            return registration
    raise registration_not_found(registration_id)


async def standing_of(session: AsyncSession, registration: Registration) -> Standing:
    exhibitor = await session.get(Exhibitor, registration.exhibitor_id)
    assert exhibitor is not None  # a foreign key guarantees it
    requirements = (await requirements_of(session, [registration.fair_id]))[registration.fair_id]
    documents = (await session.exec(select(RegistrationDocument).where(
        RegistrationDocument.registration_id == registration.id))).all()
    order = {t.code: i for i, t in enumerate(rules.DOCUMENT_TYPES)}
    return Standing(registration, sorted(documents, key=lambda d: order.get(d.doc_type, 99)),
                    required_for(requirements, exhibitor, registration))


async def list_documents(*, db: Database, principal: Principal, registration_id: str) -> Standing:
    """A registration's documents and what its fair requires of it (its exhibitor, the fair's centre, admins)."""
    async with db.sessions() as session:
        return await standing_of(session, await _readable(session, principal, registration_id))


async def upload_document(*, db: Database, storage: Storage, principal: Principal, registration_id: str,
                          doc_type: str, filename: str | None, data: bytes, detected: str | None,
                          max_bytes: int) -> tuple[RegistrationDocument, bool]:
    """Attach (or replace) the registration's document of a type: its exhibitor only, while the registration is
    live. `detected` is the media type read from the content's magic bytes. The file is stored first, then its row
    committed (pending review); a replaced file is deleted afterwards. Returns the document and whether it
    replaced one."""
    rules.check_document_type(doc_type)
    media_type = rules.check_file(size=len(data), detected=detected, max_bytes=max_bytes)
    async with db.sessions() as session:  # checked before anything is stored; re-checked under the lock below
        registration = await session.get(Registration, registration_id)
        if registration is None or not is_exhibitor(principal, registration.exhibitor_id):
            raise registration_not_found(registration_id)
        _check_live(registration)
    document_id = new_id()
    key = f"documents/{registration_id}/{document_id}"
    try:
        await storage.put(key, data, media_type=media_type)
    except StorageUnavailable as exc:
        raise _store_down() from exc
    try:
        document, replaced = await _record_upload(db, principal, registration_id, document_id, key, doc_type,
                                                  rules.safe_filename(filename, media_type), media_type, data)
    except BaseException:
        await _forget(storage, key)
        raise
    if replaced:
        await _forget(storage, replaced)
    return document, replaced is not None


def _check_live(registration: Registration) -> None:
    if registration.status not in LIVE_REGISTRATION_STATES:
        raise Rejected(f"Hồ sơ ở trạng thái '{registration.status}' không nhận giấy tờ / a {registration.status} "
                       "registration takes no documents", code="registration-closed")


async def _record_upload(db: Database, principal: Principal, registration_id: str, document_id: str, key: str,
                         doc_type: str, filename: str, media_type: str, data: bytes
                         ) -> tuple[RegistrationDocument, str | None]:
    async with db.unit_of_work() as uow:
        session = uow.session
        registration = (await session.exec(select(Registration).where(Registration.id == registration_id)
                                           .with_for_update().execution_options(populate_existing=True))).first()
        if registration is None or not is_exhibitor(principal, registration.exhibitor_id):
            raise registration_not_found(registration_id)
        _check_live(registration)
        document = (await session.exec(select(RegistrationDocument).where(
            RegistrationDocument.registration_id == registration_id,
            RegistrationDocument.doc_type == doc_type))).first()
        replaced = document.storage_key if document is not None else None
        before = document.status if document is not None else None
        now = utcnow()
        if document is None:
            document = RegistrationDocument(id=document_id, registration_id=registration.id,
                                            fair_id=registration.fair_id, exhibitor_id=registration.exhibitor_id,
                                            doc_type=doc_type, storage_key=key, filename=filename,
                                            media_type=media_type, size_bytes=len(data),
                                            sha256=hashlib.sha256(data).hexdigest(), uploaded_at=now)
        else:  # a new file of the same type: back to review, the old file goes once this commits
            document.storage_key, document.filename, document.media_type = key, filename, media_type
            document.size_bytes, document.sha256 = len(data), hashlib.sha256(data).hexdigest()
            document.uploaded_at, document.status = now, DocumentStatus.PENDING
            document.reviewed_at = document.reviewed_by = document.review_message = None
        session.add(document)
        audit.record(session, Actor.of(principal), "document.uploaded", entity="registration",
                     entity_id=registration.id, fair_id=registration.fair_id,
                     changes={"doc_type": doc_type, "status": [before, DocumentStatus.PENDING.value],
                              "filename": filename, "size_bytes": len(data), "media_type": media_type})
    return document, replaced


async def _forget(storage: Storage, key: str) -> None:
    """Delete a file no row points to; a failure is logged (an orphan file costs space, not correctness)."""
    try:
        await storage.delete(key)
    except Exception as exc:
        log.warning("documents.orphan_file", key=key, error=repr(exc))


async def read_document_file(*, db: Database, storage: Storage, principal: Principal, registration_id: str,
                             document_id: str) -> tuple[RegistrationDocument, bytes]:
    """A document's row and its file's bytes (its exhibitor, the fair's centre, admins); the session is closed
    before the storage is asked."""
    async with db.sessions() as session:
        await _readable(session, principal, registration_id)
        document = await session.get(RegistrationDocument, document_id)
        if document is None or document.registration_id != registration_id:
            raise _document_not_found(document_id)
    try:
        return document, await storage.get(document.storage_key)
    except StorageUnavailable as exc:
        raise _store_down() from exc
    except StoredFileMissing as exc:
        log.error("documents.file_missing", document_id=document.id, key=document.storage_key)
        raise NotFound("Tệp của giấy tờ không còn trong kho lưu trữ / the document's file is missing from the store",
                       code="file-missing") from exc


async def review_document(*, db: Database, principal: Principal, registration_id: str, document_id: str,
                          target: DocumentStatus, message: str | None = None) -> RegistrationDocument:
    """Accept a document, or ask for a new one saying why (the fair's organizers, admins); audited."""
    async with db.unit_of_work() as uow:
        session = uow.session
        registration = await session.get(Registration, registration_id)
        fair = await session.get(Fair, registration.fair_id) if registration is not None else None
        if registration is None or fair is None or not owns_fair(principal, fair):
            raise registration_not_found(registration_id)
        document = (await session.exec(select(RegistrationDocument).where(
            RegistrationDocument.id == document_id).with_for_update()
            .execution_options(populate_existing=True))).first()
        if document is None or document.registration_id != registration_id:
            raise _document_not_found(document_id)
        rules.check_review(status=document.status, target=target,
                           registration_live=registration.status in LIVE_REGISTRATION_STATES)
        before = document.status
        document.status = target
        document.reviewed_at, document.reviewed_by = utcnow(), principal.subject
        document.review_message = message
        session.add(document)
        action = "document.accepted" if target is DocumentStatus.ACCEPTED else "document.replace_requested"
        audit.record(session, Actor.of(principal), action, entity="registration", entity_id=registration.id,
                     fair_id=registration.fair_id, changes={"doc_type": document.doc_type, "document_id": document.id,
                                                            "status": [before, target.value]}, reason=message)
    return document


# --- approvals ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DocumentState:
    """What approvals check, read at once for a batch: each fair's requirements and each registration's documents'
    statuses by type."""

    requirements: dict[str, Requirements]
    statuses: dict[str, dict[str, str]]

    def check(self, registration: Registration, exhibitor: Exhibitor, *, index: int | None = None) -> None:
        """Refuse approving while a document the fair requires of it is not accepted (409 naming each one; `index`:
        in a bulk call, the field names the registration's place in the list)."""
        required = required_for(self.requirements.get(registration.fair_id, {}), exhibitor, registration)
        try:
            rules.check_complete(required, self.statuses.get(registration.id, {}))
        except Rejected as exc:
            if index is not None:
                exc.field, exc.message = f"registration_ids.{index}", f"{registration.id}: {exc.message}"
            raise


async def document_state(session: AsyncSession, fair_ids: Iterable[str], registration_ids: Iterable[str]
                         ) -> DocumentState:
    """The requirements of these fairs and the document statuses of these registrations (two queries; the second
    only when some fair requires anything)."""
    requirements = await requirements_of(session, fair_ids)
    statuses: dict[str, dict[str, str]] = {}
    ids = set(registration_ids)
    if ids and any(requirements.values()):
        rows = (await session.exec(_DOCUMENT_STATUSES, params={"registration_ids": list(ids)})).all()
        for registration_id, doc_type, status in rows:
            statuses.setdefault(registration_id, {})[doc_type] = status
    return DocumentState(requirements, statuses)


async def fair_document_tallies(*, db: Database, principal: Principal, fair_id: str
                                ) -> list[tuple[str, rules.Tally]]:
    """Each registration of one of the organizer's fairs with the tally of its required documents (the review
    queue's column): three queries, whatever the number of registrations."""
    async with db.sessions() as session:
        await fair_of_centre(session, fair_id, principal)
        rows = (await session.exec(select(Registration, Exhibitor.kind)
                                   .join(Exhibitor, col(Exhibitor.id) == col(Registration.exhibitor_id))
                                   .where(Registration.fair_id == fair_id)
                                   .order_by(col(Registration.submitted_at), col(Registration.id)))).all()
        state = await document_state(session, [fair_id], [registration.id for registration, _ in rows])
    requirements = state.requirements.get(fair_id, {})
    return [(registration.id, rules.tally(
        rules.required_of(requirements, kind, names_recognised_product=claims_recognition(registration)),
        state.statuses.get(registration.id, {}))) for registration, kind in rows]


def document_facts(document: RegistrationDocument) -> dict[str, Any]:
    """A document as the API shows it."""
    return document.model_dump(exclude={"storage_key"})
