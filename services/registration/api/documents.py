"""Routes of documents: the catalogue of document types, a fair's requirements per exhibitor kind, a
registration's documents (upload, list, read the file, accept or ask for a new one)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response, status

from services.registration.adapters.filetypes import media_type_of
from services.registration.adapters.storage import Storage
from services.registration.api.deps import DbDep, MaybePrincipal, RulesDep
from services.registration.domain.documents import DOCUMENT_TYPES, DocumentStatus, check_file
from services.registration.schemas import (
    DocumentPublic,
    DocumentRequirementsIn,
    DocumentRequirementsPublic,
    DocumentsPublic,
    DocumentTalliesPublic,
    DocumentTallyPublic,
    DocumentTypePublic,
    DocumentTypesPublic,
    ReasonBody,
    RequiredDocument,
)
from services.registration.service import documents as cases
from shared.auth import Exhibitor, Organizer, Principal, Role, require

router = APIRouter(tags=["documents"])
ExhibitorOrOrganizer = Annotated[Principal, require(Role.EXHIBITOR, Role.ORGANIZER)]
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


@router.get("/fairs/{fair_id}/document-tallies", response_model=DocumentTalliesPublic, tags=["fairs"],
            summary="Each registration of the fair with how many of its required documents are accepted, waiting "
                    "for review, sent back or missing (the fair's organizers; the review queue's column)")
async def read_document_tallies(fair_id: str, db: DbDep, principal: Organizer) -> DocumentTalliesPublic:
    found = await cases.fair_document_tallies(db=db, principal=principal, fair_id=fair_id)
    rows = [DocumentTallyPublic(registration_id=registration_id, required=t.required, accepted=t.accepted,
                                pending=t.pending, replace_requested=t.replace_requested, missing=t.missing,
                                complete=t.complete) for registration_id, t in found]
    return DocumentTalliesPublic(fair_id=fair_id, data=rows, count=len(rows))


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


BINARY = {"schema": {"type": "string", "format": "binary"}}


@router.put("/registrations/{registration_id}/documents/{doc_type}", status_code=status.HTTP_201_CREATED,
            response_model=DocumentPublic,
            openapi_extra={"requestBody": {"required": True, "description": "the file's bytes (PDF, JPEG or PNG)",
                                           "content": {"application/pdf": BINARY, "image/jpeg": BINARY,
                                                       "image/png": BINARY, "application/octet-stream": BINARY}}},
            responses={200: {"description": "the document of this type was replaced (back to review)",
                             "model": DocumentPublic},
                       201: {"description": "the first document of this type"},
                       413: {"description": "Tệp quá lớn / the file is larger than the limit (field `file`)",
                             "content": PROBLEM},
                       422: {"description": "Không phải PDF, JPEG hay PNG theo nội dung tệp, tệp rỗng, loại giấy tờ "
                                            "không có / not a PDF, JPEG or PNG by its content, empty, or an "
                                            "unknown document type (`errors` names `file` or `doc_type`)"}},
            summary="Attach the document of a type, the file as the body (PDF, JPEG or PNG, judged by its content, "
                    "not by its name or Content-Type), replacing the one before; it waits for review (its exhibitor)")
async def upload_document(registration_id: str, doc_type: str, request: Request, response: Response, db: DbDep,
                          storage: StorageDep, rules: RulesDep, principal: Exhibitor,
                          filename: Annotated[str | None, Query(max_length=255, description="the file's name, "
                                                               "shown to the reviewer")] = None) -> DocumentPublic:
    limit = rules.documents_max_bytes
    if int(request.headers.get("content-length") or 0) > limit:
        check_file(size=int(request.headers["content-length"]), detected=None, max_bytes=limit)  # 413, unread
    data = bytearray()
    async for chunk in request.stream():  # read no further than one byte past the limit
        data += chunk
        if len(data) > limit:
            break
    document, replaced = await cases.upload_document(
        db=db, storage=storage, principal=principal, registration_id=registration_id, doc_type=doc_type,
        filename=filename, data=bytes(data), detected=media_type_of(bytes(data)), max_bytes=limit)
    if replaced:
        response.status_code = status.HTTP_200_OK
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
