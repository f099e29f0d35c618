"""The append-only audit log: every change with who, when, what and why."""

from __future__ import annotations

from typing import Any

from sqlmodel import or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.registration.models import AuditEntry
from services.registration.service.common import Actor, fair_of_centre
from shared.db import Database, utcnow
from shared.principal import Principal
from shared.staged import stage_row

_AUDIT = AuditEntry.__table__  # type: ignore[attr-defined]  # entries staged as plain rows (shared.staged)


def record(session: AsyncSession, actor: Actor, action: str, *, entity: str, entity_id: str,
           fair_id: str | None = None, changes: dict[str, Any] | None = None, reason: str | None = None) -> None:
    """Append one entry in the current transaction (it commits or vanishes with the change it describes).

    The entry is a plain row, written with the transaction's other entries by one Core INSERT just before it
    commits, in recording order (their ids keep it): an ORM object per entry (its construction, and a flush
    that read each id back) was ~8 % of a submit's or an approval's CPU."""
    stage_row(session, _AUDIT, {
        "at": utcnow(), "actor_role": actor.role, "actor": actor.subject, "action": action, "entity": entity,
        "entity_id": entity_id, "fair_id": fair_id, "changes": _jsonable(changes or {}), "reason": reason})


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Changed fields as {field: [old, new]}."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


async def fair_audit(*, db: Database, principal: Principal, fair_id: str,
                     registration_id: str | None = None) -> list[AuditEntry]:
    """The log of a fair and its registrations, oldest first (the fair's centre only)."""
    async with db.sessions() as session:
        await fair_of_centre(session, fair_id, principal)
        query = select(AuditEntry).where(or_(AuditEntry.fair_id == fair_id, AuditEntry.entity_id == fair_id))
        if registration_id:
            query = query.where(AuditEntry.entity_id == registration_id)
        return list((await session.exec(query.order_by(AuditEntry.id))).all())  # type: ignore[arg-type]


async def exhibitor_audit(*, db: Database, exhibitor_id: str) -> list[AuditEntry]:
    """The log of an exhibitor's profile, oldest first."""
    async with db.sessions() as session:
        query = select(AuditEntry).where(AuditEntry.entity == "exhibitor", AuditEntry.entity_id == exhibitor_id)
        return list((await session.exec(query.order_by(AuditEntry.id))).all())  # type: ignore[arg-type]
