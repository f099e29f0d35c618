"""The consumer's applied offsets (shared/messaging.py `_Offsets`): committed explicitly, only what was applied,
at most every so often, and on revocation for the partitions taken away."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from shared.messaging import EventConsumer, _Offsets, _PartitionsListener, rewind


class RecordingKafka(AIOKafkaConsumer):  # type: ignore[misc]
    """An aiokafka consumer that only records its commits."""

    def __init__(self) -> None:  # no client, no connection
        self.commits: list[dict[TopicPartition, OffsetAndMetadata]] = []
        self.seeks: list[tuple[TopicPartition, int]] = []

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self.seeks.append((partition, offset))

    async def commit(self, offsets: Any = None) -> None:
        assert offsets is not None, "an implicit commit would cover records fetched but not applied"
        self.commits.append(dict(offsets))


def records(topic: str, partition: int, *offsets: int) -> list[SimpleNamespace]:
    return [SimpleNamespace(topic=topic, partition=partition, offset=offset) for offset in offsets]


A0, A1, B0 = TopicPartition("a", 0), TopicPartition("a", 1), TopicPartition("b", 0)


@pytest.mark.asyncio
async def test_what_was_applied_is_committed_once_as_each_partitions_next_offset() -> None:
    kafka, offsets = RecordingKafka(), _Offsets(every_s=3600)
    offsets.applied(kafka, [*records("a", 0, 5, 6), *records("a", 1, 3), *records("b", 0, 9)])
    offsets.applied(kafka, records("a", 0, 7))
    await offsets.commit()
    await offsets.commit()  # nothing new: no second round trip
    assert kafka.commits == [{A0: OffsetAndMetadata(8, ""), A1: OffsetAndMetadata(4, ""),
                              B0: OffsetAndMetadata(10, "")}]
    offsets.applied(kafka, records("a", 1, 4))
    await offsets.commit()
    assert kafka.commits[1:] == [{A1: OffsetAndMetadata(5, "")}]


@pytest.mark.asyncio
async def test_a_commit_is_due_only_every_so_often() -> None:
    kafka, offsets = RecordingKafka(), _Offsets(every_s=3600)
    assert offsets.due()  # never committed
    offsets.applied(kafka, records("a", 0, 1))
    await offsets.commit()
    offsets.applied(kafka, records("a", 0, 2))
    assert not offsets.due() and offsets.pending() == {A0: 3}
    assert _Offsets(every_s=0).due()


@pytest.mark.asyncio
async def test_partitions_taken_away_are_committed_then_forgotten() -> None:
    kafka, offsets = RecordingKafka(), _Offsets(every_s=3600)
    consumer = EventConsumer(name="tests", topics=("a",), handlers={}, db=None, broker=None)  # type: ignore[arg-type]
    listener = _PartitionsListener(consumer, offsets)
    offsets.applied(kafka, [*records("a", 0, 1), *records("a", 1, 1)])
    await listener.on_partitions_revoked({A0})
    assert kafka.commits == [{A0: OffsetAndMetadata(2, "")}]
    assert offsets.pending() == {A1: 2}  # a0 is another member's now


@pytest.mark.asyncio
async def test_the_in_memory_test_broker_has_no_offsets_to_commit() -> None:
    offsets = _Offsets(every_s=0)
    offsets.applied(SimpleNamespace(commit=None), records("a", 0, 1))  # FastStream's fake consumer
    await offsets.commit()  # nothing to commit to: no error


def test_a_failed_batch_rewinds_each_partition_to_its_first_record() -> None:
    kafka = RecordingKafka()
    rewind(kafka, [*records("a", 0, 7, 8), *records("a", 1, 3), *records("b", 0, 5, 6)])
    assert sorted(kafka.seeks) == [(TopicPartition("a", 0), 7), (TopicPartition("a", 1), 3),
                                   (TopicPartition("b", 0), 5)]


def test_rewinding_without_an_aiokafka_consumer_does_nothing() -> None:
    rewind(None, records("a", 0, 1))  # FastStream's in-memory broker: nothing to seek, nothing raised
