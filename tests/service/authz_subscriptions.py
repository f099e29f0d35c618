"""The subscriptions service's rows of the authorization matrix, and its two tenants' objects (no tests here).

Per tenant a regional centre's subscription (the north's to Tuyên Quang, 08; the south's to Hồ Chí Minh City, 79)
with a webhook to a closed port: the fair.published fed for its province is tried twice and parked, a delivery
to read and redeliver. Each subscription has an iCal feed.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.service.authz_registration import KERNEL
from tests.service.authz_support import (
    PRINCIPALS,
    SIDES,
    Call,
    Objects,
    World,
    anyone,
    crossed,
    headers_of,
    may,
    nobody,
    signed_in,
)
from tests.service.test_subscriptions import fair_published, feed, free_socket, make_app, url_of
from tests.service.test_subscriptions_ownership import TWO_ATTEMPTS

PROVINCE = {"x": "08", "y": "79"}
REGIONAL_OF = {"x": "regional_north", "y": "regional_south"}
SINCE = {"since": "2020-01-01T00:00:00Z"}

# A regional centre's subscription: its owner (and admin). Organizers subscribe too, but own neither of these:
# for them, as for the other region, the subscription does not exist.
owned = may("regional").but({(p, s): 404 for p in PRINCIPALS if p.startswith("organizer") for s in SIDES})
subscriber = may("regional", "organizer", tenant=False)
# A region's provinces (the other region's are refused, 403); an organizer sees its centre's events of any.
in_reach = may("regional", other=403).but({(p, s): 200 for p in ("organizer_x", "organizer_y") for s in SIDES})

CALLS = [
    *KERNEL,
    # A region subscribes to its own provinces; an organizer (its centre's events) and an admin to any.
    Call("POST", "/subscriptions", in_reach.but(ok=201, exceptions={k: 201 for k in in_reach.exceptions}),
         body=lambda o: {"provinces": [o["province"]], "event_types": ["fair.*"]}),
    Call("GET", "/subscriptions", subscriber, hides="subscription_id"),
    Call("GET", "/subscriptions/{subscription_id}", owned),
    Call("DELETE", "/subscriptions/{subscription_id}", owned, fresh=True),
    Call("POST", "/subscriptions/{subscription_id}/secret", owned),
    Call("POST", "/subscriptions/{subscription_id}/feed", owned.but(ok=201), fresh=True),
    Call("DELETE", "/subscriptions/{subscription_id}/feed", owned.but(ok=204), fresh=True),
    Call("GET", "/subscribers/me", subscriber),
    Call("GET", "/regions", signed_in()),
    Call("GET", "/subscriptions/{subscription_id}/deliveries", owned),
    Call("GET", "/subscriptions/{subscription_id}/deliveries/{delivery_id}", owned),
    Call("POST", "/subscriptions/{subscription_id}/deliveries/redeliver", owned, fresh=True),
    Call("POST", "/subscriptions/{subscription_id}/deliveries/{delivery_id}/redeliver", owned, fresh=True),
    Call("GET", "/subscriptions/{subscription_id}/events", owned, params=SINCE),
    Call("GET", "/subscriptions/{subscription_id}/stream", owned, stream=True),
    Call("GET", "/stream", in_reach, params=lambda o: {"provinces": o["province"]}, stream=True),
    # The feed's token is the credential: whoever has the link reads it (a calendar app sends no token).
    Call("GET", "/feeds/{token}.ics", anyone()),
]

# A delivery of the other region's subscription, named under an own subscription: nobody reads or redelivers it.
MIXED_CALLS = [
    Call("GET", "/subscriptions/{subscription_id}/deliveries/{delivery_id}", nobody("regional", "organizer"),
         url="/subscriptions/{subscription_id}/deliveries/{other_delivery_id}"),
    Call("POST", "/subscriptions/{subscription_id}/deliveries/{delivery_id}/redeliver",
         nobody("regional", "organizer"),
         url="/subscriptions/{subscription_id}/deliveries/{other_delivery_id}/redeliver"),
]


def app_for(settings_for: Any) -> Any:
    return make_app(settings_for, policy=TWO_ATTEMPTS)


class SubscriptionsWorld(World):
    def __init__(self, client: Any, app: Any) -> None:
        self.client, self.app = client, app
        self.closed = free_socket()  # bound, never listening: every attempt is refused, the delivery parks

    async def setup(self) -> SubscriptionsWorld:
        self.objects = crossed({side: await self.fresh(side, {"token"}) for side in SIDES})
        return self

    async def fresh(self, side: str, names: set[str]) -> Objects:
        headers = headers_of(self.app.state.settings, REGIONAL_OF[side])
        res = await self.client.post("/subscriptions", headers=headers, json={
            "url": url_of(self.closed), "provinces": [PROVINCE[side]], "event_types": ["fair.*"]})
        assert res.status_code == 201, res.text
        made: Objects = {"subscription_id": res.json()["id"], "province": PROVINCE[side]}
        await feed(self.app, fair_published(PROVINCE[side]))
        made["delivery_id"] = str(await self._parked(made["subscription_id"], headers))
        if "token" in names or "feed" in names:
            res = await self.client.post(f"/subscriptions/{made['subscription_id']}/feed", headers=headers)
            assert res.status_code in (200, 201), res.text
            made["token"] = res.json()["path"].rsplit("/", 1)[-1].removesuffix(".ics")
        return made

    async def _parked(self, subscription_id: str, headers: dict[str, str]) -> int:
        for _ in range(500):
            res = await self.client.get(f"/subscriptions/{subscription_id}/deliveries", headers=headers)
            rows = res.json()["data"]
            if rows and all(r["status"] == "parked" for r in rows):
                return int(rows[0]["id"])
            await asyncio.sleep(0.02)
        raise AssertionError(f"no parked delivery for {subscription_id}")
