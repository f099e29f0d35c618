"""The kernel's batch fetch: records of several partitions come interleaved by the time they were produced,
each partition's own order kept; records after an idle spell bring the short fetch wait back at once."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from shared.db import Database
from shared.messaging import EventConsumer, make_broker, set_fetch_wait, subscribe, subscriptions_of
from shared.settings import load_settings


def rec(topic: str, offset: int, timestamp: int) -> SimpleNamespace:
    return SimpleNamespace(topic=topic, partition=0, offset=offset, timestamp=timestamp)


class FakeKafkaConsumer:
    def __init__(self, batches: dict[Any, list[Any]], fetch_wait_ms: int = 500) -> None:
        self.batches = batches
        self._fetcher = SimpleNamespace(_fetch_max_wait_ms=fetch_wait_ms)  # aiokafka's, read per fetch request

    async def getmany(self, *, timeout_ms: int, max_records: int) -> dict[Any, list[Any]]:
        return self.batches


@pytest.fixture
def next_batch(tmp_path: Any) -> Any:
    settings = load_settings("tests")
    broker = make_broker(settings)
    consumer = EventConsumer(name="tests", topics=("registration.events", "booths.events"), handlers={},
                             db=Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"), broker=broker)
    subscribe(consumer, settings)
    [(_, subscriber)] = subscriptions_of(broker)
    return subscriber.get_msg


@pytest.mark.asyncio
async def test_an_effect_on_another_topic_comes_after_its_cause(next_batch: Any) -> None:
    approved = [rec("registration.events", 5, 1000), rec("registration.events", 6, 1003)]
    assigned = [rec("booths.events", 9, 1002), rec("booths.events", 10, 1004)]
    got = await next_batch(FakeKafkaConsumer({"booths-0": assigned, "registration-0": approved}))
    assert [(r.topic, r.offset) for r in got] == [("registration.events", 5), ("booths.events", 9),
                                                  ("registration.events", 6), ("booths.events", 10)]


@pytest.mark.asyncio
async def test_a_partition_keeps_its_order_whatever_its_times(next_batch: Any) -> None:
    own = [rec("booths.events", 1, 2000), rec("booths.events", 2, 1000), rec("booths.events", 3, 3000)]
    other = [rec("registration.events", 7, 1500)]
    got = await next_batch(FakeKafkaConsumer({"booths-0": own, "registration-0": other}))
    assert [r.offset for r in got if r.topic == "booths.events"] == [1, 2, 3]
    assert len(got) == 4
    single = await next_batch(FakeKafkaConsumer({"booths-0": own}))
    assert [r.offset for r in single] == [1, 2, 3]


@pytest.mark.asyncio
async def test_records_after_an_idle_spell_bring_the_short_fetch_wait_back_at_once(next_batch: Any) -> None:
    idle = FakeKafkaConsumer({}, fetch_wait_ms=500)
    await next_batch(idle)
    assert idle._fetcher._fetch_max_wait_ms == 500  # nothing came: still long-polling
    woken = FakeKafkaConsumer({"booths-0": [rec("booths.events", 1, 1000)]}, fetch_wait_ms=500)
    await next_batch(woken)
    assert woken._fetcher._fetch_max_wait_ms == load_settings("tests").kafka_fetch_max_wait_ms


def test_setting_the_fetch_wait_leaves_a_consumer_without_a_fetcher_alone() -> None:
    set_fetch_wait(SimpleNamespace(), 5)  # FastStream's in-memory broker, or an aiokafka without the attribute
    set_fetch_wait(None, 5)
