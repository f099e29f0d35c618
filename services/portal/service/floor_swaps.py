"""Why a swap the organizer asked for cannot be done, said in words before the booths service is asked."""

from __future__ import annotations

import asyncio

from services.portal.adapters.backend import Backend, items
from services.portal.service.parts import optional


async def swap_refusal(api: Backend, token: str, fair_id: str, pair: list[str]) -> tuple[str, str] | None:
    """Why two registrations cannot swap (the same one twice, different numbers of booths), or None."""
    if pair[0] == pair[1]:
        return "Vui lòng chọn hai doanh nghiệp khác nhau.", "Please choose two different exhibitors."
    assignments, requests = await asyncio.gather(
        optional(api.get("booths", f"/fairs/{fair_id}/assignments", token=token), "assignments"),
        optional(api.get("booths", f"/fairs/{fair_id}/requests", token=token), "requests"))
    booths = {str(r.get("registration_id")): len(r.get("booth_codes") or []) for r in items(assignments or [])}
    names = {str(r.get("registration_id")): str(r.get("exhibitor_name") or r.get("exhibitor_id"))
             for r in items(requests or [])}
    if not all(r in booths for r in pair) or booths[pair[0]] == booths[pair[1]]:
        return None  # the booths service decides what the portal does not know
    (a, n), (b, k) = ((names.get(r, r), booths[r]) for r in pair)
    return (f"Không đổi được: {a} có {n} gian, {b} có {k} gian. Chỉ đổi được giữa hai doanh nghiệp có cùng số gian.",
            f"Cannot swap: {a} has {n} booths, {b} has {k}. Only two exhibitors with the same number of booths "
            "can swap.")
