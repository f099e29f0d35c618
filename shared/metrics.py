"""Prometheus metrics of a service: one registry per app, what is cheap counted where it happens, what costs
a query or a broker call read at scrape time.

- HTTP: prometheus-fastapi-instrumentator (route templates, status, latency); broker: FastStream's
  `KafkaPrometheusMiddleware` (per received batch and per publish).
- Consumers: `ConsumerStats` read at scrape time (no work on the hot path) and one histogram observation per
  batch; lag per topic and partition from each aiokafka consumer (high watermark − position).
- Outbox backlog and parked events: one query each per scrape, bounded by `SCRAPE_QUERY_TIMEOUT_S`.
- Services add their own (webhook deliveries, the saga's end-to-end time) through `metrics_of(db)`.

Each app has its own `CollectorRegistry` (tests build many apps in one process; the global default registry
would refuse the second one's metrics as duplicated), found from the service's `Database`.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

import structlog
from aiokafka.errors import IllegalStateError
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlmodel import col, func, select

from shared.db import Database
from shared.parking import ParkedEvent

log = structlog.get_logger()

SCRAPE_QUERY_TIMEOUT_S = 2.0
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
SAGA_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Refresh = Callable[[], Awaitable[None]]


class ServiceMetrics:
    """A service's registry, its metrics by name (created once, whoever asks first) and the refreshes that run
    before each scrape."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._metrics: dict[str, Any] = {}
        self._refreshes: dict[str, Refresh] = {}
        self.scrape_errors = self.counter("hangviet_metrics_scrape_errors_total",
                                          "Scrape-time readings that failed or timed out", ["part"])

    def counter(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
        """The counter `name` of this registry (made on first use)."""
        made: Counter = self._get(name, lambda: Counter(name, documentation, labels, registry=self.registry))
        return made

    def gauge(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Gauge:
        """The gauge `name` of this registry (made on first use)."""
        made: Gauge = self._get(name, lambda: Gauge(name, documentation, labels, registry=self.registry))
        return made

    def histogram(self, name: str, documentation: str, labels: Sequence[str] = (),
                  buckets: Sequence[float] = LATENCY_BUCKETS) -> Histogram:
        """The histogram `name` of this registry (made on first use)."""
        made: Histogram = self._get(name, lambda: Histogram(name, documentation, labels, registry=self.registry,
                                                            buckets=buckets))
        return made

    def _get(self, name: str, make: Callable[[], Any]) -> Any:
        if name not in self._metrics:
            self._metrics[name] = make()
        return self._metrics[name]

    def first_time(self, name: str) -> bool:
        """True the first time `name` is asked (a lifespan run again must not register its collectors twice)."""
        if name in self._metrics:
            return False
        self._metrics[name] = None
        return True

    def on_scrape(self, name: str, refresh: Refresh) -> None:
        """Run `refresh` (bounded by the query timeout) before each scrape; one per name."""
        self._refreshes.setdefault(name, refresh)

    async def render(self) -> bytes:
        """The text exposition, after the scrape-time readings (each bounded; a failure is counted, and the
        gauges it sets keep no stale samples)."""
        names = list(self._refreshes)
        results = await asyncio.gather(*(asyncio.wait_for(self._refreshes[name](), SCRAPE_QUERY_TIMEOUT_S)
                                         for name in names), return_exceptions=True)
        for name, result in zip(names, results, strict=True):
            if isinstance(result, BaseException):
                self.scrape_errors.labels(name).inc()
                log.warning("metrics.scrape_reading_failed", part=name, error=repr(result)[:300])
        return generate_latest(self.registry)


_BY_DATABASE: weakref.WeakKeyDictionary[Database, ServiceMetrics] = weakref.WeakKeyDictionary()


def metrics_of(db: Database) -> ServiceMetrics:
    """The metrics of the service whose database is `db` (one per app, made on first use)."""
    found = _BY_DATABASE.get(db)
    if found is None:
        found = _BY_DATABASE[db] = ServiceMetrics()
    return found


# -- broker -----------------------------------------------------------------------------------------------------

class _PublishNotMeasured:
    """What the broker middleware is on a publish: nothing (the call goes straight through)."""

    @staticmethod
    def publish_scope(call_next: Callable[[Any], Awaitable[Any]], cmd: Any) -> Awaitable[Any]:
        return call_next(cmd)


_PUBLISH_NOT_MEASURED = _PublishNotMeasured()


class ReceivedPrometheusMiddleware(KafkaPrometheusMiddleware):
    """FastStream's Prometheus middleware on what the consumers receive (one message per batch: cheap), not on
    publishes: there it cost 30 µs a publish (measured; a FastStream publish is 20–40 µs), on the outbox relay's
    hot path. The relay counts what it publishes itself (`hangviet_outbox_published_rows_total`)."""

    def __call__(self, msg: Any, /, *, context: Any) -> Any:
        if msg is None:  # FastStream builds the publish chain with no message
            return _PUBLISH_NOT_MEASURED
        return super().__call__(msg, context=context)


# -- consumers ------------------------------------------------------------------------------------------------

class ConsumerStatsCollector(Collector):
    """Each consumer's `ConsumerStats` as counters, read at scrape time: nothing is added to the hot path."""

    def __init__(self, consumers: Callable[[], Iterable[Any]]) -> None:
        self._consumers = consumers

    def collect(self) -> Iterator[Metric]:
        events = CounterMetricFamily("hangviet_consumer_events", "Events by what the consumer did with them "
                                     "(retried counts retry attempts) since the process started",
                                     labels=["consumer", "outcome"])
        batches = CounterMetricFamily("hangviet_consumer_batches", "Batches received", labels=["consumer"])
        fallbacks = CounterMetricFamily("hangviet_consumer_batch_fallbacks",
                                        "Batches (or parts) applied again one event at a time", labels=["consumer"])
        for consumer in self._consumers():
            stats = consumer.stats
            for stat in fields(stats):
                if stat.name not in ("batches", "batch_fallbacks"):
                    events.add_metric([consumer.name, stat.name], getattr(stats, stat.name))
            batches.add_metric([consumer.name], stats.batches)
            fallbacks.add_metric([consumer.name], stats.batch_fallbacks)
        yield from (events, batches, fallbacks)


class ValuesCollector(Collector):
    """Gauges whose samples a scrape-time reading replaces wholesale (none kept from an earlier scrape)."""

    def __init__(self, name: str, documentation: str, labels: Sequence[str]) -> None:
        self.name, self.documentation, self.labels = name, documentation, list(labels)
        self.samples: list[tuple[list[str], float]] = []

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(self.name, self.documentation, labels=self.labels)
        for labels, value in self.samples:
            family.add_metric(labels, value)
        yield family


async def consumer_lag(subscriptions: Iterable[tuple[Any, Any]]) -> list[tuple[list[str], float]]:
    """(consumer, topic, partition) → high watermark − position, from each subscriber's aiokafka consumer;
    partitions whose high watermark is not known yet (no fetch answered) are left out."""
    samples: list[tuple[list[str], float]] = []
    for consumer, subscriber in subscriptions:
        kafka = getattr(subscriber, "consumer", None)
        if kafka is None or not hasattr(kafka, "assignment") or not hasattr(kafka, "highwater"):
            continue  # not started, or FastStream's in-memory test broker
        for tp in sorted(kafka.assignment(), key=lambda tp: (tp.topic, tp.partition)):
            highwater = kafka.highwater(tp)
            if highwater is None:
                continue
            try:
                position = await kafka.position(tp)
            except IllegalStateError:  # revoked by a rebalance since assignment() was read
                continue
            samples.append(([consumer.name, tp.topic, str(tp.partition)], float(max(0, highwater - position))))
    return samples


def instrument_consumers(metrics: ServiceMetrics, *, consumers: Callable[[], Sequence[Any]],
                         subscriptions: Callable[[], Sequence[tuple[Any, Any]]], db: Database) -> None:
    """Consumer counters, batch latency, lag and parked events on `metrics` (the lag and parking read per
    scrape)."""
    if not metrics.first_time("instrument_consumers"):
        return
    metrics.registry.register(ConsumerStatsCollector(consumers))
    batch_seconds = metrics.histogram("hangviet_consumer_batch_seconds",
                                      "Time to apply one received batch (parse, apply, commit)", ["consumer"])
    for consumer in consumers():
        consumer.observe_batch = batch_seconds.labels(consumer.name).observe
    lag = ValuesCollector("hangviet_consumer_lag_messages",
                          "Records on the partition not yet fetched by the consumer (high watermark - position)",
                          ["consumer", "topic", "partition"])
    parked = ValuesCollector("hangviet_consumer_parked_events", "Events waiting in the consumer's parking",
                             ["consumer"])
    oldest = ValuesCollector("hangviet_consumer_parked_oldest_age_seconds",
                             "Age of the consumer's oldest parked event", ["consumer"])
    for collector in (lag, parked, oldest):
        metrics.registry.register(collector)

    async def read_lag() -> None:
        lag.samples = []
        lag.samples = await consumer_lag(subscriptions())

    async def read_parked() -> None:
        parked.samples, oldest.samples = [], []
        names = [consumer.name for consumer in consumers()]
        if not names:
            return
        async with db.sessions() as session:
            rows = (await session.exec(select(ParkedEvent.consumer, func.count(), func.min(ParkedEvent.parked_at))
                                       .where(col(ParkedEvent.consumer).in_(names))
                                       .group_by(ParkedEvent.consumer))).all()
        found = {name: (count, _age_s(first)) for name, count, first in rows}
        parked.samples = [([name], float(found.get(name, (0, 0.0))[0])) for name in names]
        oldest.samples = [([name], found.get(name, (0, 0.0))[1]) for name in names]

    metrics.on_scrape("consumer_lag", read_lag)
    metrics.on_scrape("parked_events", read_parked)


# -- outbox -----------------------------------------------------------------------------------------------------

def instrument_outbox(metrics: ServiceMetrics, *, backlog: Callable[[], Awaitable[dict[str, Any]]],
                      published: Callable[[], int]) -> None:
    """Unsent rows and the age of the oldest (one query per scrape), and the rows this relay published."""
    if not metrics.first_time("instrument_outbox"):
        return
    unsent = ValuesCollector("hangviet_outbox_unsent_rows", "Outbox rows not yet published", [])
    age = ValuesCollector("hangviet_outbox_oldest_unsent_age_seconds",
                          "Age of the oldest outbox row not yet published (0 when none)", [])
    metrics.registry.register(unsent)
    metrics.registry.register(age)
    metrics.registry.register(_CounterOf("hangviet_outbox_published_rows",
                                         "Outbox rows this process published and saw confirmed", published))

    async def read_backlog() -> None:
        unsent.samples, age.samples = [], []
        found = await backlog()
        unsent.samples = [([], float(found["unsent"]))]
        age.samples = [([], float(found["oldest_unsent_age_s"]))]

    metrics.on_scrape("outbox_backlog", read_backlog)


class _CounterOf(Collector):
    def __init__(self, name: str, documentation: str, read: Callable[[], int]) -> None:
        self._name, self._documentation, self._read = name, documentation, read

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(self._name, self._documentation)
        family.add_metric([], self._read())
        yield family


# -- observations after commit ------------------------------------------------------------------------------

_AFTER_COMMIT = "metrics.after_commit"


def observe_after_commit(session: Any, histogram: Histogram, *, since: datetime) -> None:
    """Observe the seconds from `since` to the commit of `session`'s transaction (never, if it rolls back): a
    batch that falls back to one event at a time applies its events again and must not count them twice."""
    _listen_once()
    session.info.setdefault(_AFTER_COMMIT, []).append((histogram, since))


def _observe_committed(session: Session) -> None:
    pending = session.info.pop(_AFTER_COMMIT, None)
    if not pending:
        return
    now = datetime.now(UTC)
    for histogram, since in pending:
        when = since if since.tzinfo is not None else since.replace(tzinfo=UTC)
        histogram.observe(max(0.0, (now - when).total_seconds()))


def _forget(session: Session, *_: Any) -> None:
    session.info.pop(_AFTER_COMMIT, None)


_listening: list[bool] = []


def _listen_once() -> None:
    if not _listening:
        event.listen(Session, "after_commit", _observe_committed)
        event.listen(Session, "after_rollback", _forget)
        _listening.append(True)


def _age_s(when: datetime | None) -> float:
    if when is None:
        return 0.0
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (datetime.now(UTC) - when).total_seconds())
