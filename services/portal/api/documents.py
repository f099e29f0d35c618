"""Documents by exhibitor kind: the organizer's page of a fair's required documents, the exhibitor's upload on its
registration page, a document's file relayed through the portal (never a storage address), and the reviewer's
accept / ask-for-a-new-one on the review page. The registration API decides who may do what."""

from __future__ import annotations

import asyncio
from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from services.portal.adapters.backend import Backend
from services.portal.api.deps import backend, form_of, organizer_session, page_context
from services.portal.api.exhibitor import exhibitor_session
from services.portal.api.organizer_review import review_page
from services.portal.api.pages import registration_page, required_token
from services.portal.api.views import render
from services.portal.domain import documents as words
from services.portal.domain.errors import PortalError, ServiceProblem, checked_id
from services.portal.domain.forms import FormErrors

log = structlog.get_logger()
BackendDep = Annotated[Backend, Depends(backend)]
document_pages = APIRouter(tags=["document pages"], include_in_schema=False)
SAVED = ("Đã lưu giấy tờ yêu cầu.", "The required documents were saved.")
REVIEW_FIELD = "document_message"


async def _requirements_page(request: Request, api: Backend, token: str, fair_id: str, *,
                             ticked: dict[str, list[str]] | None = None, errors: FormErrors | None = None,
                             notice: tuple[str, str] | None = None, status_code: int = 200) -> Response:
    fair, catalogue, current = await asyncio.gather(
        api.get("registration", f"/fairs/{fair_id}", token=token),
        api.get("registration", "/document-types", token=None),
        api.get("registration", f"/fairs/{fair_id}/document-requirements", token=token))
    types = words.doc_types(catalogue)
    requirements = ticked if ticked is not None else dict(current.get("requirements") or {})
    return render(request, "organizer/documents.html", page_context(
        fair=fair, types=types, grid=words.requirements_grid(types, requirements), errors=errors or FormErrors(),
        notice=notice), status_code=status_code)


@document_pages.get("/organizer/fairs/{fair_id}/documents", response_class=HTMLResponse,
                    summary="The documents a fair requires of each exhibitor kind (organizer)")
async def read_requirements(request: Request, fair_id: str, api: BackendDep, result: str | None = None) -> Response:
    _, token = organizer_session(request)
    return await _requirements_page(request, api, token, checked_id(fair_id),
                                    notice=SAVED if result == "saved" else None)


@document_pages.post("/organizer/fairs/{fair_id}/documents", summary="Save a fair's required documents (organizer)")
async def save_requirements(request: Request, fair_id: str, api: BackendDep) -> Response:
    _, token = organizer_session(request)
    fair_id = checked_id(fair_id)
    form = await form_of(request)
    types = words.doc_types(await api.get("registration", "/document-types", token=None))
    wanted = words.requirements_from_form(types, form)
    try:
        await api.put("registration", f"/fairs/{fair_id}/document-requirements", token=token,
                      json={"requirements": wanted})
    except ServiceProblem as problem:
        if problem.status not in (409, 422):
            raise
        return await _requirements_page(request, api, token, fair_id, ticked=wanted, status_code=problem.status,
                                        errors=FormErrors.from_problem(problem, ()))
    log.info("portal.documents_required", fair_id=fair_id)
    return RedirectResponse(f"/organizer/fairs/{fair_id}/documents?result=saved", status_code=303)


def _doc_type(value: str) -> str:
    """The chosen type as a path segment: letters and underscores only (anything else is the service's 422)."""
    return value if value and all(c.islower() or c == "_" for c in value) and len(value) <= 60 else "unknown"


@document_pages.post("/me/registrations/{registration_id}/documents",
                     summary="Upload a document to the exhibitor's registration (exhibitor)")
