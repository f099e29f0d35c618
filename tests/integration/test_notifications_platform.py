"""Exhibitor e-mails over real processes: the platform (`start_platform`, as `make run`) starts its local SMTP
server; an exhibitor sets an address, registers, is approved, and the mails land in the server's mailbox."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from devstack.platform import Platform, start_platform
from shared.auth import Role, issue_token
from shared.settings import load_settings
from tests.integration.helpers import eventually
from tests.service.fixtures import exhibitor_body, fair_body

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

SECRET = load_settings("tests").jwt_secret
ORGANIZER = {"Authorization": f"Bearer {issue_token(SECRET, role=Role.ORGANIZER, centre_id='tq')}"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Platform]:
    var_dir: Path = tmp_path_factory.mktemp("platform")
    running = await start_platform(var_dir, services=("registration", "booths", "billing", "notifications"),
                                   extra_env={"HANGVIET_ENV": "test"})
    yield running
    running.stop()


async def test_an_approval_ends_in_emails_in_the_local_smtp_servers_mailbox(platform: Platform) -> None:
    exhibitor_id = f"ex-{uuid.uuid4().hex[:8]}"
    exhibitor = {"Authorization": f"Bearer {issue_token(SECRET, role=Role.EXHIBITOR, exhibitor_id=exhibitor_id)}"}
    reg_url, notes = platform.url("registration"), platform.url("notifications")
    async with httpx.AsyncClient(timeout=30) as client:
        me = await client.put(f"{notes}/recipients/me", headers=exhibitor,
                              json={"email": "htx.doanvan@example.vn", "language": "vi"})
        assert me.status_code == 200, me.text
        fair = await client.post(f"{reg_url}/fairs", json=fair_body(), headers=ORGANIZER)
        assert fair.status_code == 201, fair.text
        fair_id = fair.json()["id"]
        published = await client.post(f"{reg_url}/fairs/{fair_id}/publish", headers=ORGANIZER)
        assert published.status_code == 200, published.text
        created = await client.post(f"{reg_url}/exhibitors", json=exhibitor_body(), headers=exhibitor)
        assert created.status_code == 201, created.text
        reg = await client.post(f"{reg_url}/fairs/{fair_id}/registrations", json={"booths_requested": 2},
                                headers=exhibitor)
        assert reg.status_code == 201, reg.text
        approved = await client.post(f"{reg_url}/registrations/{reg.json()['id']}/approve", headers=ORGANIZER)
        assert approved.json()["status"] == "approved", approved.text

        async def three_mails() -> list[dict] | None:
            box = await client.get(f"{notes}/mailbox", headers=ORGANIZER)
            assert box.status_code == 200, box.text
            mails = [m for m in box.json()["data"] if m["to"] == "htx.doanvan@example.vn"]
            return mails if len(mails) >= 3 else None

        mails = await eventually(three_mails, timeout=120, what="received, approved and invoice mails")
    by_subject = {m["subject"].split(" ")[0]: m for m in mails}
    assert set(by_subject) == {"Đã", "Đăng", "Hóa"}, [m["subject"] for m in mails]
    assert "Gian hàng được xếp:" in by_subject["Đăng"]["body"]
    invoice = by_subject["Hóa"]
    assert invoice["attachments"] and invoice["attachments"][0].endswith(".pdf")  # fetched from billing
    assert "₫" in invoice["body"] and invoice["language"] == "vi"
    assert len(list((platform.var_dir / "mailbox").glob("*.eml"))) == 3
