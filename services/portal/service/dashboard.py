"""The organizer's dashboard: the centre's fairs with their registrations and booths by state, this year's market
programmes with their sessions, and the subsidy programmes still running — read from four services at once, each
part left out when its service does not answer."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date
from typing import Any

from services.portal.adapters.backend import Backend, items
from services.portal.domain.errors import is_id
from services.portal.service.parts import optional
from shared.principal import Principal


async def organizer_dashboard(api: Backend, token: str, principal: Principal, *, today: date) -> dict[str, Any]:
    """The dashboard's data (`today`: the day in Vietnam): rows of fairs, the year, markets and subsidies."""
    params = None if principal.is_admin() else {"mine": "true"}
    year = today.year
    fairs, markets, subsidies = await asyncio.gather(
        api.get("registration", "/fairs", token=token, params=params),
        _market_programmes(api, token, principal, year), _subsidy_programmes(api, token, today))
    own = [f for f in items(fairs) if is_id(str(f.get("id"))) and
           (principal.is_admin() or f.get("centre_id") == principal.centre_id)]
    counts, plans = await asyncio.gather(
        asyncio.gather(*(_registration_counts(api, token, str(f["id"])) for f in own)),
        asyncio.gather(*(optional(api.get("booths", f"/fairs/{f['id']}/floorplan", token=token), "floorplan")
                         for f in own if f.get("status") != "draft")))
    plan_of = dict(zip([str(f["id"]) for f in own if f.get("status") != "draft"], plans, strict=True))
    rows = [{"fair": f, "counts": c, "booths": _booth_counts(plan_of.get(str(f["id"])))}
            for f, c in zip(own, counts, strict=True)]
    return {"rows": rows, "year": year, "markets": markets, "subsidies": subsidies}


async def _market_programmes(api: Backend, token: str, principal: Principal, year: int
                             ) -> list[dict[str, Any]] | None:
    """This year's market programmes of the centre, each with its sessions planned (the target), confirmed
    and held (markets' summary); None when the markets service does not answer."""
    page = await optional(api.get("markets", "/programmes", token=token, params={"year": str(year)}), "programmes")
    if page is None:
        return None
    own = sorted((p for p in items(page) if is_id(str(p.get("id")))
                  and (principal.is_admin() or p.get("centre_id") == principal.centre_id)),
                 key=lambda p: str(p.get("name")))
    summaries = await asyncio.gather(*(optional(api.get("markets", f"/programmes/{p['id']}/summary", token=token),
                                                "summary") for p in own))
    return [{"programme": p, "planned": _whole(s, "target_sessions", p.get("target_sessions")),
             "confirmed": _whole(s, "sessions_scheduled"), "held": _whole(s, "sessions_held"),
             "known": isinstance(s, dict)} for p, s in zip(own, summaries, strict=True)]


async def _subsidy_programmes(api: Backend, token: str, today: date) -> list[dict[str, Any]] | None:
    """The centre's subsidy programmes still running or to come, with billing's budget, committed and remaining
    amounts; None when billing does not answer."""
    page = await optional(api.get("billing", "/subsidy-programmes", token=token), "subsidy programmes")
    if page is None:
        return None
    day = today.isoformat()
    current = [p for p in items(page) if is_id(str(p.get("id"))) and str(p.get("valid_to") or "9999") >= day]
    return sorted(current, key=lambda p: (str(p.get("valid_from")), str(p.get("name"))))


def _whole(summary: Any, key: str, default: Any = None) -> int | None:
    value = summary.get(key, default) if isinstance(summary, dict) else default
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


async def _registration_counts(api: Backend, token: str, fair_id: str) -> dict[str, int] | None:
    page = await optional(api.get("registration", f"/fairs/{fair_id}/registrations", token=token), "registrations")
    if page is None:
        return None
    return dict(Counter(str(r.get("status")) for r in items(page)))


def _booth_counts(plan: Any) -> dict[str, int] | None:
    """Booths on the plan by status, and the total; None when booths does not know the fair (yet)."""
    if not isinstance(plan, dict) or not isinstance(plan.get("counts"), dict):
        return None
    counts = {k: v for k, v in plan["counts"].items() if isinstance(v, int)}
    return {**counts, "total": int(plan.get("booth_count") or sum(counts.values()))}
