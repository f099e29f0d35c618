"""Use cases run by events from other services: an unpaid invoice cancels its registration."""

from __future__ import annotations

import structlog

from services.registration.domain import registrations as registration_rules
from services.registration.models import Fair
from services.registration.service.approvals import cancel, promote_waitlisted
from services.registration.service.common import Actor, fair_id_of, load_fair, lock_registration
from shared.contracts.billing import InvoiceOverdue
from shared.envelope import EventMeta
from shared.uow import UnitOfWork

log = structlog.get_logger()


class UnknownRegistration(LookupError):
    """An event names a registration this service never had: a real inconsistency, left to the dead-letter topic."""


async def cancel_unpaid(*, uow: UnitOfWork, event: InvoiceOverdue, meta: EventMeta) -> None:
    """Invoice overdue: cancel the registration (reason `unpaid`) and promote the best waitlisted ones."""
    session = uow.session
    fair_id = await fair_id_of(session, event.registration_id)
    fair: Fair | None = await load_fair(session, fair_id, lock=True) if fair_id else None
    registration = await lock_registration(session, event.registration_id) if fair else None
    if fair is None or registration is None:
        raise UnknownRegistration(f"invoice {event.invoice_id} names unknown registration {event.registration_id}")
    if registration.status not in registration_rules.LIVE_REGISTRATION_STATES:
        log.info("registration.overdue_ignored", registration_id=registration.id, status=registration.status)
        return
    actor = Actor("system", "billing")
    note = f"hóa đơn {event.invoice_id} quá hạn {event.due_on.isoformat()} / invoice unpaid at its due date"
    held = await cancel(uow, fair, registration, reason="unpaid", actor=actor, note=note)
    if held:
        booths = registration.booths_requested
        await promote_waitlisted(uow, fair, actor, cause=(
            f"hồ sơ {registration.id} không thanh toán hóa đơn {event.invoice_id}, trả {booths} gian / "
            f"registration {registration.id} unpaid (event {meta.event_id}), {booths} booths freed"))
