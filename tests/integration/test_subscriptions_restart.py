"""Kill the subscriptions process (SIGKILL) while it delivers webhooks — some have arrived, the rest are still
owed — publish more while it is down, start it again: every event reaches every subscription, in order, with
the same webhook-id each time it is sent; a second arrival happens only for the delivery in flight at the kill
(the last to arrive before it: the documented at-least-once window)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from standardwebhooks.webhooks import Webhook

from devstack.platform import Platform, start_platform
from shared.auth import Role, issue_token
from shared.settings import load_settings
from tests.integration.helpers import eventually
from tests.service.fixtures import fair_body

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

SECRET = load_settings("tests").jwt_secret
ORGANIZER = {"Authorization": f"Bearer {issue_token(SECRET, role=Role.ORGANIZER, centre_id='tq')}"}
REGIONAL = {"Authorization": f"Bearer {issue_token(SECRET, role=Role.REGIONAL, subject='ttkc1', region='north')}"}
ANSWER_DELAY_S = 0.25  # the receiver processes, then answers slowly: a kill lands inside a call
KILL_SETTLE_S = 0.5
ENV = {"WEBHOOK_ALLOW_LOOPBACK": "true", "HANGVIET_ENV": "test", "SUBSCRIPTIONS_WEBHOOK_BASE_S": "0.2",
       "SUBSCRIPTIONS_WEBHOOK_MAX_S": "1", "SUBSCRIPTIONS_WEBHOOK_TIMEOUT_S": "3"}


@dataclass
class SlowReceiver:
    """Records each POST (path, headers, body) as processed, then answers 200 after a delay."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0

    def start(self) -> SlowReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                receiver.requests.append({"path": self.path, "body": body,
                                          "headers": {k.lower(): v for k, v in self.headers.items()}})
                time.sleep(ANSWER_DELAY_S)
                try:
                    self.send_response(200)
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:  # the sender died while we answered
                    pass

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def on(self, path: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"] == path]

    def stop(self) -> None:
        self._server.shutdown()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Platform]:
    var_dir: Path = tmp_path_factory.mktemp("subscriptions-restart")
    running = await start_platform(var_dir, services=["registration", "subscriptions"], extra_env=ENV)
    yield running
    running.stop()


async def publish_fairs(platform: Platform, count: int) -> list[str]:
    """Create and publish fairs in Tuyên Quang (08); returns their ids."""
    ids = []
    async with httpx.AsyncClient(timeout=30, trust_env=False) as client:
        for n in range(count):
            created = await client.post(f"{platform.url('registration')}/fairs", headers=ORGANIZER,
                                        json=fair_body(name=f"Hội chợ số {n}"))
            assert created.status_code == 201, created.text
            published = await client.post(f"{platform.url('registration')}/fairs/{created.json()['id']}/publish",
                                          headers=ORGANIZER)
            assert published.status_code == 200, published.text
            ids.append(str(created.json()["id"]))
    return ids


def fair_of(request: dict[str, Any]) -> str:
    return str(json.loads(request["body"])["data"]["fair_id"])


class TestKillAndRestart:
    async def test_nothing_is_lost_and_only_an_in_flight_delivery_arrives_twice(self, platform: Platform) -> None:
        receiver = SlowReceiver().start()
        subs: dict[str, dict[str, Any]] = {}
        async with httpx.AsyncClient(timeout=30, trust_env=False) as client:
            for path, types in (("/a", ["fair.*"]), ("/b", ["fair.published"])):
                res = await client.post(f"{platform.url('subscriptions')}/subscriptions", headers=REGIONAL,
                                        json={"url": receiver.url(path), "provinces": ["08"], "event_types": types})
                assert res.status_code == 201, res.text
                subs[path] = res.json()
        before = await publish_fairs(platform, 10)

        async def some_delivered() -> bool:
            return len(receiver.on("/a")) >= 3

        await eventually(some_delivered, timeout=60, what="the first deliveries")
        platform.supervisor.kill("subscriptions")
        await asyncio.sleep(KILL_SETTLE_S)  # a request the dead process had already sent still lands
        at_kill = {path: len(receiver.on(path)) for path in subs}
        assert all(0 < count < len(before) for count in at_kill.values()), at_kill  # killed mid-way
        during = await publish_fairs(platform, 4)  # Kafka keeps them while nobody consumes
        await platform.start_service("subscriptions")
        expected = set(before + during)

        sent_order: dict[str, list[str]] = {}

        async def all_delivered() -> bool:
            async with httpx.AsyncClient(timeout=30, trust_env=False) as client:
                for path, sub in subs.items():
                    res = await client.get(f"{platform.url('subscriptions')}/subscriptions/{sub['id']}/deliveries",
                                           params={"limit": 500}, headers=REGIONAL)
                    rows = res.json()["data"]
                    if len(rows) < len(expected) or any(r["status"] != "delivered" for r in rows):
                        return False
                    sent_order[path] = [r["event_id"] for r in reversed(rows)]
            return True

        await eventually(all_delivered, timeout=120, what="every fair delivered to both subscriptions")
        receiver.stop()

        for path, sub in subs.items():
            requests = receiver.on(path)
            for request in requests:
                assert Webhook(sub["secret"]).verify(request["body"], request["headers"])
                assert request["headers"]["webhook-id"] == json.loads(request["body"])["id"]  # stable ids
            ids_of_fair: dict[str, set[str]] = {}
            for request in requests:
                ids_of_fair.setdefault(fair_of(request), set()).add(request["headers"]["webhook-id"])
            assert set(ids_of_fair) == expected and all(len(ids) == 1 for ids in ids_of_fair.values())
            webhook_ids = [r["headers"]["webhook-id"] for r in requests]
            twice = {i for i in webhook_ids if webhook_ids.count(i) > 1}
            assert len(twice) <= 1, (path, twice)  # at most the one in flight when the process was killed:
            assert twice <= {webhook_ids[at_kill[path] - 1]}, (path, twice)  # the last to arrive before it
            first_seen = list(dict.fromkeys(webhook_ids))
            assert first_seen == sent_order[path]  # in order, the order the service owed them
