"""Demo data loaded once by `make run`, through the services' own HTTP APIs (so every event flows).

Modelled on the seeds: the Hà Giang centre's spring fair of 70 booths (Hà Giang is now part of
Tuyên Quang, code 08) and its "Đưa hàng Việt về miền núi, biên giới" sessions in Đồng Văn and Mèo Vạc.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import structlog

from shared.auth import Role, issue_token
from shared.platform import Platform
from shared.settings import load_settings

log = structlog.get_logger()

CENTRE_ID = "tq"
SELLER = {"name": "Trung tâm Khuyến công và Xúc tiến thương mại tỉnh Tuyên Quang", "tax_code": "5000123459",
          "address": "Phường Minh Xuân, tỉnh Tuyên Quang"}
EXHIBITORS: list[dict[str, Any]] = [
    {"id": "ex-dongvan", "legal_name": "HTX Chè Shan tuyết Đồng Văn", "kind": "cooperative", "is_cscnnt": True,
     "tax_code": "5100123452", "province_code": "Hà Giang", "commune_code": "00721",
     "address": "Xã Đồng Văn, tỉnh Tuyên Quang", "phone": "0912345678", "booths": 2, "approve": True},
    {"id": "ex-meovac", "legal_name": "Hộ kinh doanh Mèn mén Mèo Vạc", "kind": "household", "is_cscnnt": True,
     "tax_code": "002085001234", "province_code": "08", "commune_code": "00769",
     "address": "Xã Mèo Vạc, tỉnh Tuyên Quang", "phone": "0987654321", "booths": 1, "approve": False},
    {"id": "ex-yenminh", "legal_name": "Công ty TNHH Mật ong bạc hà Yên Minh", "kind": "enterprise",
     "is_cscnnt": True, "tax_code": "5300456787", "province_code": "08", "commune_code": "00820",
     "address": "Xã Yên Minh, tỉnh Tuyên Quang", "phone": "0911222333", "booths": 3, "approve": True},
]


def _headers(secret: str, **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(secret, **claims)}"}


async def _post(client: httpx.AsyncClient, url: str, body: dict[str, Any] | None, headers: dict[str, str]) -> Any:
    response = await client.post(url, json=body, headers=headers)
    if response.status_code >= 400:
        raise RuntimeError(f"demo seeding: POST {url} → {response.status_code} {response.text[:500]}")
    return response.json()


def demo_fair(now: datetime) -> dict[str, Any]:
    """The spring fair of 70 standard booths, open for registration from now; its window closes 45 days from now,
    two weeks before its first day (a window must close before the fair starts)."""
    starts_on = (now + timedelta(days=60)).date()
    return {
        "name": "Hội chợ Thương mại – Du lịch Xuân Tuyên Quang 2027", "kind": "provincial", "province_code": "08",
        "venue": "Quảng trường Nguyễn Tất Thành, phường Minh Xuân", "starts_on": starts_on.isoformat(),
        "ends_on": (starts_on + timedelta(days=6)).isoformat(),
        "registration_opens_at": (now - timedelta(days=1)).isoformat(),
        "registration_closes_at": (now + timedelta(days=45)).isoformat(), "capacity_booths": 70,
        "booth_price_vnd": 5_000_000, "max_booths_per_exhibitor": 4, "booths_per_row": 10, "seller": SELLER,
    }


async def seed_demo(platform: Platform) -> None:
    """Create the demo fair, exhibitors, registrations and a market programme."""
    secret = load_settings("cli").jwt_secret
    organizer = _headers(secret, role=Role.ORGANIZER, centre_id=CENTRE_ID, subject="tq-staff")
    reg, markets = platform.url("registration"), platform.url("markets")
    async with httpx.AsyncClient(timeout=30) as client:
        fair = await _post(client, f"{reg}/fairs", demo_fair(datetime.now(UTC)), organizer)
        await _post(client, f"{reg}/fairs/{fair['id']}/publish", None, organizer)
        for ex in EXHIBITORS:
            headers = _headers(secret, role=Role.EXHIBITOR, exhibitor_id=ex["id"])
            profile = {k: v for k, v in ex.items() if k not in ("id", "booths", "approve")}
            await _post(client, f"{reg}/exhibitors", profile, headers)
            registration = await _post(client, f"{reg}/fairs/{fair['id']}/registrations",
                                       {"booths_requested": ex["booths"], "sector": "nông sản, thực phẩm"}, headers)
            if ex["approve"]:
                await _post(client, f"{reg}/registrations/{registration['id']}/approve", None, organizer)
        programme = await _post(client, f"{markets}/programmes", {
            "name": "Đưa hàng Việt về miền núi, biên giới tỉnh Tuyên Quang 2027", "year": 2027,
            "province_code": "08", "target_sessions": 22, "session_days": 3, "booth_quota": 30,
            "enterprise_quota": 15}, organizer)
        for commune, site, start in (("00721", "Chợ phiên Đồng Văn", "2027-03-13"),
                                     ("00769", "Chợ phiên Mèo Vạc", "2027-04-10")):
            end = (datetime.fromisoformat(start) + timedelta(days=2)).date().isoformat()
            await _post(client, f"{markets}/programmes/{programme['id']}/sessions",
                        {"commune_code": commune, "site_name": site, "starts_on": start, "ends_on": end,
                         "booth_quota": 30}, organizer)
    log.info("demo.seeded", fair_id=fair["id"], programme_id=programme["id"])
