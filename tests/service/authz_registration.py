"""The registration service's rows of the authorization matrix, and its two tenants' objects (no tests here)."""

from __future__ import annotations

from typing import Any

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
from tests.service.fixtures import exhibitor_body, fair_body
from tests.service.test_registration_support import next_tax_code

EXHIBITOR_OF = {"x": "exhibitor_a", "y": "exhibitor_b"}
ORGANIZER_OF = {"x": "organizer_x", "y": "organizer_y"}
REASON = {"reason": "Hồ sơ chưa đủ"}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

# Health, readiness and the AsyncAPI document are public in every service; the delivery state is the admin's.
KERNEL = [
    Call("GET", "/health", anyone()),
    Call("GET", "/ready", anyone()),
    Call("GET", "/asyncapi", anyone()),
    Call("GET", "/admin/delivery", may()),
]

organizer = may("organizer")
# Routes open to any token that then look the object up for the caller: a role that can own nothing there is
# told the object does not exist (404), as another tenant is.
exhibitor_or_organizer = may("exhibitor", "organizer", wrong_role=404)

CALLS = [
    *KERNEL,
    # An admin belongs to no centre, so has none to create a fair for.
    Call("POST", "/fairs", may("organizer", ok=201).but({("admin", "x"): 403}), body=fair_body()),
    Call("GET", "/fairs", anyone(), hides="draft_id"),
    # Published fairs are public by id; drafts are the centre's own (DRAFT below).
    Call("GET", "/fairs/{fair_id}", anyone()),
    Call("PATCH", "/fairs/{fair_id}", organizer, body={"venue": "Nhà văn hoá tỉnh"}),
    Call("POST", "/fairs/{fair_id}/publish", organizer, url="/fairs/{draft_id}/publish", fresh=True),
    Call("POST", "/fairs/{fair_id}/close", organizer, fresh=True),
    Call("POST", "/fairs/{fair_id}/reopen", organizer, url="/fairs/{closed_id}/reopen", fresh=True),
    # A fair starts on its first day; these fairs start in 45 days, so the owner is refused by that rule (409).
    Call("POST", "/fairs/{fair_id}/start", may("organizer", ok=409)),
    Call("POST", "/fairs/{fair_id}/finish", may("organizer", ok=409)),
    Call("POST", "/fairs/{fair_id}/cancel", organizer, body=REASON, fresh=True),
    Call("GET", "/fairs/{fair_id}/audit", organizer),
    Call("GET", "/fairs/{fair_id}/registrations", organizer),
    Call("GET", "/fairs/{fair_id}/waitlist", organizer),
    Call("POST", "/fairs/{fair_id}/registrations/approve", organizer,
         body=lambda o: {"registration_ids": [o["registration_id"]]}, fresh=True),
    Call("POST", "/fairs/{fair_id}/registrations/reject", organizer,
         body=lambda o: {"registration_ids": [o["registration_id"]], **REASON}, fresh=True),
    Call("GET", "/fairs/{fair_id}/registrations.xlsx", organizer),
    Call("GET", "/fairs/{fair_id}/registrations.csv", organizer),
    Call("GET", "/registrations", may("exhibitor"), hides="registration_id"),
    Call("GET", "/registrations/{registration_id}", exhibitor_or_organizer),
    # Only its exhibitor resubmits (an admin acts for no exhibitor: the registration is not found for it).
    Call("PATCH", "/registrations/{registration_id}",
         may("exhibitor").but({("admin", "x"): 404, ("admin", "y"): 404}), url="/registrations/{changes_id}",
         body={"booths_requested": 2}, fresh=True),
    Call("POST", "/registrations/{registration_id}/approve", organizer, fresh=True),
    Call("POST", "/registrations/{registration_id}/reject", organizer, body=REASON, fresh=True),
    Call("POST", "/registrations/{registration_id}/request-changes", organizer, body=REASON, fresh=True),
    Call("POST", "/registrations/{registration_id}/cancel", may("exhibitor", "organizer"), fresh=True),
    # Every exhibitor here has its profile already: the call is refused by that rule (409), and an admin, who is
    # no exhibitor, has none to create (403).
    Call("POST", "/exhibitors", may("exhibitor", ok=409).but({("admin", "x"): 403}),
         body=exhibitor_body(tax_code=next_tax_code())),
    Call("GET", "/exhibitors", organizer, hides="exhibitor_id"),
    Call("GET", "/exhibitors/{exhibitor_id}", exhibitor_or_organizer),
    Call("PATCH", "/exhibitors/{exhibitor_id}", may("exhibitor"), body={"phone": "0912345679"}),
    Call("GET", "/exhibitors/{exhibitor_id}/audit", exhibitor_or_organizer),
    # Documents (issue 16): the catalogue and a published fair's requirements are public; only the fair's
    # organizers set them. A registration's documents are read by its exhibitor, the fair's organizers and admins
    # (a regional centre is refused for its role), uploaded by its exhibitor only (an admin acts for no
    # exhibitor: not found), reviewed by the fair's organizers.
    Call("GET", "/document-types", anyone()),
    Call("GET", "/fairs/{fair_id}/document-requirements", anyone()),
    Call("PUT", "/fairs/{fair_id}/document-requirements", organizer,
         body={"requirements": {"enterprise": ["business_registration"]}}),
    Call("GET", "/fairs/{fair_id}/document-tallies", organizer),  # the review queue's column: the fair's organizers
    Call("GET", "/registrations/{registration_id}/documents", may("exhibitor", "organizer")),
    Call("PUT", "/registrations/{registration_id}/documents/{doc_type}",
         may("exhibitor", ok=201).but({("admin", "x"): 404, ("admin", "y"): 404}),
         url="/registrations/{registration_id}/documents/ocop_certificate", raw=PDF),
    Call("GET", "/registrations/{registration_id}/documents/{document_id}/file", may("exhibitor", "organizer")),
    Call("POST", "/registrations/{registration_id}/documents/{document_id}/accept", organizer, fresh=True),
    Call("POST", "/registrations/{registration_id}/documents/{document_id}/request-new", organizer, body=REASON,
         fresh=True),
    # Last: B registered at X's fair may then be read by X's organizer. Any exhibitor may register at any open
    # fair (it is public, the registration its own); an admin is no exhibitor and has no profile to register.
    Call("POST", "/fairs/{fair_id}/registrations",
         may("exhibitor", ok=201, tenant=False).but({("admin", "x"): 409, ("admin", "y"): 409}),
         url="/fairs/{open_id}/registrations", body={"booths_requested": 1}, fresh=True),
]

