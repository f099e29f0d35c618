"""`make run`'s demo reproduces the source programme of the seeds, over real processes.

The Tuyên Quang (formerly Hà Giang) year: the fair of 70 booths, the khuyến công support of 18 schemes worth
1.765.000.000 đ as a subsidy programme with its settlement report (the approved exhibitors' booths take its
share), and 22 market sessions across mountain communes, planned and confirmed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from devstack.demo import CENTRE_ID, MARKET_SESSIONS, SCHEMES, SCHEMES_VND, highland_sites, seed_demo
from devstack.platform import Platform, start_platform
from shared.auth import Role, issue_token
from shared.settings import load_settings
from tests.integration.helpers import eventually

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

TOKEN = issue_token(load_settings("tests").jwt_secret, role=Role.ORGANIZER, centre_id=CENTRE_ID)
ORGANIZER = {"Authorization": f"Bearer {TOKEN}"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Platform]:
    var_dir: Path = tmp_path_factory.mktemp("demo")
    running = await start_platform(var_dir, extra_env={"HANGVIET_ENV": "test"})
    try:
        await seed_demo(running)
        yield running
    finally:
        running.stop()


async def get(url: str) -> Any:
    async with httpx.AsyncClient(timeout=30) as client:
        res = await client.get(url, headers=ORGANIZER)
    assert res.status_code == 200, res.text
    return res.json()


async def test_the_fair_of_70_booths(platform: Platform):
    fairs = (await get(f"{platform.url('registration')}/fairs"))["data"]
    [fair] = [f for f in fairs if f["centre_id"] == CENTRE_ID]
    assert (fair["capacity_booths"], fair["province_code"], fair["status"]) == (70, "08", "open")


async def test_18_schemes_worth_1765_million_with_their_settlement_report(platform: Platform):
    billing = platform.url("billing")
    [programme] = (await get(f"{billing}/subsidy-programmes"))["data"]
    assert programme["budget_vnd"] == SCHEMES_VND == 1_765_000_000 and f"{SCHEMES} đề án" in programme["name"]

    async def supported() -> Any:
        report = await get(f"{billing}/subsidy-programmes/{programme['id']}/settlement")
        return report if report["booths"] == 5 else None

    # The two approved CSCNNT exhibitors' 2 + 3 booths, half of each booth with VAT capped at 2.000.000 đ.
    report = await eventually(supported, timeout=120, what="the approved exhibitors' booths supported")
    assert (report["budget_vnd"], report["committed_vnd"], report["exhibitors"]) == (SCHEMES_VND, 10_000_000, 2)
    assert report["remaining_vnd"] == SCHEMES_VND - 10_000_000
    assert [group["label"] for group in report["by_province"]] == ["Tuyên Quang"]


async def test_22_market_sessions_across_mountain_communes(platform: Platform):
    markets = platform.url("markets")
    [programme] = (await get(f"{markets}/programmes"))["data"]
    sessions = (await get(f"{markets}/programmes/{programme['id']}/sessions"))["data"]
    scheduled = [s for s in sessions if s["status"] == "scheduled"]
    mountain = {site["commune_code"] for site in highland_sites()}
    assert programme["target_sessions"] == len(scheduled) == MARKET_SESSIONS == 22
    assert {s["commune_code"] for s in scheduled} <= mountain
    assert len({s["commune_code"] for s in scheduled}) >= 11  # at most 2 a commune


async def test_the_portal_shows_the_fair_the_subsidy_programme_and_the_market_sessions(platform: Platform):
    [fair] = (await get(f"{platform.url('registration')}/fairs"))["data"]
    [programme] = (await get(f"{platform.url('markets')}/programmes"))["data"]
    async with httpx.AsyncClient(base_url=platform.url("portal"), timeout=30, follow_redirects=True) as client:
        markets = await client.post("/login", data={"user": "organizer-tq", "next": "/organizer/markets"})
        fair_page = await client.get(f"/organizer/fairs/{fair['id']}")
        subsidies = await client.get("/organizer/billing/programmes")
        year = await client.get(f"/organizer/markets/{programme['id']}")
    assert [page.status_code for page in (markets, fair_page, subsidies, year)] == [200, 200, 200, 200]
    assert fair["name"] in fair_page.text and "70" in fair_page.text
    assert f"({SCHEMES} đề án)" in subsidies.text
    assert programme["name"] in markets.text and programme["name"] in year.text


async def test_the_demo_exhibitors_get_their_notices_in_the_local_mailbox(platform: Platform):
    """Each demo exhibitor has an address: the local SMTP server receives the notice of its registration, and the
    approved ones the notice of their booths (in Vietnamese, their language by default)."""
    from email import message_from_bytes, policy

    from devstack.demo import EXHIBITORS

    folder = platform.var_dir / "mailbox"

    def received() -> dict[str, list[str]]:
        mails: dict[str, list[str]] = {}
        for path in sorted(folder.glob("*.eml")) if folder.is_dir() else []:
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            mails.setdefault(str(message["To"]), []).append(str(message["Subject"]))
        return mails

    approved = [ex["email"] for ex in EXHIBITORS if ex["approve"]]

    async def all_noticed() -> dict[str, list[str]] | None:
        mails = received()
        everyone = all(any(ex["email"] in to for to in mails) for ex in EXHIBITORS)
        booths = all(sum(1 for to, subjects in mails.items() if email in to for _ in subjects) >= 2
                     for email in approved)
        return mails if everyone and booths else None

    mails = await eventually(all_noticed, timeout=90, what="the demo exhibitors' notices in the mailbox")
    assert all(subject for subjects in mails.values() for subject in subjects)


async def test_the_fair_asks_for_documents_and_the_organizer_sees_them_on_the_review_page(platform: Platform):
    """The fair asks each kind for its documents; the approved exhibitors' are accepted, Mèo Vạc's registration
    certificate (a real PDF) waits for review and its food safety certificate is missing, and the organizer reads
    them on the review page and opens the file."""
    from devstack.demo import EXHIBITORS
    from devstack.demo_documents import DEMO_REQUIREMENTS

    reg = platform.url("registration")
    [fair] = (await get(f"{reg}/fairs"))["data"]
    assert (await get(f"{reg}/fairs/{fair['id']}/document-requirements"))["requirements"] == DEMO_REQUIREMENTS
    by_exhibitor = {r["exhibitor_id"]: r for r in items_of(await get(f"{reg}/fairs/{fair['id']}/registrations"))}
    approved = {ex["id"] for ex in EXHIBITORS if ex["approve"]}
    assert {e for e, r in by_exhibitor.items() if r["status"] == "approved"} == approved
    standing = {e: await get(f"{reg}/registrations/{r['id']}/documents") for e, r in by_exhibitor.items()}
    for exhibitor in approved:
        assert standing[exhibitor]["complete"] and standing[exhibitor]["count"] >= 1
        assert {d["status"] for d in standing[exhibitor]["data"]} == {"accepted"}
    waiting = standing["ex-meovac"]
    assert [(d["doc_type"], d["status"], d["media_type"]) for d in waiting["data"]] == [
        ("business_registration", "pending", "application/pdf")]
    assert [(o["doc_type"], o["state"]) for o in waiting["outstanding"]] == [
        ("business_registration", "pending"), ("food_safety_certificate", "missing")]
    assert {d["media_type"] for s in standing.values() for d in s["data"]} == {"application/pdf", "image/png"}

    registration = by_exhibitor["ex-meovac"]
    [document] = waiting["data"]
    async with httpx.AsyncClient(base_url=platform.url("portal"), timeout=30, follow_redirects=True) as client:
        review = await client.post("/login", data={"user": "organizer-tq",
                                                   "next": f"/organizer/registrations/{registration['id']}"})
        file = await client.get(f"/registrations/{registration['id']}/documents/{document['id']}")
        queue = await client.get(f"/organizer/fairs/{fair['id']}")
    assert review.status_code == 200 and document["filename"] in review.text
    # The queue says which rows the documents let be approved: Mèo Vạc's 0 of 2, one waiting and one missing.
    assert "0/2 giấy tờ đã chấp nhận" in queue.text and "1 chờ xem xét · 1 chưa nộp" in queue.text
    assert file.status_code == 200 and file.content.startswith(b"%PDF")


def items_of(page: Any) -> list[dict[str, Any]]:
    return list(page["data"] if isinstance(page, dict) else page)
