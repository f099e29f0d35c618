"""The delivery worker: sends owed events to receivers, signed, in order per subscription, retrying with
backoff, then parking. Each subscription has its own lane (an asyncio task), so a slow receiver delays
only its own events; every attempt is recorded."""

from __future__ import annotations

import asyncio
import random
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import structlog
from sqlmodel import col, func, or_, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from services.subscriptions.adapters import webhooks
from services.subscriptions.adapters.webhooks import Outcome
from services.subscriptions.domain import delivery as rules
from services.subscriptions.domain.delivery import DELIVERY_TRANSITIONS, DeliveryPolicy, DeliveryStatus
from services.subscriptions.models import Delivery, DeliveryAttempt, StoredEvent, Subscription
from services.subscriptions.service import deliveries
from shared.db import Database, utcnow
from shared.metrics import metrics_of

log = structlog.get_logger()
MAX_IDLE_WAIT_S = 60.0
# A claim outlives the call's timeout by this much (time to record the outcome). After a crash the claimed
# delivery waits for it to lapse: the longer it is, the later a crashed process's delivery is sent again.
LEASE_MARGIN_S = 5.0


@dataclass(frozen=True)
class Job:
    """A claimed delivery and all it takes to send it."""

    delivery_id: int
    subscription_id: str
    round: int
    url: str
    secrets: tuple[str, ...]
    event_id: str
    event_type: str
    body: bytes