# More calls to routes above, on other objects: a draft fair is its centre's own until it is published (to anyone
# else it does not exist), and only its centre changes it.
EXTRA_CALLS = [
    Call("GET", "/fairs/{fair_id}", may("organizer", anonymous=404, wrong_role=404), url="/fairs/{draft_id}"),
    Call("PATCH", "/fairs/{fair_id}", organizer, url="/fairs/{draft_id}", body={"venue": "Nhà văn hoá tỉnh"}),
]

# Decisions on the other tenant's registration through an own fair, and another tenant's document under an own
# registration: nobody may make them.
MIXED_CALLS = [
    Call("GET", "/registrations/{registration_id}/documents/{document_id}/file", nobody("exhibitor", "organizer"),
         url="/registrations/{registration_id}/documents/{other_document_id}/file"),
    Call("POST", "/registrations/{registration_id}/documents/{document_id}/accept", nobody("organizer"),
         url="/registrations/{registration_id}/documents/{other_document_id}/accept"),
    Call("POST", "/fairs/{fair_id}/registrations/approve", nobody("organizer"),
         body=lambda o: {"registration_ids": [o["other_registration_id"]]}),
    Call("POST", "/fairs/{fair_id}/registrations/reject", nobody("organizer"),
         body=lambda o: {"registration_ids": [o["other_registration_id"]], **REASON}),
]


class RegistrationWorld(World):
    """Per tenant: a draft, an open fair with its exhibitor's registration, an open fair without, a closed fair,
    and a registration the organizer sent back for changes."""

    def __init__(self, client: Any, settings: Any) -> None:
        self.client, self.settings = client, settings

    async def setup(self) -> RegistrationWorld:
        for side in ("x", "y"):
            res = await self.client.post("/exhibitors", json=exhibitor_body(tax_code=next_tax_code()),
                                         headers=headers_of(self.settings, EXHIBITOR_OF[side]))
            assert res.status_code == 201, res.text
        self.objects = crossed({side: await self.fresh(side, set(NAMES)) for side in ("x", "y")})
        return self

    async def fresh(self, side: str, names: set[str]) -> Objects:
        made: Objects = {"exhibitor_id": EXHIBITOR[side]}
        if names & {"fair_id", "registration_id"}:
            made["fair_id"] = await self._fair(side, publish=True)
            made["registration_id"] = await self._register(side, made["fair_id"])
        if "document_id" in names:
            made["document_id"] = await self._upload(side, made["registration_id"])
        if "draft_id" in names:
            made["draft_id"] = await self._fair(side, publish=False)
        if "open_id" in names:
            made["open_id"] = await self._fair(side, publish=True)
        if "closed_id" in names:
            made["closed_id"] = await self._fair(side, publish=True)
            await self._ok("POST", f"/fairs/{made['closed_id']}/close", ORGANIZER_OF[side])
        if "changes_id" in names:
            fair = await self._fair(side, publish=True)
            made["changes_id"] = await self._register(side, fair)
            await self._ok("POST", f"/registrations/{made['changes_id']}/request-changes", ORGANIZER_OF[side],
                           json=REASON)
        return made

    async def _ok(self, method: str, path: str, principal: str, **kwargs: Any) -> dict[str, Any]:
        res = await self.client.request(method, path, headers=headers_of(self.settings, principal), **kwargs)
        assert res.status_code in (200, 201), res.text
        return dict(res.json())

    async def _fair(self, side: str, *, publish: bool) -> str:
        fair = await self._ok("POST", "/fairs", ORGANIZER_OF[side], json=fair_body(name=f"Hội chợ {CENTRE[side]}"))
        if publish:
            await self._ok("POST", f"/fairs/{fair['id']}/publish", ORGANIZER_OF[side])
        return str(fair["id"])

    async def _upload(self, side: str, registration_id: str) -> str:
        res = await self.client.put(f"/registrations/{registration_id}/documents/business_registration",
                                    content=PDF, params={"filename": "gcn.pdf"},
                                    headers=headers_of(self.settings, EXHIBITOR_OF[side]))
        assert res.status_code == 201, res.text
        return str(res.json()["id"])

    async def _register(self, side: str, fair_id: str) -> str:
        reg = await self._ok("POST", f"/fairs/{fair_id}/registrations", EXHIBITOR_OF[side],
                             json={"booths_requested": 1})
        return str(reg["id"])


NAMES = ("fair_id", "registration_id", "document_id", "draft_id", "open_id", "closed_id", "changes_id", "exhibitor_id")
