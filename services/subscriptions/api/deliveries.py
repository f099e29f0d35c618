"""HTTP routes for a subscription's webhook deliveries: the attempts log, and redelivery of parked ones.
Roles: the subscriber that owns the subscription (regional or organizer), and admin."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.subscriptions.api.deps import DbDep, Subscriber, WorkerDep, delivery_public
from services.subscriptions.domain.delivery import DeliveryStatus
from services.subscriptions.schemas.deliveries import DeliveriesPublic, DeliveryPublic, Redelivered
from services.subscriptions.service import deliveries as service
from shared.errors import NotFound

deliveries = APIRouter(prefix="/subscriptions/{subscription_id}/deliveries", tags=["deliveries"])


@deliveries.get("", response_model=DeliveriesPublic,
                summary="Deliveries of a subscription, newest first, with every attempt (regional, organizer, admin)")
async def read_deliveries(subscription_id: str, db: DbDep, principal: Subscriber,
                          status: DeliveryStatus | None = None,
                          limit: Annotated[int, Query(ge=1, le=500)] = 100) -> DeliveriesPublic:
    rows = await service.list_deliveries(db=db, principal=principal, subscription_id=subscription_id,
                                         status=status, limit=limit)
    return DeliveriesPublic(data=[delivery_public(d, a) for d, a in rows], count=len(rows))


@deliveries.get("/{delivery_id}", response_model=DeliveryPublic,
                summary="One delivery with every attempt (regional, organizer, admin)")
async def read_delivery(subscription_id: str, delivery_id: int, db: DbDep, principal: Subscriber) -> DeliveryPublic:
    rows = await service.list_deliveries(db=db, principal=principal, subscription_id=subscription_id,
                                         delivery_id=delivery_id, limit=1)
    if not rows:
        raise NotFound(f"Không tìm thấy lần gửi / delivery {delivery_id} not found", code="not-found")
    return delivery_public(*rows[0])


@deliveries.post("/redeliver", response_model=Redelivered,
                 summary="Send every parked delivery again, oldest first, with a new round of attempts "
                         "(regional, organizer, admin)")
async def redeliver_all(subscription_id: str, db: DbDep, principal: Subscriber, worker: WorkerDep) -> Redelivered:
    ids = await service.redeliver(db=db, principal=principal, subscription_id=subscription_id)
    worker.nudge(subscription_id)
    return Redelivered(count=len(ids), delivery_ids=ids)


@deliveries.post("/{delivery_id}/redeliver", response_model=Redelivered,
                 summary="Send one parked delivery again, with a new round of attempts (regional, organizer, admin)")
async def redeliver_one(subscription_id: str, delivery_id: int, db: DbDep, principal: Subscriber,
                        worker: WorkerDep) -> Redelivered:
    ids = await service.redeliver(db=db, principal=principal, subscription_id=subscription_id,
                                  delivery_id=delivery_id)
    worker.nudge(subscription_id)
    return Redelivered(count=len(ids), delivery_ids=ids)


ROUTERS = (deliveries,)
