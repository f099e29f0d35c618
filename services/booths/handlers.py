"""Kafka entry points of the booths service: the mirror of api.py for events — call a use case, no logic."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from services.booths.service import reactions
from services.booths.service.store import Context
from shared.contracts import billing as bill
from shared.contracts import registration as reg
from shared.envelope import EventMeta
from shared.messaging import EventConsumer, Handler
from shared.runtime import ServiceRuntime

CONSUMER_NAME = "booths"


def make_handlers(ctx: Context) -> dict[type, Handler]:
    """The use case each consumed event calls."""

    async def on_fair_published(session: AsyncSession, event: reg.FairPublished, meta: EventMeta) -> None:
        """A fair opened: lay out its floor plan."""
        await reactions.build_floorplan(uow=ctx.joined(session), event=event)

    async def on_fair_updated(session: AsyncSession, event: reg.FairUpdated, meta: EventMeta) -> None:
        """A fair changed: keep its name and allocation mode."""
        await reactions.update_fair(uow=ctx.joined(session), ctx=ctx, event=event)

    async def on_fair_cancelled(session: AsyncSession, event: reg.FairCancelled, meta: EventMeta) -> None:
        """A fair was cancelled: no more picks, holds dropped."""
        await reactions.cancel_fair(uow=ctx.joined(session), ctx=ctx, event=event)

    async def on_submitted(session: AsyncSession, event: reg.RegistrationSubmitted, meta: EventMeta) -> None:
        """A registration arrived: know it, so its exhibitor can state its wishes."""
        await reactions.record_submission(uow=ctx.joined(session), event=event)

    async def on_approved(session: AsyncSession, event: reg.RegistrationApproved, meta: EventMeta) -> None:
        """A registration was approved: assign its booths (automatic mode) or wait for them."""
        await reactions.approve(uow=ctx.joined(session), ctx=ctx, event=event)

    async def on_rejected(session: AsyncSession, event: reg.RegistrationRejected, meta: EventMeta) -> None:
        """A registration was rejected: it will need no booths."""
        await reactions.close_request(uow=ctx.joined(session), event=event)

    async def on_cancelled(session: AsyncSession, event: reg.RegistrationCancelled, meta: EventMeta) -> None:
        """A registration was cancelled: release its booths."""
        await reactions.release_booths(uow=ctx.joined(session), ctx=ctx, event=event)

    async def on_invoice_paid(session: AsyncSession, event: bill.InvoicePaid, meta: EventMeta) -> None:
        """An invoice was paid: the exhibitor's name may show on the public map."""
        await reactions.mark_paid(uow=ctx.joined(session), event=event)

    async def on_payment_reversed(session: AsyncSession, event: bill.PaymentReversed, meta: EventMeta) -> None:
        """A payment was taken back: if the invoice owes again, the name leaves the public map."""
        await reactions.unmark_paid(uow=ctx.joined(session), event=event)

    handlers: dict[type, Any] = {
        reg.FairPublished: on_fair_published, reg.FairUpdated: on_fair_updated, reg.FairCancelled: on_fair_cancelled,
        reg.RegistrationSubmitted: on_submitted, reg.RegistrationApproved: on_approved,
        reg.RegistrationRejected: on_rejected, reg.RegistrationCancelled: on_cancelled,
        bill.InvoicePaid: on_invoice_paid, bill.PaymentReversed: on_payment_reversed,
    }
    return handlers


def make_consumer(runtime: ServiceRuntime, ctx: Context) -> EventConsumer:
    """The service's one consumer of `registration.events` and `billing.events`."""
    settings = runtime.settings
    return EventConsumer(name=CONSUMER_NAME, topics=(reg.TOPIC, bill.TOPIC), handlers=make_handlers(ctx),
                         db=runtime.db, broker=runtime.broker, max_attempts=settings.consumer_max_attempts,
                         backoff_s=settings.consumer_retry_backoff_s, prefetch=reactions.prefetch)
