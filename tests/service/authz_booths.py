"""The booths service's rows of the authorization matrix, and its two tenants' objects (no tests here).

Booths learns of fairs and approvals from events: per tenant, a fair of its centre placed by the organizer (two
approved registrations of its exhibitor, given booths by hand) and a fair where exhibitors pick (one approved
registration of its exhibitor, holding two booths).
"""

from __future__ import annotations

from typing import Any

from tests.service.authz_registration import KERNEL, ORGANIZER_OF
from tests.service.authz_support import (
    CENTRE,
    EXHIBITOR,
    Call,
    Objects,
    World,
    anyone,
    crossed,
    headers_of,
    may,
    nobody,
)
from tests.service.booths_support import approved, deliver, published_fair

organizer = may("organizer")
organizer_or_exhibitor = may("organizer", "exhibitor")
# A fair's lists of assignments, requests and holds: all of them to its organizers; to any exhibitor (the fair is
# public) its own rows only — of another centre's fair an empty list (`hides`: never the other tenant's rows).
own_rows = organizer_or_exhibitor.but({("exhibitor_a", "y"): 200, ("exhibitor_b", "x"): 200})
GRID = {"halls": [{"rows": 8, "booths_per_row": 10}]}
ZONES = [{"code": "TCMN", "name": "Thủ công mỹ nghệ", "kind": "sector", "sectors": ["Thủ công mỹ nghệ"]}]
CSV = "code,hall,x,y,width,depth,zone\nA01,,0,0,3,3,\nA02,,3,0,3,3,\n"

CALLS = [
    *KERNEL,
    Call("GET", "/fairs/{fair_id}/floorplan", anyone()),
    Call("GET", "/fairs/{fair_id}/floorplan.svg", anyone()),
    Call("GET", "/fairs/{fair_id}/floorplan/stream", anyone(), stream=True),
    Call("GET", "/fairs/{fair_id}/zones", anyone()),
    Call("GET", "/fairs/{fair_id}/assignments", own_rows, hides="registration_id"),
    Call("POST", "/fairs/{fair_id}/assignments", may("organizer", ok=201),
         body=lambda o: {"registration_id": o["spare_id"], "booth_codes": ["D01", "D02"]}, fresh=True),
    Call("POST", "/fairs/{fair_id}/assignments/{registration_id}/move", organizer,
         body={"booth_codes": ["E01", "E02"]}, fresh=True),
    Call("POST", "/fairs/{fair_id}/assignments/{registration_id}/release", organizer,
         body={"reason": "đổi ý"}, fresh=True),
    Call("POST", "/fairs/{fair_id}/swap", organizer,
         body=lambda o: {"registration_ids": [o["registration_id"], o["second_id"]]}),
    Call("POST", "/fairs/{fair_id}/booths/block", organizer, body={"booth_codes": ["F01"], "reason": "cột"},
         fresh=True),
    Call("POST", "/fairs/{fair_id}/booths/unblock", organizer, body={"booth_codes": ["F01"]}, fresh=True),
    Call("GET", "/fairs/{fair_id}/unmet-requests", organizer),
    Call("GET", "/fairs/{fair_id}/requests", own_rows, hides="registration_id"),
    Call("POST", "/fairs/{fair_id}/allocate", organizer, body={"mode": "heuristic"}),
    Call("GET", "/fairs/{fair_id}/audit", organizer),
    Call("PUT", "/fairs/{fair_id}/floorplan/grid", organizer, url="/fairs/{bare_id}/floorplan/grid", body=GRID),
    Call("PUT", "/fairs/{fair_id}/floorplan/csv", organizer, url="/fairs/{bare_id}/floorplan/csv", csv=CSV),
    Call("PUT", "/fairs/{fair_id}/zones", organizer, body=ZONES),
    Call("POST", "/fairs/{fair_id}/holds", may("exhibitor", ok=201), url="/fairs/{pick_fair_id}/holds",
         body=lambda o: {"registration_id": o["pick_reg_id"], "booth_codes": ["C01", "C02"]}, fresh=True),
    Call("GET", "/fairs/{fair_id}/holds", own_rows, url="/fairs/{pick_fair_id}/holds", hides="hold_id"),
    Call("POST", "/fairs/{fair_id}/holds/{hold_id}/confirm", organizer_or_exhibitor,
         url="/fairs/{pick_fair_id}/holds/{hold_id}/confirm", fresh=True),
    Call("DELETE", "/fairs/{fair_id}/holds/{hold_id}", organizer_or_exhibitor,
         url="/fairs/{pick_fair_id}/holds/{hold_id}", fresh=True),
    Call("PUT", "/fairs/{fair_id}/requests/{registration_id}/preferences", organizer_or_exhibitor,
         url="/fairs/{pick_fair_id}/requests/{pick_reg_id}/preferences", body={"wants_corner": True}),
]

