"""Traces: one approval is one trace from registration's HTTP request through booths and billing to
subscriptions (four real apps in memory on one test broker, their spans in an in-memory exporter), each span
with the correlation id; the traceparent still travels when nothing traces; logs carry the span's ids."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from faststream.kafka import TestKafkaBroker
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlmodel import select

import shared.runtime as runtime_module
from services.billing.app import create_app as billing_app
from services.booths.app import create_app as booths_app
from services.registration.app import create_app as registration_app
from services.subscriptions.app import create_app as subscriptions_app
from shared import tracing
from shared.contracts.markets import SessionCancelled
from shared.messaging import make_broker
from shared.outbox import OutboxMessage, add_event
from tests.conftest import running_app, unique
from tests.eventually import eventually
from tests.service.test_registration_support import new_exhibitor, open_fair, organizer, register

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    if tracing.enabled():
        pytest.skip("tracing is configured for this process already (OTEL_EXPORTER_OTLP_ENDPOINT)")
    exporter = InMemorySpanExporter()
    tracing.configure_tracing("tests", exporter)
    yield exporter
    tracing.shutdown_tracing()


@pytest.fixture
async def saga(settings_for, monkeypatch) -> AsyncIterator[tuple[dict, httpx.AsyncClient]]:
    """Registration, booths, billing and subscriptions, each on its own SQLite file, on one test broker: what
    a relay publishes reaches every other service's consumer."""
    broker = make_broker(settings_for("registration"))
    monkeypatch.setattr(runtime_module, "make_broker", lambda _settings: broker)
    apps = {"registration": registration_app(settings_for("registration", database_url="")),
            "booths": booths_app(settings_for("booths", database_url="")),
            "billing": billing_app(settings_for("billing", database_url="")),
            "subscriptions": subscriptions_app(settings_for("subscriptions", database_url=""))}
    async with TestKafkaBroker(broker), AsyncExitStack() as stack:
        for app in apps.values():
            await stack.enter_async_context(app.router.lifespan_context(app))
        transport = httpx.ASGITransport(app=apps["registration"])
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield apps, client


async def issued(billing) -> bool:
    async with billing.state.runtime.db.sessions() as session:
        rows = (await session.exec(select(OutboxMessage).where(OutboxMessage.sent_at.is_not(None)))).all()  # type: ignore[union-attr]
    return any(row.event_type.endswith("invoice.issued.v1") for row in rows)


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def write_trace(trace: list[ReadableSpan], by_id: dict[int, ReadableSpan], root: ReadableSpan) -> None:
    """The trace as an indented tree of its service-level spans (database spans counted, not listed), under
    test-artifacts/traces/ — the evidence a reader can open."""
    children: dict[int | None, list[ReadableSpan]] = {}
    for span in sorted(trace, key=lambda s: s.start_time or 0):
        children.setdefault(span.parent.span_id if span.parent else None, []).append(span)
    lines = [f"trace {root.context.trace_id:032x}: {len(trace)} spans"]

    def walk(span: ReadableSpan, depth: int) -> None:
        below = children.get(span.context.span_id, [])
        database = sum(1 for s in below if (s.attributes or {}).get("db.system"))
        service = (span.attributes or {}).get(tracing.SERVICE_ATTRIBUTE, "")
        took = ((span.end_time or 0) - (span.start_time or 0)) / 1e6
        lines.append(f"{'  ' * depth}{span.name} [{service}] {took:.1f} ms"
                     + (f" (+{database} database spans)" if database else ""))
        for child in below:
            if not (child.attributes or {}).get("db.system"):
                walk(child, depth + 1)

    walk(root, 0)
    folder = ARTIFACTS / "traces"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "approval.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def ancestry(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[ReadableSpan]:
    """The span and its parents, up to the root."""
    chain = [span]
    while chain[-1].parent is not None and chain[-1].parent.span_id in by_id:
        chain.append(by_id[chain[-1].parent.span_id])
    return chain