async def upload_document(request: Request, registration_id: str, api: BackendDep) -> Response:
    _, token = exhibitor_session(request)
    registration_id = checked_id(registration_id)
    declared = int(request.headers.get("content-length") or 0)
    if declared > words.MAX_UPLOAD_BYTES:
        return await registration_page(request, api, token, registration_id, upload_errors=words.too_big(declared),
                                       status_code=413)
    form = await request.form(max_files=1, max_fields=5)
    doc_type = str(form.get("doc_type") or "")
    upload = form.get("file")
    has_file = isinstance(upload, UploadFile) and bool(upload.filename)
    if not has_file or not doc_type:  # every mistake at once, before the service is asked
        return await registration_page(request, api, token, registration_id, status_code=422,
                                       upload_errors=words.upload_errors(missing_file=not has_file,
                                                                         missing_type=not doc_type),
                                       upload_form={"doc_type": doc_type})
    assert isinstance(upload, UploadFile)
    data = await upload.read(words.MAX_UPLOAD_BYTES + 1)
    if len(data) > words.MAX_UPLOAD_BYTES:
        return await registration_page(request, api, token, registration_id, upload_errors=words.too_big(len(data)),
                                       status_code=413)
    try:
        # The client's content type is not passed on: the service judges the file by its content.
        await api.put_raw("registration", f"/registrations/{registration_id}/documents/{_doc_type(doc_type)}",
                          token=token, content=data, params={"filename": upload.filename})
    except ServiceProblem as problem:
        if problem.status not in (409, 413, 422):
            raise
        return await registration_page(request, api, token, registration_id, status_code=problem.status,
                                       upload_errors=words.upload_errors(problem),
                                       upload_form={"doc_type": doc_type})
    log.info("portal.document_uploaded", registration_id=registration_id, doc_type=doc_type)
    return RedirectResponse(f"/registrations/{registration_id}?done=uploaded#documents", status_code=303)


@document_pages.get("/registrations/{registration_id}/documents/{document_id}",
                    summary="A document's file, relayed from the registration service (its exhibitor, organizers)")
async def read_document(request: Request, registration_id: str, document_id: str, api: BackendDep,
                        download: bool = False) -> Response:
    token = required_token(request)
    path = f"/registrations/{checked_id(registration_id)}/documents/{checked_id(document_id)}/file"
    try:
        answer = await api.get_raw("registration", path, token=token)
    except ServiceProblem as problem:
        if problem.status != 403:
            raise
        # The service's 403 says why in English only (the kernel's role check): the page says it in words.
        raise PortalError(403, "Không có quyền / Forbidden",
                          "Chỉ doanh nghiệp của hồ sơ và ban tổ chức hội chợ xem được giấy tờ này. / Only the "
                          "registration's exhibitor and the fair's organizers can see this document.") from problem
    kept = {k: v for k, v in answer.headers.items() if k.lower() in {"content-disposition", "content-type"}}
    if not download:
        kept["content-disposition"] = kept.get("content-disposition", "attachment").replace("attachment", "inline", 1)
    headers = {**kept, "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
               "Referrer-Policy": "same-origin"}
    if kept.get("content-type", "").startswith("image/"):  # a PDF is left to the browser's viewer
        headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return Response(answer.content, status_code=200, headers=headers)


async def _review(request: Request, registration_id: str, document_id: str, api: Backend, action: str) -> Response:
    _, token = organizer_session(request)
    registration_id, document_id = checked_id(registration_id), checked_id(document_id)
    form = await form_of(request)
    message = " ".join(form.get("message", "").split())
    field = f"{REVIEW_FIELD}-{document_id}"
    if action == "request-new" and not message:
        errors = FormErrors(title="Chưa gửi yêu cầu", title_en="The request was not sent")
        errors.add(field, "Vui lòng ghi lý do cần nộp bản mới.", "Please say why a new one is needed.")
        return await review_page(request, api, token, registration_id, errors=errors, status_code=422)
    try:
        await api.post("registration", f"/registrations/{registration_id}/documents/{document_id}/{action}",
                       token=token, json={"reason": message} if action == "request-new" else None)
    except ServiceProblem as problem:
        if problem.status not in (409, 422):
            raise
        errors = FormErrors.from_problem(problem, ("reason",))
        if "reason" in errors.fields:
            errors.fields[field] = errors.fields.pop("reason")
        return await review_page(request, api, token, registration_id, errors=errors, status_code=problem.status,
                                 form={field: form.get("message", "")})
    log.info("portal.document_reviewed", registration_id=registration_id, document_id=document_id, action=action)
    result = "document_accepted" if action == "accept" else "document_asked"
    return RedirectResponse(f"/organizer/registrations/{registration_id}?result={result}#documents", status_code=303)


@document_pages.post("/organizer/registrations/{registration_id}/documents/{document_id}/accept",
                     summary="Accept a document (organizer)")
async def accept_document(request: Request, registration_id: str, document_id: str, api: BackendDep) -> Response:
    return await _review(request, registration_id, document_id, api, "accept")


@document_pages.post("/organizer/registrations/{registration_id}/documents/{document_id}/request-new",
                     summary="Ask the exhibitor for a new document, saying why (organizer)")
async def request_new_document(request: Request, registration_id: str, document_id: str,
                               api: BackendDep) -> Response:
    return await _review(request, registration_id, document_id, api, "request-new")
