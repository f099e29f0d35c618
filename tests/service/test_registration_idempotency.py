"""`Idempotency-Key` on POSTs: the first response is kept in a real Redis and replayed to every retry."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from services.registration.app import create_app
from tests.conftest import running_app, unique
from tests.ports import refused_port
from tests.service.fixtures import fair_body
from tests.service.redis_server import redis_server
from tests.service.test_registration_support import exhibitor_headers, new_exhibitor, open_fair, organizer, outbox


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server of our own (never the machine's 6379)."""
    with redis_server(tmp_path_factory.mktemp("registration-redis")) as url:
        yield url


@pytest.fixture
def app(settings_for, redis_url):
    return create_app(settings_for("registration", redis_url=redis_url))


def keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


async def test_a_retry_gets_the_first_response_and_creates_nothing(app):
    org, key, body = organizer(app), unique("k-"), fair_body()
    async with running_app(app) as client:
        first = await client.post("/fairs", json=body, headers=keyed(org, key))
        retry = await client.post("/fairs", json=body, headers=keyed(org, key))
        mine = (await client.get("/fairs", params={"mine": "true"}, headers=org)).json()
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert mine["count"] == 1


async def test_a_replayed_registration_is_not_a_duplicate(app):
    async with running_app(app) as client:
        fair = await open_fair(client, organizer(app))
        headers, _ = await new_exhibitor(client, app)
        key = unique("k-")
        answers = [await client.post(f"/fairs/{fair['id']}/registrations", json={"booths_requested": 2},
                                     headers=keyed(headers, key)) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert [n for n, _ in await outbox(app)].count("registration.submitted") == 1


async def test_the_same_key_with_another_body_is_refused(app):
    org, key = organizer(app), unique("k-")
    async with running_app(app) as client:
        await client.post("/fairs", json=fair_body(), headers=keyed(org, key))
        other = await client.post("/fairs", json=fair_body(name="Hội chợ khác"), headers=keyed(org, key))
    assert other.status_code == 422 and other.json()["type"].endswith("idempotency-key-reused")
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"


async def test_keys_belong_to_their_caller(app):
    key = unique("k-")
    async with running_app(app) as client:
        one = await client.post("/fairs", json=fair_body(), headers=keyed(organizer(app, "tq"), key))
        two = await client.post("/fairs", json=fair_body(), headers=keyed(organizer(app, "hg"), key))
    assert one.status_code == two.status_code == 201
    assert one.json()["id"] != two.json()["id"] and two.json()["centre_id"] == "hg"


async def test_concurrent_retries_run_the_request_once(app):
    org, key, body = organizer(app), unique("k-"), fair_body()
    async with running_app(app) as client:
        answers = await asyncio.gather(*(client.post("/fairs", json=body, headers=keyed(org, key))
                                         for _ in range(5)))
        mine = (await client.get("/fairs", params={"mine": "true"}, headers=org)).json()
    assert {a.status_code for a in answers} <= {201, 409}
    assert mine["count"] == 1


async def test_refuses_a_malformed_key_and_works_without_one(app):
    org = organizer(app)
    async with running_app(app) as client:
        bad = await client.post("/fairs", json=fair_body(), headers=keyed(org, "x" * 201))
        plain = await client.post("/fairs", json=fair_body(), headers=org)
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "Idempotency-Key"
    assert plain.status_code == 201


async def test_without_redis_a_keyed_request_is_refused_not_run(settings_for):
    with refused_port() as port:
        app = create_app(settings_for("registration", redis_url=f"redis://127.0.0.1:{port}/0"))
        async with running_app(app) as client:
            res = await client.post("/exhibitors", json={}, headers=keyed(exhibitor_headers(app, "ex-1"), "k"))
            plain = await client.get("/fairs")
    assert res.status_code == 503 and res.json()["type"].endswith("idempotency-unavailable")
    assert plain.status_code == 200
