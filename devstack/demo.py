"""Demo data loaded once by `make run`, through the services' own HTTP APIs (so every event flows).

The source programme of the seeds (the Hà Giang centre's year, Hà Giang now part of Tuyên Quang, code 08):
- the fair of 70 standard booths, with three exhibitors (two approved, so booths and invoices follow); the fair
  asks each kind for its documents (`devstack/demo_documents.py`): the approved exhibitors' are accepted (an
  approval waits for them), Mèo Vạc's registration certificate waits for review and its food safety one is missing;
- the khuyến công support of 18 schemes worth 1.765.000.000 đ as a subsidy programme of billing, which pays
  part of the approved CSCNNT exhibitors' booths and so has a settlement report;
- 22 "Đưa hàng Việt về miền núi, biên giới" sessions across the old Hà Giang's mountain communes: two made by
  hand (Đồng Văn, Mèo Vạc) and the rest planned by the markets scheduler and confirmed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import structlog

from devstack.demo_documents import DEMO_DOCUMENTS, DEMO_REQUIREMENTS, certificate_pdf, certificate_png
from devstack.platform import Platform
from shared.auth import Role, issue_token
from shared.reference import geo
from shared.settings import load_settings

log = structlog.get_logger()

CENTRE_ID = "tq"
SELLER = {"name": "Trung tâm Khuyến công và Xúc tiến thương mại tỉnh Tuyên Quang", "tax_code": "5000123459",
          "address": "Phường Minh Xuân, tỉnh Tuyên Quang"}
# Each with an e-mail address, so `make run`'s local mailbox shows the notices they are sent.
EXHIBITORS: list[dict[str, Any]] = [
    {"id": "ex-dongvan", "legal_name": "HTX Chè Shan tuyết Đồng Văn", "kind": "cooperative", "is_cscnnt": True,
     "tax_code": "5100123452", "province_code": "Hà Giang", "commune_code": "00721",
     "address": "Xã Đồng Văn, tỉnh Tuyên Quang", "phone": "0912345678",
     "email": "htx.dongvan@example.com", "booths": 2, "approve": True},
    {"id": "ex-meovac", "legal_name": "Hộ kinh doanh Mèn mén Mèo Vạc", "kind": "household", "is_cscnnt": True,
     "tax_code": "002085001234", "province_code": "08", "commune_code": "00769",
     "address": "Xã Mèo Vạc, tỉnh Tuyên Quang", "phone": "0987654321",
     "email": "menmen.meovac@example.com", "booths": 1, "approve": False},
    {"id": "ex-yenminh", "legal_name": "Công ty TNHH Mật ong bạc hà Yên Minh", "kind": "enterprise",
     "is_cscnnt": True, "tax_code": "5300456787", "province_code": "08", "commune_code": "00820",
     "address": "Xã Yên Minh, tỉnh Tuyên Quang", "phone": "0911222333",
     "email": "matong.yenminh@example.com", "booths": 3, "approve": True},
]


SCHEMES, SCHEMES_VND = 18, 1_765_000_000  # "18 đề án với tổng kinh phí hỗ trợ 1.765.000.000 đồng"
MARKET_SESSIONS = 22  # "22 phiên chợ Đưa hàng Việt về miền núi, biên giới" in 2014
MARKET_YEAR = 2027
# The old Hà Giang's highland and border communes (their codes run from 00715 to 01192), with the market days
# the brief names: Sunday towns, Lũng Cú (Má Lé) on Saturday, three "chợ lùi", Khâu Vai's lunar days.
HIGHLAND_CODES = ("00715", "01192")
BORDER = frozenset({"00715", "00721", "00733", "00745", "00763", "00769", "00778", "00802", "00874", "00901",
                    "00937", "01057", "01084", "01096"})
MARKET_DAYS: dict[str, dict[str, Any]] = {
    "00721": {"kind": "weekday", "weekdays": [7]}, "00769": {"kind": "weekday", "weekdays": [7]},
    "00820": {"kind": "weekday", "weekdays": [7]}, "00715": {"kind": "weekday", "weekdays": [6]},
    "00763": {"kind": "branch", "branches": ["Dần", "Thân"]}, "00733": {"kind": "branch", "branches": ["Tỵ", "Hợi"]},
    "00745": {"kind": "branch", "branches": ["Tý", "Ngọ"]}, "00802": {"kind": "lunar", "days": [2, 7, 12, 17, 22, 27]},
}


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


def subsidy_programme(fair_starts_on: date) -> dict[str, Any]:
    """The year's khuyến công support as one programme: 18 schemes, 1.765.000.000 đ, half a booth for CSCNNT."""
    year = fair_starts_on.year
    return {
        "name": f"Kinh phí khuyến công tỉnh Tuyên Quang năm {year} ({SCHEMES} đề án)",
        "decision": f"QĐ giao kế hoạch khuyến công năm {year}: {SCHEMES} đề án (5 KCQG, 13 KCĐP)",
        "level": "local", "funder": "Sở Công Thương tỉnh Tuyên Quang", "funding_province_code": "08",
        "budget_vnd": SCHEMES_VND, "valid_from": f"{year}-01-01", "valid_to": f"{year}-12-31",
        "support_percent": 50, "cap_per_booth_vnd": 2_000_000, "max_booths_per_exhibitor": 4, "cscnnt_only": True,
        "eligible_provinces": ["08"],
    }


