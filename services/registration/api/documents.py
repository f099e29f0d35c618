"""Routes of documents: the catalogue of document types, a fair's requirements per exhibitor kind, a
registration's documents (upload, list, read the file, accept or ask for a new one)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile, status

from services.registration.adapters.filetypes import media_type_of
from services.registration.adapters.storage import Storage
from services.registration.api.deps import DbDep, MaybePrincipal, RulesDep
from services.registration.domain.documents import DOCUMENT_TYPES, DocumentStatus, check_file
from services.registration.schemas import (
    DocumentPublic,
    DocumentRequirementsIn,
    DocumentRequirementsPublic,
    DocumentsPublic,
    DocumentTypePublic,
    DocumentTypesPublic,
    ReasonBody,
    RequiredDocument,
)
from services.registration.service import documents as cases
from shared.auth import Exhibitor, Organizer, Principal, Role, require

router = APIRouter(tags=["documents"])
ExhibitorOrOrganizer = Annotated[Principal, require(Role.EXHIBITOR, Role.ORGANIZER)]
# A multipart body carries a little more than the file itself: headers of its parts, the type's field.
MULTIPART_OVERHEAD = 16 * 1024
PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


async def get_storage(request: Request) -> Storage:
    """Where the files of documents live (`adapters/storage.py`, chosen by the settings)."""
    storage: Storage = request.app.state.storage
    return storage


StorageDep = Annotated[Storage, Depends(get_storage)]


def _document(document: object) -> DocumentPublic:
    return DocumentPublic.model_validate(cases.document_facts(document))  # type: ignore[arg-type]


@router.get("/document-types", response_model=DocumentTypesPublic,
            summary="The document types an organizer may require, with their Vietnamese and English names (public)")
async def read_document_types() -> DocumentTypesPublic:
    rows = [DocumentTypePublic(code=t.code, label_vi=t.label_vi, label_en=t.label_en,
                               for_recognised_products=t.for_recognised_products) for t in DOCUMENT_TYPES]
    return DocumentTypesPublic(data=rows, count=len(rows))


@router.get("/fairs/{fair_id}/document-requirements", response_model=DocumentRequirementsPublic,
            tags=["fairs"], summary="The documents a fair requires of each exhibitor kind (public once published)")
async def read_requirements(fair_id: str, db: DbDep, principal: MaybePrincipal) -> DocumentRequirementsPublic:
    found = await cases.get_requirements(db=db, principal=principal, fair_id=fair_id)
    return DocumentRequirementsPublic(fair_id=fair_id, requirements=found)


@router.put("/fairs/{fair_id}/document-requirements", response_model=DocumentRequirementsPublic, tags=["fairs"],
            summary="Set the documents each exhibitor kind must attach; an unknown kind or type is a 422 naming "
                    "it (organizers of the fair's centre)")
async def put_requirements(fair_id: str, body: DocumentRequirementsIn, db: DbDep,
                           principal: Organizer) -> DocumentRequirementsPublic:
    found = await cases.set_requirements(db=db, principal=principal, fair_id=fair_id,
                                         requirements=body.requirements)
    return DocumentRequirementsPublic(fair_id=fair_id, requirements=found)


@router.get("/registrations/{registration_id}/documents", response_model=DocumentsPublic,
            summary="A registration's documents, those its fair requires and those not accepted yet (its "
                    "exhibitor, the fair's organizers)")
async def read_documents(registration_id: str, db: DbDep, principal: ExhibitorOrOrganizer) -> DocumentsPublic:
    standing = await cases.list_documents(db=db, principal=principal, registration_id=registration_id)
    documents = [_document(d) for d in standing.documents]
    states = [RequiredDocument(doc_type=o.doc_type, state=o.state) for o in standing.states()]
    left = [s for s in states if s.state != DocumentStatus.ACCEPTED]
    return DocumentsPublic(data=documents, count=len(documents), required=states, outstanding=left,
                           complete=not left)


@router.post("/registrations/{registration_id}/documents", status_code=status.HTTP_201_CREATED,
             response_model=DocumentPublic,
             responses={413: {"description": "Tệp quá lớn / the file is larger than the limit (field `file`)",
                              "content": PROBLEM},
                        422: {"description": "Không phải PDF, JPEG hay PNG theo nội dung tệp, tệp rỗng, loại giấy tờ "
                                             "không có / not a PDF, JPEG or PNG by its content, empty, or an "
                                             "unknown document type (`errors` names `file` or `doc_type`)"}},
             summary="Attach a document (PDF, JPEG or PNG, judged by its content) of a type, replacing the one "
                     "before; it waits for review (its exhibitor)")
async def upload_document(registration_id: str, request: Request, db: DbDep, storage: StorageDep, rules: RulesDep,
                          principal: Exhibitor, doc_type: Annotated[str, Form(max_length=60)],
                          file: Annotated[UploadFile, File(description="PDF, JPEG or PNG")]) -> DocumentPublic:
    declared = int(request.headers.get("content-length") or 0)
    limit = rules.documents_max_bytes
    if declared > limit + MULTIPART_OVERHEAD:
        check_file(size=declared, detected=None, max_bytes=limit)  # 413 before anything more is read
    data = await file.read(limit + 1)
    document = await cases.upload_document(
        db=db, storage=storage, principal=principal, registration_id=registration_id, doc_type=doc_type,
        filename=file.filename, data=data, detected=media_type_of(data), max_bytes=limit)
    return _document(document)


@router.get("/registrations/{registration_id}/documents/{document_id}/file", response_class=Response,
            responses={200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}}},
            summary="A document's file, as an attachment (its exhibitor, the fair's organizers)")
async def read_document_file(registration_id: str, document_id: str, db: DbDep, storage: StorageDep,
                             principal: ExhibitorOrOrganizer, inline: bool = False) -> Response:
    document, data = await cases.read_document_file(db=db, storage=storage, principal=principal,
                                                    registration_id=registration_id, document_id=document_id)
    disposition = "inline" if inline else "attachment"
    ascii_name = document.filename.encode("ascii", "replace").decode().replace("?", "_")
    return Response(data, media_type=document.media_type, headers={
        "Content-Disposition": f"{disposition}; filename=\"{ascii_name}\"; "
                               f"filename*=UTF-8''{quote(document.filename)}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; object-src 'self'; sandbox"})


@router.post("/registrations/{registration_id}/documents/{document_id}/accept", response_model=DocumentPublic,
             summary="Accept a document (the fair's organizers); audited")
async def accept_document(registration_id: str, document_id: str, db: DbDep, principal: Organizer
                          ) -> DocumentPublic:
    return _document(await cases.review_document(db=db, principal=principal, registration_id=registration_id,
                                                 document_id=document_id, target=DocumentStatus.ACCEPTED))


@router.post("/registrations/{registration_id}/documents/{document_id}/request-new", response_model=DocumentPublic,
             summary="Ask the exhibitor for a new document, saying why (the fair's organizers); audited")
async def request_new_document(registration_id: str, document_id: str, body: ReasonBody, db: DbDep,
                               principal: Organizer) -> DocumentPublic:
    return _document(await cases.review_document(db=db, principal=principal, registration_id=registration_id,
                                                 document_id=document_id, target=DocumentStatus.REPLACE_REQUESTED,
                                                 message=body.reason))
