"""The SSRF guard with names, not literal addresses: a fake DNS answers for the names of these tests through
the resolver the service uses (the event loop's `getaddrinfo`); every other name resolves as usual. A name
resolving to a private or metadata address is refused at creation, and a name whose answer changes after
creation (DNS rebinding) is checked again at every delivery and never called at the new address."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from services.subscriptions.domain import DeliveryPolicy
from tests.conftest import running_app
from tests.service.test_subscriptions import (
    fair_published,
    feed,
    make_app,
    rc,
    receiver,
    settled,
)

HOST = "hooks.partner-centre.example"
PUBLIC = "93.184.215.14"
TWO_ATTEMPTS = DeliveryPolicy(base_s=0.01, max_s=0.02, max_attempts=2, timeout_s=2)


class FakeDns:
    """Answers for the names it is given; asks the real resolver about every other name."""

    def __init__(self, real: Any) -> None:
        self.answers: dict[str, list[str]] = {}
        self.asked: list[str] = []
        self._real = real

    async def getaddrinfo(self, host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple]:
        if host not in self.answers:
            return await self._real(host, port, *args, **kwargs)
        self.asked.append(host)
        return [(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP,
                 "", (address, port)) for address in self.answers[host]]


@pytest_asyncio.fixture
async def dns(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDns]:
    loop = asyncio.get_running_loop()
    fake = FakeDns(loop.getaddrinfo)
    monkeypatch.setattr(loop, "getaddrinfo", fake.getaddrinfo)
    yield fake


def hook_url(port: int) -> str:
    return f"http://{HOST}:{port}/hooks/hangviet"


async def create(client, settings, url: str):
    return await client.post("/subscriptions", json={"url": url, "provinces": ["08"], "event_types": ["fair.*"]},
                             headers=rc(settings))


class TestAtCreation:
    @pytest.mark.parametrize("answers", [["10.0.0.7"], ["169.254.169.254"], ["fd00:ec2::254"],
                                         [PUBLIC, "192.168.1.5"]])  # one bad answer among good ones is enough
    async def test_refuses_a_name_resolving_to_a_private_or_metadata_address(self, settings_for, dns, answers):
        dns.answers[HOST] = answers
        app = make_app(settings_for, allow_loopback=True)  # loopback allowed changes nothing for these
        async with running_app(app) as client:
            res = await create(client, app.state.settings, hook_url(8080))
        assert res.status_code == 422, res.text
        assert res.headers["content-type"] == "application/problem+json"
        error = res.json()["errors"][0]
        assert error["field"] == "url" and answers[-1] in res.text
        assert dns.asked == [HOST]

    async def test_accepts_the_same_name_resolving_to_a_public_address(self, settings_for, dns):
        dns.answers[HOST] = [PUBLIC]
        app = make_app(settings_for, allow_loopback=False)
        async with running_app(app) as client:
            res = await create(client, app.state.settings, hook_url(8080))
        assert res.status_code == 201, res.text
        assert res.json()["url"] == hook_url(8080)


class TestAtDelivery:
    async def test_calls_the_checked_address_with_the_name_as_host(self, settings_for, dns):
        dns.answers[HOST] = ["127.0.0.1"]
        app = make_app(settings_for, policy=TWO_ATTEMPTS, allow_loopback=True)
        settings = app.state.settings
        async with receiver() as rec, running_app(app) as client:
            port = int(rec.url.split(":")[2].split("/")[0])
            sub = (await create(client, settings, hook_url(port))).json()
            await feed(app, fair_published("08"))
            [row] = await settled(client, settings, sub["id"], 1)
        assert row["status"] == "delivered"
        assert [r.headers["host"] for r in rec.requests] == [f"{HOST}:{port}"]

    @pytest.mark.parametrize(("allow_loopback", "first", "later", "reason"), [
        (False, PUBLIC, "127.0.0.1", "loopback address"),  # where the receiver really listens
        (True, "127.0.0.1", "169.254.169.254", "link-local address"),
        (True, "127.0.0.1", "10.0.0.7", "private address"),
    ])
    async def test_a_name_whose_answer_changed_after_creation_is_not_called(
            self, settings_for, dns, allow_loopback, first, later, reason):
        dns.answers[HOST] = [first]
        app = make_app(settings_for, policy=TWO_ATTEMPTS, allow_loopback=allow_loopback)
        settings = app.state.settings
        async with receiver() as rec, running_app(app) as client:
            port = int(rec.url.split(":")[2].split("/")[0])
            created = await create(client, settings, hook_url(port))
            assert created.status_code == 201, created.text
            dns.answers[HOST] = [later]  # the name now points inside
            await feed(app, fair_published("08"))
            [row] = await settled(client, settings, created.json()["id"], 1)
        assert rec.requests == []  # never called, not even at the receiver listening on 127.0.0.1
        assert row["status"] == "parked" and len(row["attempts"]) == 2
        for attempt in row["attempts"]:
            assert attempt["status_code"] is None
            assert f"webhook URL refused: {later} is a {reason}" in attempt["error"], attempt["error"]
        assert reason in row["last_error"]
        assert dns.asked == [HOST] * 3  # resolved at creation, then again before each attempt