def highland_sites() -> list[dict[str, Any]]:
    """The programme's sites: every xã of the old Hà Giang's highland and border districts, all mountain."""
    first, last = HIGHLAND_CODES
    return [{"commune_code": c.code, "mountain": True, "border": c.code in BORDER, "capacity_booths": 30,
             **({"market_day": MARKET_DAYS[c.code]} if c.code in MARKET_DAYS else {})}
            for c in geo.communes("08") if first <= c.code <= last and c.kind == "xã"]


async def seed_demo(platform: Platform) -> None:
    """Create the demo fair, exhibitors, registrations, the subsidy programme and the market programme."""
    secret = load_settings("cli").jwt_secret
    organizer = _headers(secret, role=Role.ORGANIZER, centre_id=CENTRE_ID, subject="tq-staff")
    reg, markets, billing = platform.url("registration"), platform.url("markets"), platform.url("billing")
    async with httpx.AsyncClient(timeout=120) as client:
        fair_body = demo_fair(datetime.now(UTC))
        # Before the approvals, so their invoices already take the programme's share.
        subsidy = await _post(client, f"{billing}/subsidy-programmes",
                              subsidy_programme(date.fromisoformat(fair_body["starts_on"])), organizer)
        fair = await _post(client, f"{reg}/fairs", fair_body, organizer)
        await _post(client, f"{reg}/fairs/{fair['id']}/publish", None, organizer)
        await _put(client, f"{reg}/fairs/{fair['id']}/document-requirements", organizer,
                   json={"requirements": DEMO_REQUIREMENTS})
        for ex in EXHIBITORS:
            headers = _headers(secret, role=Role.EXHIBITOR, exhibitor_id=ex["id"])
            profile = {k: v for k, v in ex.items() if k not in ("id", "booths", "approve")}
            await _post(client, f"{reg}/exhibitors", profile, headers)
            registration = await _post(client, f"{reg}/fairs/{fair['id']}/registrations",
                                       {"booths_requested": ex["booths"], "sector": "nông sản, thực phẩm"}, headers)
            # Documents before the decision: an approval needs every required document accepted.
            await _documents(client, reg, ex, registration["id"], headers, organizer)
            if ex["approve"]:
                await _post(client, f"{reg}/registrations/{registration['id']}/approve", None, organizer)
        programme = await _market_programme(client, markets, organizer)
    log.info("demo.seeded", fair_id=fair["id"], programme_id=programme["id"], subsidy_programme_id=subsidy["id"])


async def _put(client: httpx.AsyncClient, url: str, headers: dict[str, str], **content: Any) -> Any:
    response = await client.put(url, headers=headers, **content)
    if response.status_code >= 400:
        raise RuntimeError(f"demo seeding: PUT {url} → {response.status_code} {response.text[:500]}")
    return response.json()


async def _documents(client: httpx.AsyncClient, reg: str, ex: dict[str, Any], registration_id: str,
                     exhibitor: dict[str, str], organizer: dict[str, str]) -> None:
    """Upload the exhibitor's demo files (real PDF/PNG bytes) and accept those the organizer has accepted."""
    for doc_type, title, form, accepted in DEMO_DOCUMENTS.get(ex["id"], []):
        data = certificate_pdf(title, ex["legal_name"], ex["tax_code"]) if form == "pdf" else certificate_png()
        document = await _put(client, f"{reg}/registrations/{registration_id}/documents/{doc_type}",
                              {**exhibitor, "Content-Type": f"application/{form}" if form == "pdf" else "image/png"},
                              content=data, params={"filename": f"{doc_type.replace('_', '-')}.{form}"})
        if accepted:
            await _post(client, f"{reg}/registrations/{registration_id}/documents/{document['id']}/accept", None,
                        organizer)


async def _market_programme(client: httpx.AsyncClient, markets: str, organizer: dict[str, str]) -> Any:
    """The year's 22 sessions: two made by hand, the rest planned over the highland communes and confirmed."""
    programme = await _post(client, f"{markets}/programmes", {
        "name": f"Đưa hàng Việt về miền núi, biên giới tỉnh Tuyên Quang {MARKET_YEAR}", "year": MARKET_YEAR,
        "province_code": "08", "target_sessions": MARKET_SESSIONS, "session_days": 3, "booth_quota": 30,
        "enterprise_quota": 15, "max_concurrent": 2, "max_per_commune": 2}, organizer)
    await _post(client, f"{markets}/programmes/{programme['id']}/sites/import", {"sites": highland_sites()},
                organizer)
    for commune, site, start in (("00721", "Chợ phiên Đồng Văn", f"{MARKET_YEAR}-03-13"),
                                 ("00769", "Chợ phiên Mèo Vạc", f"{MARKET_YEAR}-04-10")):
        end = (datetime.fromisoformat(start) + timedelta(days=2)).date().isoformat()
        await _post(client, f"{markets}/programmes/{programme['id']}/sessions",
                    {"commune_code": commune, "site_name": site, "starts_on": start, "ends_on": end,
                     "booth_quota": 30}, organizer)
    proposal = await _post(client, f"{markets}/programmes/{programme['id']}/proposals", {"time_limit_s": 20},
                           organizer)
    await _post(client, f"{markets}/proposals/{proposal['id']}/confirm", None, organizer)
    return programme
