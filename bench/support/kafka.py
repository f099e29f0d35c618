"""Raw aiokafka floors through a given broker: produce and consume rates, and the latency of a chain of
hops (one hop: produce → consume; two hops: produce → consume → produce → consume, like a saga's
approved → assigned → issued). Consumers use the services' fetch settings so the floor is like for like."""

from __future__ import annotations

import asyncio
import time
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from devstack.embedded import create_topics
from shared.settings import Settings

PAYLOAD = b"x" * 512
FETCH_MAX_WAIT_MS: int = Settings.model_fields["kafka_fetch_max_wait_ms"].default  # the services' setting
GROUP_SETTINGS = {"session_timeout_ms": 6000, "heartbeat_interval_ms": 2000}


def consumer(bootstrap: str, *topics: str, group: str | None = None, **extra: object) -> AIOKafkaConsumer:
    """A consumer reading from the earliest offset (Tansu's high watermark cannot be trusted for `latest`)."""
    settings: dict[str, object] = {"auto_offset_reset": "earliest", "fetch_max_wait_ms": FETCH_MAX_WAIT_MS,
                                   **(GROUP_SETTINGS if group else {}), **extra}
    return AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, group_id=group, **settings)


async def fresh_topics(bootstrap: str, prefix: str, count: int, partitions: int = 1) -> list[str]:
    """`count` new topics created explicitly (an auto-created one would get 4 partitions)."""
    names = [f"bench.{prefix}.{uuid.uuid4().hex[:8]}.{i}" for i in range(count)]
    await create_topics(bootstrap, dict.fromkeys(names, partitions))
    return names


async def produce_consume_rates(bootstrap: str, n: int) -> dict[str, float]:
    """Produce n 512-byte messages (acks=all, pipelined), then consume them; messages per second each."""
    (topic,) = await fresh_topics(bootstrap, "raw", 1, partitions=3)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        start = time.perf_counter()
        futures = [await producer.send(topic, PAYLOAD, key=f"k{i % 16}".encode()) for i in range(n)]
        await asyncio.gather(*futures)
        produce_s = time.perf_counter() - start
    finally:
        await producer.stop()
    reader = consumer(bootstrap, topic, group=f"g-{topic}")
    await reader.start()
    try:
        await reader.getone()  # after the group join: the rate leaves the join out
        start, got = time.perf_counter(), 1
        while got < n:
            batch = await reader.getmany(timeout_ms=1000)
            got += sum(len(records) for records in batch.values())
        consume_s = time.perf_counter() - start
    finally:
        await reader.stop()
    return {"produce_per_s": n / produce_s, "consume_per_s": (n - 1) / consume_s}


async def hop_latencies(bootstrap: str, hops: int, samples: int, *, timeout_s: float = 10.0) -> list[float]:
    """Milliseconds from the first send to the last receipt through `hops` topics, one message at a time;
    between hops a forwarder consumes and produces again (acks=all), as a service would."""
    topics = await fresh_topics(bootstrap, f"hop{hops}", hops)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    readers = [consumer(bootstrap, topic) for topic in topics]
    await producer.start()
    for reader in readers:
        await reader.start()
    forwarders = [asyncio.create_task(_forward(readers[i], producer, topics[i + 1])) for i in range(hops - 1)]
    try:
        await _one(producer, topics[0], readers[-1], timeout_s)  # warm-up: metadata, connections
        latencies = []
        for _ in range(samples):
            latencies.append(await _one(producer, topics[0], readers[-1], timeout_s))
        return latencies
    finally:
        for task in forwarders:
            task.cancel()
        await asyncio.gather(*forwarders, return_exceptions=True)
        for reader in readers:
            await reader.stop()
        await producer.stop()


async def _one(producer: AIOKafkaProducer, first: str, last: AIOKafkaConsumer, timeout_s: float) -> float:
    start = time.perf_counter()
    await producer.send_and_wait(first, PAYLOAD)
    try:
        await asyncio.wait_for(last.getone(), timeout_s)
    except TimeoutError:
        return float("inf")
    return (time.perf_counter() - start) * 1000


async def _forward(reader: AIOKafkaConsumer, producer: AIOKafkaProducer, topic: str) -> None:
    async for record in reader:
        await producer.send_and_wait(topic, record.value)
