"""The saga as the topics tell it: a raw aiokafka reader (no group, from the earliest offset) over the saga's
topics, keeping for each registration when `registration.approved`, `booths.assigned` and `invoice.issued`
were emitted (their `ce_time`) and when this reader saw them. Nothing is polled over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from aiokafka import AIOKafkaConsumer

from bench.support.kafka import consumer
from shared.contracts.billing import InvoiceIssued
from shared.contracts.booths import BoothsAssigned, FloorplanPublished
from shared.contracts.registration import RegistrationApproved, RegistrationWaitlisted

TOPICS = (RegistrationApproved.topic, BoothsAssigned.topic, InvoiceIssued.topic)
STEPS = {RegistrationApproved.ce_type(): "approved", BoothsAssigned.ce_type(): "assigned",
         InvoiceIssued.ce_type(): "issued"}


@dataclass
class Step:
    """One saga event of a registration: emitted at `ce_time`, seen by the reader at `seen` (epoch s), published
    at `published`: the record's timestamp, stamped by the relay's producer as it sent it (the commit and the
    relay lie between the first and this one; the broker, the next consumer's fetch and its handler after it)."""

    emitted: float
    seen: float
    published: float | None = None


@dataclass
class EventLog:
    """What the reader has seen so far."""

    steps: dict[str, dict[str, Step]] = field(default_factory=dict)  # registration id → step → first seen
    floorplans: set[str] = field(default_factory=set)
    waitlisted: set[str] = field(default_factory=set)
    dead_letters: Counter[str] = field(default_factory=Counter)
    records: int = 0

    def add(self, topic: str, headers: dict[str, str], body: bytes, seen: float,
            published: float | None = None) -> None:
        """Take one record in (anything that is not a saga step of ours is only counted)."""
        self.records += 1
        if topic.endswith(".dlq"):
            self.dead_letters[topic] += 1
            return
        ce_type = headers.get("ce_type", "")
        if ce_type == FloorplanPublished.ce_type():
            self.floorplans.add(_field(body, "fair_id"))
        elif ce_type == RegistrationWaitlisted.ce_type():
            self.waitlisted.add(_field(body, "registration_id"))
        elif ce_type in STEPS:
            registration_id = _field(body, "registration_id")
            emitted = _epoch(headers.get("ce_time", "")) or seen
            self.steps.setdefault(registration_id, {}).setdefault(STEPS[ce_type], Step(emitted, seen, published))

    def step(self, registration_id: str, name: str) -> Step | None:
        """When a step of a registration happened, if it did."""
        return self.steps.get(registration_id, {}).get(name)

    def issued(self, registration_ids: list[str]) -> int:
        """How many of these registrations have their invoice."""
        return sum(1 for r in registration_ids if "issued" in self.steps.get(r, {}))


def _field(body: bytes, name: str) -> str:
    try:
        value = json.loads(body).get(name, "")
    except (ValueError, AttributeError):
        return ""
    return str(value)


def _epoch(ce_time: str) -> float | None:
    try:
        return datetime.fromisoformat(ce_time).timestamp()
    except ValueError:
        return None


OBSERVER_FETCH_WAIT_MS = 100


class EventReader:
    """Reads the saga's topics (and their dead-letter topics) into an EventLog until stopped."""

    def __init__(self, bootstrap: str) -> None:
        self.log = EventLog()
        # The observer's own fetches wait up to OBSERVER_FETCH_WAIT_MS: at the services' 5 ms it fetched two
        # hundred times a second on every partition and once per event of each, the broker's cost of a
        # fetch bringing records growing with the partition (bench.broker_history): load the bench put on the
        # stack it measures. Sagas are timed by each event's `ce_time`, not by when the reader saw it.
        self._consumer: AIOKafkaConsumer = consumer(bootstrap, *TOPICS, *(f"{t}.dlq" for t in TOPICS),
                                                    max_poll_records=2000, fetch_max_wait_ms=OBSERVER_FETCH_WAIT_MS)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._consumer.start()
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=500)
            seen = time.time()
            for records in batches.values():
                for r in records:
                    headers = {k: v.decode("utf-8", "replace") for k, v in (r.headers or ())}
                    self.log.add(r.topic, headers, r.value or b"", seen,
                                 r.timestamp / 1000 if isinstance(r.timestamp, int) else None)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """No fetches for the block (what arrives meanwhile is read after it): the bench's own reader, polling
        every 10 ms, must not be counted in the broker's idle cost."""
        assigned = list(self._consumer.assignment())
        self._consumer.pause(*assigned)
        try:
            yield
        finally:
            self._consumer.resume(*assigned)

    async def wait_for(self, done: Callable[[], bool], timeout_s: float) -> bool:
        """Wait until `done()` holds or the timeout passes; whether it held."""
        deadline = time.monotonic() + timeout_s
        while not done():
            if time.monotonic() > deadline:
                return False
            if self._task is not None and self._task.done():
                self._task.result()  # the reader died: say why
            await asyncio.sleep(0.1)
        return True

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._consumer.stop()