# Calls naming an own fair and the other tenant's registration or hold: nobody may act on a registration through
# a fair it does not belong to.
MIXED_CALLS = [
    Call("POST", "/fairs/{fair_id}/assignments", nobody("organizer"),
         body=lambda o: {"registration_id": o["other_spare_id"], "booth_codes": ["H01", "H02"]}),
    Call("POST", "/fairs/{fair_id}/assignments/{registration_id}/move", nobody("organizer"),
         url="/fairs/{fair_id}/assignments/{other_registration_id}/move", body={"booth_codes": ["H03", "H04"]}),
    Call("POST", "/fairs/{fair_id}/assignments/{registration_id}/release", nobody("organizer"),
         url="/fairs/{fair_id}/assignments/{other_registration_id}/release", body={"reason": "x"}),
    Call("POST", "/fairs/{fair_id}/swap", nobody("organizer"),
         body=lambda o: {"registration_ids": [o["registration_id"], o["other_registration_id"]]}),
    Call("POST", "/fairs/{fair_id}/holds", nobody("exhibitor"), url="/fairs/{pick_fair_id}/holds",
         body=lambda o: {"registration_id": o["other_pick_reg_id"], "booth_codes": ["H05", "H06"]}),
    Call("POST", "/fairs/{fair_id}/holds/{hold_id}/confirm", nobody("organizer", "exhibitor"),
         url="/fairs/{pick_fair_id}/holds/{other_hold_id}/confirm"),
    Call("DELETE", "/fairs/{fair_id}/holds/{hold_id}", nobody("organizer", "exhibitor"),
         url="/fairs/{pick_fair_id}/holds/{other_hold_id}"),
    Call("PUT", "/fairs/{fair_id}/requests/{registration_id}/preferences", nobody("organizer", "exhibitor"),
         url="/fairs/{pick_fair_id}/requests/{other_pick_reg_id}/preferences", body={"wants_corner": True}),
]


class BoothsWorld(World):
    def __init__(self, client: Any, app: Any) -> None:
        self.client, self.app = client, app

    async def setup(self) -> BoothsWorld:
        self.objects = crossed({side: await self.fresh(side, {"fair_id", "pick_fair_id", "hold_id", "bare_id"})
                                for side in ("x", "y")})
        return self

    async def fresh(self, side: str, names: set[str]) -> Objects:
        made: Objects = {}
        if names & {"fair_id", "registration_id"}:
            fair = await published_fair(self.app, centre_id=CENTRE[side], allocation_mode="organizer")
            made["fair_id"] = fair.fair_id
            ids = []
            for codes in (["A01", "A02"], ["B01", "B02"], None):
                approval = approved(fair.fair_id, 2, EXHIBITOR[side])
                await deliver(self.app, approval)
                ids.append(approval.registration_id)
                if codes:
                    await self._ok("POST", f"/fairs/{fair.fair_id}/assignments", side,
                                   json={"registration_id": approval.registration_id, "booth_codes": codes})
            made["registration_id"], made["second_id"], made["spare_id"] = ids
            await self._ok("POST", f"/fairs/{fair.fair_id}/booths/block", side, json={"booth_codes": ["G01"]})
        if "bare_id" in names:  # a fair nobody has booths at yet: its plan may be replaced
            made["bare_id"] = (await published_fair(self.app, centre_id=CENTRE[side])).fair_id
        if names & {"pick_fair_id", "hold_id", "pick_reg_id"}:
            fair = await published_fair(self.app, centre_id=CENTRE[side], allocation_mode="exhibitor_picks")
            approval = approved(fair.fair_id, 2, EXHIBITOR[side])
            await deliver(self.app, approval)
            made["pick_fair_id"], made["pick_reg_id"] = fair.fair_id, approval.registration_id
            if "hold_id" in names:
                hold = await self._ok("POST", f"/fairs/{fair.fair_id}/holds", side, json={
                    "registration_id": approval.registration_id, "booth_codes": ["A01", "A02"]},
                    principal="exhibitor_a" if side == "x" else "exhibitor_b")
                made["hold_id"] = hold["hold_id"]
        return made

    async def _ok(self, method: str, path: str, side: str, principal: str | None = None, **kwargs: Any) -> Any:
        headers = headers_of(self.app.state.settings, principal or ORGANIZER_OF[side])
        res = await self.client.request(method, path, headers=headers, **kwargs)
        assert res.status_code in (200, 201), res.text
        return res.json()
