"""Bodies of a recipient's settings."""

from __future__ import annotations

from pydantic import BaseModel, EmailStr, Field

from services.notifications.domain.notices import Language, NoticeKind


class RecipientUpdate(BaseModel):
    """Where the caller's notices go (checked by email-validator), in which language, and which they want."""

    email: EmailStr | None = Field(default=None, description="empty: no mails (recorded as `no_address`)")
    language: Language = Language.VI
    notices: list[NoticeKind] = Field(default_factory=lambda: list(NoticeKind),
                                      description="the notices wanted; every kind by default")


class RecipientPublic(BaseModel):
    """The caller's recipient settings."""

    exhibitor_id: str
    email: str | None
    language: Language
    notices: list[NoticeKind]
