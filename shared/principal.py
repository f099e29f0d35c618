"""Who is calling: a role and a subject, and what the caller is bound to. Plain Python: use cases and domain
rules take a `Principal` without importing the HTTP layer (`shared.auth` reads it from a token)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """Who is calling."""

    EXHIBITOR = "exhibitor"
    ORGANIZER = "organizer"
    REGIONAL = "regional"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a role, a subject and what it is bound to (centre, exhibitor, region)."""

    role: Role
    subject: str
    centre_id: str | None = None
    exhibitor_id: str | None = None
    region: str | None = None
    provinces: tuple[str, ...] = field(default_factory=tuple)

    def is_admin(self) -> bool:
        """Admins may do everything."""
        return self.role is Role.ADMIN
