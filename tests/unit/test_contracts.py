"""The event contracts: every type keyed, documented, catalogued; CloudEvents headers readable by the SDK."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary_event

from shared.contracts import EVENT_CLASSES, EVENTS_BY_TYPE, all_topics
from shared.contracts.base import Event
from shared.contracts.billing import InvoiceIssued
from shared.contracts.catalogue import render
from shared.envelope import MalformedEvent, event_headers, parse_event, read_meta

ROOT = Path(__file__).resolve().parents[2]


def test_every_event_type_is_unique_and_documented() -> None:
    assert len(EVENTS_BY_TYPE) == len(EVENT_CLASSES) == 33
    for cls in EVENT_CLASSES:
        assert cls.__doc__ and len(cls.__doc__.strip()) > 20, cls
        assert cls.ce_type() == f"vn.hangviet.{cls.event_name}.v1"
        assert cls.topic in all_topics()


def test_every_topic_has_a_dead_letter_topic() -> None:
    topics = all_topics()
    for topic in {cls.topic for cls in EVENT_CLASSES}:
        assert f"{topic}.dlq" in topics
        assert topics[topic] > 1


def test_the_catalogue_in_docs_is_up_to_date() -> None:
    stale = "stale: run `uv run python -m shared.contracts.catalogue > docs/events.md`"
    assert (ROOT / "docs" / "events.md").read_text() == render(), stale


def invoice() -> InvoiceIssued:
    return InvoiceIssued(fair_id="f1", invoice_id="i1", registration_id="r1", exhibitor_id="e1", form="1",
                         symbol="C26TAA", number="00000001", issued_on=date(2026, 11, 22), due_on=date(2026, 12, 7),
                         net_vnd=10_000_000, vat_vnd=800_000, total_vnd=10_800_000, payable_vnd=10_800_000,
                         amount_in_words="Mười triệu tám trăm nghìn đồng")


def test_headers_are_cloudevents_binary_mode_readable_by_the_sdk() -> None:
    event = invoice()
    headers = event_headers(event, source="/services/billing", correlation_id="c-1",
                            time=datetime(2026, 11, 22, tzinfo=UTC))
    ce = from_binary_event(KafkaMessage(headers={k: v.encode() for k, v in headers.items()}, key=b"f1",
                                        value=event.model_dump_json().encode()))
    assert ce.get_type() == "vn.hangviet.invoice.issued.v1"
    assert ce.get_source() == "/services/billing"
    assert ce.get_subject() == "i1"
    assert ce.get_extension("correlationid") == "c-1"
    assert ce.get_data()["total_vnd"] == 10_800_000


def test_a_message_without_cloudevents_headers_is_malformed() -> None:
    with pytest.raises(MalformedEvent, match="ce_id"):
        read_meta({"ce_specversion": "1.0", "ce_type": "x", "ce_source": "/x"})


def test_a_body_that_breaks_the_contract_is_malformed_with_the_reason() -> None:
    meta = read_meta(event_headers(invoice(), source="/t", correlation_id="c"))
    with pytest.raises(MalformedEvent, match="total_vnd"):
        parse_event(meta, b'{"fair_id": "f1", "total_vnd": -5}')
    assert parse_event(meta, invoice().model_dump_json().encode()) == invoice()


def test_every_event_type_gives_its_own_kafka_key() -> None:
    for cls in EVENT_CLASSES:
        assert cls.key is not Event.key, f"{cls.__name__} has no key(): the base's is abstract"
