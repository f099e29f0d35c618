"""GET /metrics of a service in memory: HTTP by route template, the broker's and the consumer's families, the
outbox backlog, webhook deliveries, billing's saga histogram after an invoice, and the lag reading."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from aiokafka import TopicPartition
from aiokafka.errors import IllegalStateError
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import col, update

from services.subscriptions.domain.delivery import DeliveryPolicy
from shared.contracts.registration import FairPublished
from shared.db import utcnow
from shared.metrics import consumer_lag
from shared.outbox import OutboxMessage, add_event
from tests.conftest import running_app, token, unique
from tests.service import billing_support
from tests.service import test_subscriptions as subscriptions
from tests.service.billing_support import approved, assigned, emitted, fair_info, feed

app, clock = billing_support.app, billing_support.clock


async def scrape(client) -> dict[str, list[tuple[str, dict[str, str], float]]]:
    """Family name → its samples (name, labels, value)."""
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {family.name: [(s.name, s.labels, s.value) for s in family.samples]
            for family in text_string_to_metric_families(response.text)}


def value(families, name: str, sample: str | None = None, **labels: str) -> float:
    found = [v for n, got, v in families[name]
             if n == (sample or name) and all(got.get(k) == want for k, want in labels.items())]
    assert found, f"no sample {sample or name} {labels} in {families[name]}"
    return sum(found)


class TestMetrics:
    async def test_http_requests_by_route_template_and_status(self, app):
        async with running_app(app) as client:
            await client.get("/invoices/missing-one", headers=token(app.state.settings, "admin"))
            await client.get("/health")
            families = await scrape(client)
        assert value(families, "http_requests", "http_requests_total", handler="/invoices/{invoice_id}",
                     status="404", method="GET") == 1
        assert value(families, "http_requests", "http_requests_total", handler="/health", status="200") == 1
        assert value(families, "http_request_duration_seconds", "http_request_duration_seconds_count",
                     handler="/invoices/{invoice_id}") == 1
        assert not [s for s in families["http_requests"] if s[1].get("handler") == "/metrics"]

    async def test_route_templates_are_resolved_against_routes_flattened_once(self, app, monkeypatch):
        from prometheus_fastapi_instrumentator import routing

        flattened_app_routes = []
        effective_routes = routing._effective_routes

        def counting(routes):
            if routes is app.routes:
                flattened_app_routes.append(len(routes))
            return effective_routes(routes)

        monkeypatch.setattr(routing, "_effective_routes", counting)
        async with running_app(app) as client:
            admin = token(app.state.settings, "admin")
            for n in range(5):
                await client.get(f"/invoices/missing-{n}", headers=admin)
            await client.get("/no/such/route")
            families = await scrape(client)
        assert value(families, "http_requests", "http_requests_total", handler="/invoices/{invoice_id}",
                     status="404", method="GET") == 5
        assert value(families, "http_requests", "http_requests_total", handler="none", status="404") == 1
        # once for the six templated requests (the scrape included); twice for the unmatched one, which takes the
        # library's own path (the path, then its trailing-slash twin). Flattened per request, it was 8.
        assert len(flattened_app_routes) == 3

    async def test_consumer_counters_latency_and_broker_families_after_an_event(self, app):
        async with running_app(app) as client:
            await feed(app, FairPublished(**fair_info(unique("fair-"))))
            families = await scrape(client)
        assert value(families, "hangviet_consumer_events", "hangviet_consumer_events_total",
                     consumer="billing", outcome="applied") == 1
        assert value(families, "hangviet_consumer_events", "hangviet_consumer_events_total",
                     consumer="billing", outcome="dead_lettered") == 0
        assert value(families, "hangviet_consumer_batch_seconds", "hangviet_consumer_batch_seconds_count",
                     consumer="billing") == 1
        assert value(families, "hangviet_consumer_parked_events", consumer="billing") == 0
        assert value(families, "faststream_received_messages", "faststream_received_messages_total",
                     app_name="billing") >= 1
        assert "hangviet_consumer_lag_messages" in families  # no samples in memory: no aiokafka consumer

    async def test_outbox_backlog_counts_unsent_rows_and_the_age_of_the_oldest(self, app):
        async with running_app(app) as client:
            app.state.runtime.relay.stop()  # nothing publishes: the staged rows stay unsent
            async with app.state.runtime.db.transaction() as session:
                older = add_event(session, FairPublished(**fair_info(unique("fair-"))), source="/tests")
                add_event(session, FairPublished(**fair_info(unique("fair-"))), source="/tests")
            async with app.state.runtime.db.transaction() as session:  # the first one staged 90 s ago
                await session.exec(update(OutboxMessage).where(col(OutboxMessage.event_id) == older.event_id)
                                   .values(created_at=utcnow() - timedelta(seconds=90)))
            families = await scrape(client)
        assert value(families, "hangviet_outbox_unsent_rows") == 2
        assert 89 < value(families, "hangviet_outbox_oldest_unsent_age_seconds") < 120


class TestSagaHistogram:
    async def test_billing_observes_approval_to_invoice_once_per_invoice(self, app):
        fair_id, registration_id, exhibitor_id = unique("fair-"), unique("reg-"), unique("ex-")
        async with running_app(app) as client:
            await feed(app, FairPublished(**fair_info(fair_id)))
            approval = approved(fair_id, registration_id, exhibitor_id).model_copy(
                update={"approved_at": utcnow() - timedelta(seconds=3)})
            await feed(app, approval)
            await feed(app, assigned(fair_id, registration_id, exhibitor_id))
            assert len(await emitted(app, "invoice.issued")) == 1
            families = await scrape(client)
        name = "hangviet_saga_approval_to_invoice_seconds"
        assert value(families, name, f"{name}_count") == 1
        assert 3 <= value(families, name, f"{name}_sum") < 30
        assert value(families, name, f"{name}_bucket", le="2.5") == 0
        assert value(families, name, f"{name}_bucket", le="5.0") == 1


class TestWebhookMetrics:
    async def test_deliveries_by_outcome_with_latency_and_the_flagged_subscription(self, settings_for):
        app = subscriptions.make_app(settings_for, policy=DeliveryPolicy(base_s=0.01, max_s=0.02, max_attempts=2,
                                                                         timeout_s=2))
        settings = app.state.settings
        async with subscriptions.receiver(statuses=[200, 503, 503]) as rec, running_app(app) as client:
            sub = await subscriptions.subscribe(client, settings, rec.url)
            await subscriptions.feed(app, subscriptions.fair_published("08"))
            await subscriptions.settled(client, settings, sub["id"], 1)
            await subscriptions.feed(app, subscriptions.fair_published("08"))
            await subscriptions.settled(client, settings, sub["id"], 2)
            families = await scrape(client)
        counts = {labels["outcome"]: v for n, labels, v in families["hangviet_webhook_deliveries"]
                  if n == "hangviet_webhook_deliveries_total"}
        assert counts == {"delivered": 1, "retrying": 1, "parked": 1}
        assert value(families, "hangviet_webhook_delivery_seconds", "hangviet_webhook_delivery_seconds_count",
                     outcome="parked") == 1
        assert value(families, "hangviet_webhook_subscriptions_flagged") == 1
        assert len(rec.requests) == 3


class TestConsumerLag:
    async def test_lag_is_the_high_watermark_minus_the_position_per_partition(self):
        class FakeKafka:
            def __init__(self):
                self.marks = {TopicPartition("booths.events", 0): 120, TopicPartition("booths.events", 1): None,
                              TopicPartition("registration.events", 2): 7, TopicPartition("registration.events", 3): 9}
                self.positions = {TopicPartition("booths.events", 0): 100, TopicPartition("registration.events", 2): 9}

            def assignment(self):
                return set(self.marks)

            def highwater(self, tp):
                return self.marks[tp]

            async def position(self, tp):
                if tp not in self.positions:
                    raise IllegalStateError("no longer assigned")
                return self.positions[tp]

        billing = SimpleNamespace(name="billing")
        samples = await consumer_lag([(billing, SimpleNamespace(consumer=FakeKafka())),
                                      (billing, SimpleNamespace(consumer=None))])
        # unknown high watermark (no fetch answered yet) and revoked partitions are left out; never negative
        assert samples == [(["billing", "booths.events", "0"], 20.0), (["billing", "registration.events", "2"], 0.0)]