class TestOneApprovalIsOneTrace:
    async def test_the_approval_crosses_registration_booths_billing_and_subscriptions_in_one_trace(
            self, exporter, saga):
        apps, client = saga
        org = organizer(apps["registration"])
        fair = await open_fair(client, org)
        headers, _ = await new_exhibitor(client, apps["registration"])
        registration = await register(client, fair["id"], headers, booths=2)
        correlation_id = unique("trace-")
        approved = await client.post(f"/registrations/{registration['id']}/approve",
                                     headers={**org, "X-Correlation-ID": correlation_id})
        assert approved.status_code == 200, approved.text
        assert await eventually(lambda: issued(apps["billing"]), timeout=10, what="billing's invoice")

        def subscriptions_took_the_invoice() -> list[ReadableSpan] | None:
            spans = list(exporter.get_finished_spans())
            done = any(s.name.startswith("subscriptions process") and s.name.endswith("invoice.issued.v1")
                       for s in spans)
            return spans if done else None

        spans = await eventually(subscriptions_took_the_invoice, timeout=10, what="subscriptions' span of the invoice")
        server = next(s for s in spans if s.kind == tracing.SpanKind.SERVER and s.attributes
                      and s.attributes.get(tracing.CORRELATION_ATTRIBUTE) == correlation_id)
        trace = [s for s in spans if s.context.trace_id == server.context.trace_id]
        by_id = {s.context.span_id: s for s in trace}
        last = next(s for s in trace if s.name.startswith("subscriptions process")
                    and s.name.endswith("invoice.issued.v1"))
        path = [s.attributes.get(tracing.SERVICE_ATTRIBUTE) for s in ancestry(last, by_id)
                if s.attributes and tracing.SERVICE_ATTRIBUTE in s.attributes]
        assert path == ["subscriptions", "billing", "booths", "registration"], [s.name for s in ancestry(last, by_id)]
        assert ancestry(last, by_id)[-1] is server
        for span in trace:
            if span.kind in (tracing.SpanKind.CONSUMER, tracing.SpanKind.PRODUCER):
                assert span.attributes and span.attributes[tracing.CORRELATION_ATTRIBUTE] == correlation_id, span.name
        assert any(s.name.startswith("SELECT") or s.name.startswith("INSERT") for s in trace), "no database span"
        write_trace(trace, by_id, server)


class TestTraceparentWithoutTracing:
    async def test_a_staged_event_carries_the_incoming_traceparent_to_the_published_header(self, settings_for):
        from services.registration.app import create_app

        app = create_app(settings_for("registration"))
        assert not tracing.enabled()
        async with running_app(app):
            runtime = app.state.runtime
            with tracing.carried(TRACEPARENT):
                async with runtime.db.transaction() as session:
                    row = add_event(session, SessionCancelled(programme_id="p1", session_id=unique("s-"),
                                                              reason="test"), source="/test")
            sent: list[dict] = []
            original = runtime.broker.publish

            async def spy(*args, **kwargs):
                sent.append(kwargs.get("headers") or {})
                return await original(*args, **kwargs)

            runtime.broker.publish = spy
            await runtime.relay.flush()
        assert row.traceparent == TRACEPARENT
        assert any(h.get("ce_traceparent") == TRACEPARENT for h in sent), sent


class TestLogs:
    def test_a_log_line_inside_a_span_carries_its_trace_and_span_ids(self, exporter):
        with tracing.continued(TRACEPARENT, "work"):
            fields = tracing.add_trace_ids(None, "info", {"event": "x"})
        assert fields["trace_id"] == TRACEPARENT.split("-")[1]
        assert len(fields["span_id"]) == 16 and fields["span_id"] != TRACEPARENT.split("-")[2]
        assert "trace_id" not in tracing.add_trace_ids(None, "info", {"event": "y"})


class TestWebhookTraceparent:
    async def test_a_webhook_carries_the_traceparent_of_its_cloudevent(self, settings_for):
        from shared.envelope import TRACEPARENT_HEADER, event_headers
        from tests.service.test_subscriptions import fair_published, feed, make_app, receiver, settled, subscribe

        app = make_app(settings_for)
        event = fair_published("08")
        headers = {**event_headers(event, source="/tests", correlation_id="c-1"), TRACEPARENT_HEADER: TRACEPARENT}
        async with receiver() as rec, running_app(app) as client:
            sub = await subscribe(client, app.state.settings, rec.url)
            await feed(app, event, headers=headers)
            await settled(client, app.state.settings, sub["id"], 1)
        assert rec.requests[0].headers["traceparent"] == TRACEPARENT
        assert rec.requests[0].json()["traceparent"] == TRACEPARENT  # the stored CloudEvent
