"""Bodies of the documents API: the catalogue of document types, a fair's requirements per exhibitor kind, a
registration's documents and what is still missing."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from services.registration.schemas.common import Body

DocType = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[a-z_]+$")]


class DocumentTypePublic(BaseModel):
    """A document type an organizer may require."""

    code: str
    label_vi: str
    label_en: str
    for_recognised_products: bool = Field(description="required only of a registration naming a recognised "
                                                      "(CNNT tiêu biểu) product")


class DocumentTypesPublic(BaseModel):
    data: list[DocumentTypePublic]
    count: int


class DocumentRequirementsIn(Body):
    """Every exhibitor kind's required documents at a fair (replaces them all; a kind left out requires none)."""

    requirements: dict[Annotated[str, Field(max_length=30)], Annotated[list[DocType], Field(max_length=20)]] = Field(
        description="exhibitor kind → document type codes", examples=[{
            "enterprise": ["business_registration"], "household": ["business_registration",
                                                                   "cscnnt_product_decision"]}])


class DocumentRequirementsPublic(BaseModel):
    fair_id: str
    requirements: dict[str, list[str]]


class DocumentPublic(BaseModel):
    """One document attached to a registration (its file is read through `.../file`, never from the store)."""

    id: str
    registration_id: str
    fair_id: str
    exhibitor_id: str
    doc_type: str
    status: str = Field(description="pending | accepted | replace_requested")
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    uploaded_at: datetime
    reviewed_at: datetime | None
    reviewed_by: str | None
    review_message: str | None


class RequiredDocument(BaseModel):
    """A document the registration needs, and where it stands."""

    doc_type: str
    state: str = Field(description="missing | pending | replace_requested | accepted")


class DocumentTallyPublic(BaseModel):
    """How far one registration's required documents are."""

    registration_id: str
    required: int = Field(description="documents the fair requires of this registration")
    accepted: int
    pending: int = Field(description="uploaded, waiting for review")
    replace_requested: int = Field(description="sent back: a new one was asked for")
    missing: int = Field(description="not uploaded")
    complete: bool = Field(description="every required document is accepted (the documents allow an approval)")


class DocumentTalliesPublic(BaseModel):
    """Every registration of a fair with the tally of its required documents (the review queue's column)."""

    fair_id: str
    data: list[DocumentTallyPublic]
    count: int


class DocumentsPublic(BaseModel):
    """A registration's documents, the ones its fair requires of its kind, and those not accepted yet."""

    data: list[DocumentPublic]
    count: int
    required: list[RequiredDocument]
    outstanding: list[RequiredDocument] = Field(description="required and not accepted: approval waits for these")
    complete: bool = Field(description="every required document is accepted")
