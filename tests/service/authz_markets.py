"""The markets service's rows of the authorization matrix, and its two tenants' objects (no tests here).

Per tenant a programme of its centre (X's and Y's, both in Tuyên Quang) with a site, a supplier, a session next
year, a one-day session held today (to report on), and a draft proposal of the solver.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from services.markets.app import create_app
from services.markets.service.proposals import SolverConfig
from shared.reference import geo
from tests.service.authz_registration import KERNEL, ORGANIZER_OF
from tests.service.authz_support import SIDES, Call, Objects, World, anyone, headers_of, may
from tests.service.test_markets import YEAR, programme_body
from tests.service.test_markets_catalogue import KHAU_VAI, LUNG_PHIN, MEO_VAC, site_body, supplier_body
from tests.service.test_markets_results import REPORT

organizer = may("organizer")
SMALL = {"target_sessions": 2, "session_days": 3, "booth_quota": 10, "enterprise_quota": 2}
_names = itertools.count()


def _communes() -> Any:
    """Communes for sessions held today: one each (a commune hosts one session at a time, whatever the programme)."""
    return iter([c.code for c in geo.communes("08") if c.code not in {"00721", MEO_VAC, LUNG_PHIN, KHAU_VAI}])


# Started again by each world (a new database): sessions next year, each on three days of its own, back to back.
_days = itertools.count()
_held_communes = _communes()


def _session(commune: str = MEO_VAC) -> dict[str, Any]:
    """A three-day session next year, each on days of its own."""
    start = date(YEAR, 1, 5) + timedelta(days=3 * next(_days))
    return {"commune_code": commune, "site_name": "Chợ trung tâm xã", "starts_on": start.isoformat(),
            "ends_on": (start + timedelta(days=2)).isoformat(), "booth_quota": 10}


CALLS = [
    *KERNEL,
    # An admin belongs to no centre, so has none to create a programme for.
    Call("POST", "/programmes", may("organizer", ok=201).but({("admin", "x"): 403}), body=programme_body(**SMALL)),
    Call("GET", "/programmes", anyone()),
    Call("GET", "/programmes/{programme_id}", anyone()),
    Call("POST", "/programmes/{programme_id}/sessions", may("organizer", ok=201), body=lambda o: _session()),
    Call("GET", "/programmes/{programme_id}/sessions", anyone()),
    Call("POST", "/sessions/{session_id}/cancel", organizer, body={"reason": "mưa lũ"}, fresh=True),
    Call("PATCH", "/programmes/{programme_id}", organizer, body={"budget_vnd": 2_000_000_000}),
    Call("POST", "/programmes/{programme_id}/sites", may("organizer", ok=201), fresh=True,
         body=lambda o: site_body(commune_code=KHAU_VAI)),
    Call("POST", "/programmes/{programme_id}/sites/import", may("organizer", ok=201), fresh=True,
         body={"sites": [site_body(commune_code=KHAU_VAI)]}),
    Call("GET", "/programmes/{programme_id}/sites", anyone()),
    Call("GET", "/sites/{site_id}", anyone()),
    Call("PATCH", "/sites/{site_id}", organizer, body={"capacity_booths": 30}),
    Call("DELETE", "/sites/{site_id}", may("organizer", ok=204), fresh=True),
    Call("POST", "/programmes/{programme_id}/suppliers", may("organizer", ok=201),
         body=lambda o: supplier_body(name=f"HTX {next(_names)}")),
    Call("GET", "/programmes/{programme_id}/suppliers", organizer),
    Call("GET", "/suppliers/{supplier_id}", organizer),
    Call("PATCH", "/suppliers/{supplier_id}", organizer, body=supplier_body(booths=1)),
    Call("DELETE", "/suppliers/{supplier_id}", may("organizer", ok=204), fresh=True),
    Call("POST", "/programmes/{programme_id}/proposals", may("organizer", ok=201), fresh=True,
         body={"allow_fewer": True, "time_limit_s": 2}),
    Call("GET", "/programmes/{programme_id}/proposals", organizer),
    Call("GET", "/proposals/{proposal_id}", organizer),
    Call("PATCH", "/proposals/{proposal_id}", organizer, body={"allow_fewer": True, "time_limit_s": 2}, fresh=True),
    Call("POST", "/proposals/{proposal_id}/confirm", organizer, fresh=True),
    Call("DELETE", "/proposals/{proposal_id}", may("organizer", ok=204), fresh=True),
    Call("POST", "/sessions/{session_id}/report", may("organizer", ok=201), url="/sessions/{held_id}/report",
         body=REPORT, fresh=True),
    Call("GET", "/sessions/{session_id}/report", anyone(), url="/sessions/{reported_id}/report"),
    Call("GET", "/programmes/{programme_id}/summary", anyone()),
    Call("GET", "/programmes/{programme_id}/calendar.ics", anyone()),
    Call("GET", "/sites/{site_id}/calendar.ics", anyone()),
]


def make_app(settings_for: Any) -> Any:
    app = create_app(settings_for("markets"))
    app.state.solver = SolverConfig(time_limit_s=5, max_time_limit_s=10, workers=1)
    return app


class MarketsWorld(World):
    def __init__(self, client: Any, app: Any) -> None:
        global _days, _held_communes
        self.client, self.app = client, app
        _days, _held_communes = itertools.count(), _communes()

    async def setup(self) -> MarketsWorld:
        self.objects = {side: await self.fresh(side, {"programme_id", "held_id", "reported_id", "proposal_id"})
                        for side in SIDES}
        return self

    async def fresh(self, side: str, names: set[str]) -> Objects:
        ok = self._ok_for(side)
        programme = await ok("POST", "/programmes", programme_body(**SMALL, name=f"Chợ {side} {next(_names)}"))
        pid = programme["id"]
        made: Objects = {"programme_id": pid}
        made["site_id"] = (await ok("POST", f"/programmes/{pid}/sites", site_body()))["id"]
        await ok("POST", f"/programmes/{pid}/sites", site_body(commune_code=MEO_VAC, market_day=None))
        made["supplier_id"] = (await ok("POST", f"/programmes/{pid}/suppliers", supplier_body()))["id"]
        await ok("POST", f"/programmes/{pid}/suppliers", supplier_body(name="HTX Mây tre Mèo Vạc"))
        made["session_id"] = (await ok("POST", f"/programmes/{pid}/sessions", _session(LUNG_PHIN)))["id"]
        if names & {"held_id", "reported_id"}:
            made["held_id"] = await self._held(ok, side)
        if "reported_id" in names:
            made["reported_id"] = await self._held(ok, side)
            await ok("POST", f"/sessions/{made['reported_id']}/report", REPORT)
        if "proposal_id" in names:
            proposal = await ok("POST", f"/programmes/{pid}/proposals", {"allow_fewer": True, "time_limit_s": 2})
            made["proposal_id"] = proposal["id"]
        return made

    def _ok_for(self, side: str) -> Any:
        headers = headers_of(self.app.state.settings, ORGANIZER_OF[side])

        async def ok(method: str, path: str, body: Any = None) -> Any:
            res = await self.client.request(method, path, json=body, headers=headers)
            assert res.status_code in (200, 201), f"{method} {path}: {res.text}"
            return res.json()

        return ok

    async def _held(self, ok: Any, side: str) -> str:
        """A one-day session of a programme of this year that started today (Vietnam's date)."""
        day = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
        pid = (await ok("POST", "/programmes", programme_body(year=day.year, name=f"Chợ {side} {next(_names)}")))["id"]
        session = await ok("POST", f"/programmes/{pid}/sessions", {
            "commune_code": next(_held_communes), "site_name": "Chợ trung tâm", "starts_on": day.isoformat(),
            "ends_on": day.isoformat(), "booth_quota": 30})
        return str(session["id"])
