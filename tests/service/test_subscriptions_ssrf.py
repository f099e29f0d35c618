"""The SSRF guard with names, not literal addresses: a fake DNS answers for the names of these tests through
the resolver the service uses (the event loop's `getaddrinfo`); every other name resolves as usual. A name
resolving to a private or metadata address — or to an IPv6 transition form carrying one — is refused at
creation, as is a URL the HTTP client cannot send to; a name whose answer changes after creation (DNS rebinding)
is checked again at every delivery, never called at the new address, and the delivery parked at once."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from sqlmodel import col, update

from services.subscriptions.adapters import urls
from services.subscriptions.domain.delivery import DeliveryPolicy
from services.subscriptions.models import Subscription
from tests.conftest import running_app
from tests.service.test_subscriptions import (
    fair_published,
    feed,
    make_app,
    rc,
    receiver,
    settled,
)

# What addresses a webhook may reach is decided from the URL and its DNS answers, before any row is written.
pytestmark = pytest.mark.sqlite_only(reason="URL and address checks do not depend on the database")

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
        if not self.answers[host]:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
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


# Each IPv6 transition form carrying 10.0.0.7 (private) or 169.254.169.254 (cloud metadata), and what is said.
TRANSITION_FORMS = [
    ("64:ff9b::a00:7", "NAT64 address embedding 10.0.0.7, a private address"),
    ("64:ff9b::a9fe:a9fe", "NAT64 address embedding 169.254.169.254, a link-local address (cloud metadata lives here)"),
    ("64:ff9b:1::a00:7", "NAT64 address embedding 10.0.0.7, a private address"),
    ("2002:a00:7::1", "6to4 address embedding 10.0.0.7, a private address"),
    ("2002:a9fe:a9fe::1", "6to4 address embedding 169.254.169.254, a link-local address (cloud metadata lives here)"),
    ("::a00:7", "IPv4-compatible address embedding 10.0.0.7, a private address"),
    ("::ffff:0:a00:7", "IPv4-translated address embedding 10.0.0.7, a private address"),
    ("::ffff:a00:7", "private address"),  # IPv4-mapped: it is 10.0.0.7 itself
    ("2001:0:4136:e378:8000:63bf:f5ff:fff8", "Teredo address embedding 10.0.0.7, a private address"),
    ("64:ff9b::7f00:1", "NAT64 address embedding 127.0.0.1, a loopback address"),  # even with loopback allowed
]


class TestTransitionForms:
    @pytest.mark.parametrize(("address", "reason"), TRANSITION_FORMS)
    def test_refuses_an_ipv6_address_by_the_ipv4_address_it_carries(self, address, reason):
        assert urls.address_refusal(address, allow_loopback=True) == reason

    @pytest.mark.parametrize("address", ["64:ff9b::5db8:d70e", "2002:5db8:d70e::1", "::ffff:5db8:d70e"])
    def test_accepts_one_carrying_a_public_ipv4_address(self, address):  # 93.184.215.14
        assert urls.address_refusal(address, allow_loopback=False) is None

    def test_ipv6_loopback_and_unspecified_are_not_read_as_ipv4_compatible(self):
        assert urls.address_refusal("::1", allow_loopback=True) is None
        assert urls.address_refusal("::1", allow_loopback=False) == "loopback address"
        assert urls.address_refusal("::", allow_loopback=True) == "unspecified address"

    @pytest.mark.parametrize(("address", "reason"), TRANSITION_FORMS)
    async def test_refuses_a_name_resolving_to_one_at_creation(self, settings_for, dns, address, reason):
        dns.answers[HOST] = [address]
        app = make_app(settings_for, allow_loopback=True)
        async with running_app(app) as client:
            named = await create(client, app.state.settings, hook_url(8080))
            literal = await create(client, app.state.settings, f"http://[{address}]:8080/hooks")
        for res in (named, literal):
            assert res.status_code == 422, res.text
            assert res.headers["content-type"] == "application/problem+json"
            assert res.json()["errors"][0]["field"] == "url" and f"{address} is a {reason}" in res.text


class TestUrlsTheClientCannotSendTo:
    @pytest.mark.parametrize("url", [
        "http://0177.0.0.1/hooks",  # octal: the system resolver reads 127.0.0.1, httpx refuses the host
        "http://\u2603.net/hooks",  # a symbol IDNA 2008 forbids
        "http://xn--a.example/hooks",  # a Punycode label that decodes to a forbidden code point
        "http://exa_mpl\u00e9.com/hooks",  # an underscore in an internationalised label
    ])
    async def test_refuses_at_creation_naming_the_field_without_resolving(self, settings_for, dns, url):
        from urllib.parse import urlsplit

        dns.answers[urlsplit(url).hostname or ""] = [PUBLIC]  # the name would resolve: only the client refuses it
        app = make_app(settings_for, allow_loopback=True)
        async with running_app(app) as client:
            res = await create(client, app.state.settings, url)
        assert res.status_code == 422, res.text
        assert res.headers["content-type"] == "application/problem+json"
        error = res.json()["errors"][0]
        assert error["field"] == "url" and "the HTTP client cannot send to this URL" in error["message"]
        assert dns.asked == []

    async def test_an_international_name_is_resolved_and_called_as_idna(self, settings_for, dns):
        dns.answers["xn--hich-trung-z03ele.example"] = ["127.0.0.1"]
        app = make_app(settings_for, policy=TWO_ATTEMPTS, allow_loopback=True)
        settings = app.state.settings
        async with receiver() as rec, running_app(app) as client:
            port = int(rec.url.split(":")[2].split("/")[0])
            created = await create(client, settings, f"http://hộichợ-trung.example:{port}/hooks/hangviet")
            assert created.status_code == 201, created.text
            await feed(app, fair_published("08"))
            [row] = await settled(client, settings, created.json()["id"], 1)
        assert row["status"] == "delivered"
        assert [r.headers["host"] for r in rec.requests] == [f"xn--hich-trung-z03ele.example:{port}"]


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
        (False, PUBLIC, "64:ff9b::a00:7", "NAT64 address embedding 10.0.0.7, a private address"),
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
            flagged = (await client.get(f"/subscriptions/{created.json()['id']}", headers=rc(settings))).json()
        assert rec.requests == []  # never called, not even at the receiver listening on 127.0.0.1
        # Parked at the first refusal, not retried: every retry would be refused alike (two attempts allowed).
        [attempt] = row["attempts"]
        assert row["status"] == "parked" and attempt["status_code"] is None and attempt["retry_at"] is None
        assert f"webhook URL refused: {later} is a {reason}" in attempt["error"], attempt["error"]
        assert reason in row["last_error"]
        assert flagged["flagged"] and reason in flagged["flag_reason"]
        assert dns.asked == [HOST] * 2  # resolved at creation, then again before the attempt

    async def test_a_url_stored_before_the_client_check_is_parked_at_its_first_attempt(self, settings_for, dns):
        dns.answers[HOST] = [PUBLIC]
        app = make_app(settings_for, policy=TWO_ATTEMPTS, allow_loopback=True)
        settings = app.state.settings
        async with running_app(app) as client:
            created = (await create(client, settings, hook_url(8080))).json()
            async with app.state.runtime.db.transaction() as session:  # as an earlier version accepted it
                await session.exec(update(Subscription).where(col(Subscription.id) == created["id"])
                                   .values(url="http://0177.0.0.1:8080/hooks"))
            await feed(app, fair_published("08"))
            [row] = await settled(client, settings, created["id"], 1)
        [attempt] = row["attempts"]
        assert row["status"] == "parked" and "the HTTP client cannot send to this URL" in attempt["error"]

    async def test_a_name_that_stops_resolving_is_retried_not_parked_at_once(self, settings_for, dns):
        dns.answers[HOST] = [PUBLIC]
        app = make_app(settings_for, policy=TWO_ATTEMPTS, allow_loopback=False)
        settings = app.state.settings
        async with running_app(app) as client:
            created = await create(client, settings, hook_url(8080))
            dns.answers[HOST] = []  # a DNS outage, or the name is gone: it may come back
            await feed(app, fair_published("08"))
            [row] = await settled(client, settings, created.json()["id"], 1)
        assert row["status"] == "parked" and len(row["attempts"]) == 2  # the round's two attempts, then parked
        assert all("does not resolve" in a["error"] for a in row["attempts"])
