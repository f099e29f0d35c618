"""Tools the integration tests share: polling, a raw Kafka reader, a local webhook receiver."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition

from tests.eventually import eventually

__all__ = ["eventually"]

T = TypeVar("T")


@dataclass
class Record:
    """A Kafka record as read back."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, str]

    @property
    def ce_type(self) -> str:
        return self.headers.get("ce_type", "")

    @property
    def name(self) -> str:
        """The event name, e.g. `booths.assigned`."""
        return self.ce_type.removeprefix("vn.hangviet.").rsplit(".v", 1)[0]

    def json(self) -> Any:
        return json.loads(self.value)


async def read_topics(bootstrap: str, topics: list[str], *, idle_s: float = 1.0) -> list[Record]:
    """Every record currently on the topics, from the beginning (no consumer group, nothing committed)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=50)
    await consumer.start()
    try:
        await consumer.topics()  # loads the metadata of every topic
        partitions = [TopicPartition(t, p) for t in topics for p in (consumer.partitions_for_topic(t) or set())]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        records: list[Record] = []
        while True:
            batch = await consumer.getmany(timeout_ms=int(idle_s * 1000))
            if not batch:
                return records
            for tp, msgs in batch.items():
                for m in msgs:
                    headers = {k: v.decode() for k, v in (m.headers or ())}
                    records.append(Record(tp.topic, tp.partition, m.offset, m.key, m.value, headers))
    finally:
        await consumer.stop()


@dataclass
class WebhookReceiver:
    """A real HTTP server on 127.0.0.1 that records every POST (and can be told to fail)."""

    received: list[dict[str, Any]] = field(default_factory=list)
    status_codes: list[int] = field(default_factory=list)  # answered in turn; 200 when empty
    port: int = 0

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                status = receiver.status_codes.pop(0) if receiver.status_codes else 200
                receiver.received.append({"headers": {k.lower(): v for k, v in self.headers.items()},
                                          "body": body, "status": status})
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def delivered(self) -> list[dict[str, Any]]:
        """Requests answered with 2xx."""
        return [r for r in self.received if 200 <= r["status"] < 300]

    def stop(self) -> None:
        self._server.shutdown()