class DeliveryWorker:
    """Runs until cancelled: finds subscriptions with pending deliveries and drains each in its own lane.

    Calls in flight are bounded by two pools: a lane whose last call failed or took longer than
    `slow_call_s` draws from the small slow pool, so that many slow or dead receivers cannot take every
    slot from the healthy ones (a lane moves back after a quick success)."""

    def __init__(self, db: Database, *, policy: DeliveryPolicy | None = None, allow_loopback: bool = False,
                 poll_interval_s: float = 1.0, max_concurrency: int = 32, slow_concurrency: int = 8,
                 slow_call_s: float = 2.0, rand: Callable[[], float] = random.random) -> None:
        self._db = db
        self._policy = policy or DeliveryPolicy()
        self._allow_loopback = allow_loopback
        self._poll_s = poll_interval_s
        self._limit = asyncio.Semaphore(max_concurrency)
        self._slow_limit = asyncio.Semaphore(slow_concurrency)
        self._slow_call_ms = slow_call_s * 1000
        self._suspects: set[str] = set()  # subscriptions whose receiver's last call failed or was slow
        self._rand = rand
        self._lease = timedelta(seconds=self._policy.timeout_s + LEASE_MARGIN_S)
        self._wake = asyncio.Event()
        self._lanes: dict[str, asyncio.Task[None]] = {}
        self._nudges: dict[str, asyncio.Event] = {}  # interrupt a lane's wait (a redelivery jumped ahead)
        self._tls: ssl.SSLContext | None = None
        self.looks = 0  # passes over the pending work so far (a test waits for the first instead of sleeping)
        metrics = metrics_of(db)
        self._delivered = metrics.counter("hangviet_webhook_deliveries_total",
                                          "Webhook delivery attempts by outcome", ["outcome"])
        self._latency = metrics.histogram("hangviet_webhook_delivery_seconds",
                                          "Duration of one webhook call by outcome", ["outcome"])
        flagged = metrics.gauge("hangviet_webhook_subscriptions_flagged",
                                "Subscriptions flagged because a delivery of theirs is parked")

        async def count_flagged() -> None:
            async with db.sessions() as session:
                flagged.set((await session.exec(select(func.count()).select_from(Subscription)
                                                .where(col(Subscription.flagged_at).is_not(None)))).one())

        metrics.on_scrape("webhook_subscriptions_flagged", count_flagged)

    def wake(self) -> None:
        """Look for work now (called after a commit that owed new deliveries)."""
        self._wake.set()

    def nudge(self, subscription_id: str) -> None:
        """The subscription's head changed (a redelivery): stop waiting for the old head's retry."""
        self._wake.set()
        # Kept set until the lane's next wait, even one it has not begun yet (a nudge is never lost).
        self._nudges.setdefault(subscription_id, asyncio.Event()).set()

    async def _pause(self, subscription_id: str, seconds: float) -> None:
        nudged = self._nudges.setdefault(subscription_id, asyncio.Event())
        try:
            await asyncio.wait_for(nudged.wait(), timeout=min(seconds, MAX_IDLE_WAIT_S))
        except TimeoutError:
            pass
        nudged.clear()

    async def run(self) -> None:
        """Dispatch lanes until cancelled, then stop them."""
        # Loading the CA bundle takes a good part of a second and blocks the loop: once, not per lane.
        self._tls = await webhooks.tls_context()
        try:
            while True:
                try:
                    await self._dispatch()
                except Exception as exc:  # the worker must outlive a database outage
                    log.warning("delivery.dispatch_failed", error=repr(exc))
                self.looks += 1
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self._poll_s)
                except TimeoutError:
                    pass
                self._wake.clear()
        finally:
            lanes = list(self._lanes.values())
            for lane in lanes:
                lane.cancel()
            await asyncio.gather(*lanes, return_exceptions=True)
            self._lanes.clear()

    async def _dispatch(self) -> None:
        async with self._db.sessions() as session:
            pending = (await session.exec(
                select(Delivery.subscription_id).join(Subscription)
                .where(Delivery.status == DeliveryStatus.PENDING.value, col(Subscription.active).is_(True))
                .distinct())).all()
        for subscription_id in pending:
            lane = self._lanes.get(subscription_id)
            if lane is None or lane.done():
                lane = asyncio.create_task(self._drain(subscription_id), name=f"webhooks:{subscription_id}")
                lane.add_done_callback(_log_lane_failure)
                self._lanes[subscription_id] = lane

    async def _drain(self, subscription_id: str) -> None:
        """Send the subscription's deliveries one at a time, oldest first, until none is pending."""
        async with webhooks.client(timeout_s=self._policy.timeout_s, tls=self._tls) as client:
            while True:
                step = await self._take_head(subscription_id)
                if step is None:
                    return
                if not isinstance(step, Job):  # the head waits for its retry, and everything behind it too
                    await self._pause(subscription_id, step)
                    continue
                try:
                    async with self._slow_limit if subscription_id in self._suspects else self._limit:
                        outcome = await self._send(client, step)
                except asyncio.CancelledError:
                    await self._release(step)  # shutting down: let the next process send it at once
                    raise
                if not rules.is_success(outcome.status_code) or outcome.latency_ms > self._slow_call_ms:
                    self._suspects.add(subscription_id)
                else:
                    self._suspects.discard(subscription_id)
                await self._record(step, outcome)

    async def _take_head(self, subscription_id: str) -> Job | float | None:
        """In one transaction: the subscription's oldest pending delivery, claimed if it is due; else how
        many seconds to wait for it (another worker's claim included); None when nothing is pending."""
        now = utcnow()
        async with self._db.transaction() as session:
            found = (await session.exec(
                select(Delivery, Subscription).join(Subscription)
                .where(Delivery.subscription_id == subscription_id,
                       Delivery.status == DeliveryStatus.PENDING.value, col(Subscription.active).is_(True))
                .order_by(col(Delivery.id)).limit(1))).first()
            if found is None:
                return None
            head, subscription = found
            if head.next_attempt_at > now:
                return (head.next_attempt_at - now).total_seconds()
            claimed = await session.exec(
                update(Delivery)
                .where(col(Delivery.id) == head.id, col(Delivery.status) == DeliveryStatus.PENDING.value,
                       or_(col(Delivery.locked_until).is_(None), col(Delivery.locked_until) < now))
                .values(locked_until=now + self._lease))
            if claimed.rowcount != 1:
                return self._poll_s  # another worker holds it
            event = (await session.exec(select(StoredEvent).where(StoredEvent.id == head.event_id))).one()
        assert subscription.url and head.id is not None  # only webhook subscriptions owe deliveries
        keys = rules.signing_secrets(current=subscription.secret, previous=subscription.previous_secret,
                                      previous_until=subscription.previous_secret_until, now=now)
        return Job(delivery_id=head.id, subscription_id=subscription.id, round=head.redeliveries,
                   url=subscription.url, secrets=tuple(keys), event_id=event.id, event_type=event.event_type,
                   body=event.body.encode())

    async def _release(self, job: Job) -> None:
        async with self._db.transaction() as session:
            await session.exec(update(Delivery).where(col(Delivery.id) == job.delivery_id)
                               .values(locked_until=None))

    async def _send(self, client: httpx.AsyncClient, job: Job) -> Outcome:
        """One signed POST to the receiver, stamped now; never raises for what the receiver or the network does."""
        return await webhooks.send(client, url=job.url, secrets=job.secrets, event_id=job.event_id,
                                   subscription_id=job.subscription_id, body=job.body, started_at=utcnow(),
                                   allow_loopback=self._allow_loopback, timeout_s=self._policy.timeout_s)

    async def _record(self, job: Job, outcome: Outcome) -> None:
        """Log the attempt and move the delivery on: delivered, retried later, or parked (flagging its
        subscription)."""
        now = utcnow()
        async with self._db.transaction() as session:
            delivery = await session.get(Delivery, job.delivery_id)
            if delivery is None or delivery.status != DeliveryStatus.PENDING.value:
                return
            delivery.attempts += 1
            delivery.round_attempts += 1
            succeeded = rules.is_success(outcome.status_code)
            status = rules.next_status(succeeded=succeeded, attempts=delivery.round_attempts, policy=self._policy,
                                        refused=outcome.refused)
            DELIVERY_TRANSITIONS.check(delivery.status, status)
            delivery.status, delivery.locked_until = status.value, None
            delivery.last_error = None if succeeded else outcome.error or f"HTTP {outcome.status_code}"
            retry_at = None
            if status is DeliveryStatus.PENDING:
                retry_at = now + timedelta(seconds=rules.retry_delay_s(delivery.round_attempts, self._policy,
                                                                        self._rand()))
                delivery.next_attempt_at = retry_at
            else:
                delivery.finished_at = now
            session.add(delivery)
            session.add(DeliveryAttempt(delivery_id=job.delivery_id, number=delivery.attempts, round=job.round,
                                        started_at=outcome.started_at, status_code=outcome.status_code,
                                        latency_ms=outcome.latency_ms, response_excerpt=outcome.excerpt,
                                        error=outcome.error, signatures=len(job.secrets), finished_at=now,
                                        retry_at=retry_at))
            if status is not DeliveryStatus.PENDING:
                await self._reflag(session, job, now=now, reason=delivery.last_error)
        self._count(outcome, status)
        log.info("delivery.attempted", delivery_id=job.delivery_id, subscription_id=job.subscription_id,
                 event_id=job.event_id, status=status.value, status_code=outcome.status_code,
                 attempt=delivery.attempts, latency_ms=outcome.latency_ms)

    def _count(self, outcome: Outcome, status: DeliveryStatus) -> None:
        """One attempt's outcome: delivered, refused (the SSRF guard), retrying (failed, tried again later) or
        parked (failed for the last time)."""
        kind = ("refused" if outcome.refused else "retrying" if status is DeliveryStatus.PENDING
                else status.value)
        self._delivered.labels(kind).inc()
        self._latency.labels(kind).observe(outcome.latency_ms / 1000)

    async def _reflag(self, session: AsyncSession, job: Job, *, now: datetime, reason: str | None) -> None:
        subscription = await session.get(Subscription, job.subscription_id)
        if subscription is None or (reason is None and subscription.flagged_at is None):
            return  # a success on a healthy subscription: nothing to count
        await session.flush()
        parked = await deliveries.parked_count(session, job.subscription_id)
        was_flagged = subscription.flagged_at is not None
        deliveries.flag_state(subscription, parked=parked, now=now,
                           reason=f"delivery {job.delivery_id} parked: {reason}" if parked else None)
        session.add(subscription)
        if parked and not was_flagged:
            log.warning("subscription.flagged", subscription_id=job.subscription_id, delivery_id=job.delivery_id)


def _log_lane_failure(task: asyncio.Task[None]) -> None:
    # A lane that dies (e.g. the database went away) is restarted by the next dispatch; say why it died.
    if not task.cancelled() and task.exception() is not None:
        log.warning("delivery.lane_failed", lane=task.get_name(), error=repr(task.exception()))
