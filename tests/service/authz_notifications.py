"""The notifications service's rows of the authorization matrix, and its two tenants' objects (no tests here).

Per tenant its exhibitor's recipient (an address) and a parked mail: SMTP points at a closed port and one attempt
parks, so there is a mail to retry. Recipients are the caller's own (`/recipients/me`): nobody names another's.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from services.notifications.app import create_app
from services.notifications.settings import NotificationsSettings
from tests.conftest import unique
from tests.service.authz_registration import KERNEL
from tests.service.authz_support import EXHIBITOR, SIDES, Call, Objects, World, crossed, headers_of, may
from tests.service.test_notifications import closed_port, feed, submitted

# The caller's own recipient: an exhibitor's; an admin's token names no exhibitor, so it has none (403).
own = may("exhibitor", tenant=False).but({("admin", side): 403 for side in SIDES})

CALLS = [
    *KERNEL,
    Call("GET", "/recipients/me", own),
    Call("PUT", "/recipients/me", own, body={"email": "htx@example.vn", "language": "vi"}),
    Call("GET", "/mails", may(tenant=False)),
    Call("POST", "/mails/{mail_id}/retry", may(), fresh=True),
    Call("GET", "/mailbox", may("organizer", tenant=False)),
]


def app_for(settings_for: Any, tmp_path: Path) -> Any:
    config = NotificationsSettings(smtp_host="127.0.0.1", smtp_port=closed_port(), max_attempts=1, poll_s=0.05,
                                   backoff_s=0.01, mailbox_dir=tmp_path / "mailbox")
    return create_app(settings_for("notifications"), notifications=config)


class NotificationsWorld(World):
    def __init__(self, client: Any, app: Any) -> None:
        self.client, self.app = client, app

    async def setup(self) -> NotificationsWorld:
        self.objects = crossed({side: await self.fresh(side, {"mail_id"}) for side in SIDES})
        return self

    async def fresh(self, side: str, names: set[str]) -> Objects:
        settings = self.app.state.settings
        exhibitor = "exhibitor_a" if side == "x" else "exhibitor_b"
        res = await self.client.put("/recipients/me", headers=headers_of(settings, exhibitor),
                                    json={"email": f"{EXHIBITOR[side]}@example.vn"})
        assert res.status_code == 200, res.text
        event = submitted(unique("fair-"), EXHIBITOR[side], unique("reg-"))
        headers = await feed(self.app, event)
        return {"mail_id": str(await self._parked(headers["ce_id"]))}

    async def _parked(self, event_id: str) -> int:
        admin = headers_of(self.app.state.settings, "admin")
        for _ in range(500):
            res = await self.client.get("/mails", params={"status": "parked"}, headers=admin)
            found = [m for m in res.json()["data"] if m["event_id"] == event_id]
            if found:
                return int(found[0]["id"])
            await asyncio.sleep(0.02)
        raise AssertionError(f"no parked mail for event {event_id}")
