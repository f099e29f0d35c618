"""The billing service's rows of the authorization matrix, and its two tenants' objects (no tests here).

Billing learns of fairs, registrations and booths from events: each tenant's fair is fed as fair.published
(centre X / Y), exhibitor A's / B's registration as registration.approved and booths.assigned (an invoice), and a
second registration cancelled after its invoice (a voided invoice with its cancellation document).
"""

from __future__ import annotations

from typing import Any

from services.billing.app import create_app
from services.billing.settings import BillingSettings
from shared.contracts.registration import RegistrationCancelled
from tests.conftest import unique
from tests.service.authz_registration import KERNEL, ORGANIZER_OF
from tests.service.authz_support import CENTRE, EXHIBITOR, Call, Objects, World, headers_of, may
from tests.service.billing_support import LOCAL, MAY_2026, Clock, approved, assigned, fair_info, feed

EXTRAS = {"extras": [{"code": "table", "name": "Bàn phụ", "unit": "cái", "unit_price_vnd": 150_000,
                      "vat_category": "standard"}]}
PAYMENT = {"amount_vnd": 1_000_000, "method": "bank_transfer", "reference": "FT26130099", "received_on": "2026-05-10"}
SETTINGS = {"series": "AA", "due_in_days": 15, "bank_bin": "970436", "bank_account": "0011004455667",
            "bank_account_name": "TT KC XTTM"}

reader = may("exhibitor", "organizer")  # an invoice: its exhibitor and the organizers of its fair's centre
organizer = may("organizer")
# Centre-wide routes: an admin names the centre (`centre_id`); an organizer's own centre is used whatever it names,
# so naming another centre gets the caller its own (never the other's: `hides`).
centre_param: dict[str, Any] = {"params": lambda o: {"centre_id": o["centre_id"]}, "hides": "centre_id"}
centre_wide = may("organizer", tenant=False)

CALLS = [
    *KERNEL,
    Call("GET", "/invoices", reader, hides="invoice_id"),  # an invoice's id: the other tenant's is never listed
    Call("GET", "/invoices/{invoice_id}.pdf", reader),
    Call("GET", "/invoices/{invoice_id}.xml", reader),
    Call("GET", "/invoices/{invoice_id}", reader),
    Call("GET", "/invoices/{invoice_id}/cancellation", reader, url="/invoices/{voided_id}/cancellation"),
    Call("GET", "/invoices/{invoice_id}/cancellation.xml", reader, url="/invoices/{voided_id}/cancellation.xml"),
    Call("GET", "/invoices/{invoice_id}/cancellation.pdf", reader, url="/invoices/{voided_id}/cancellation.pdf"),
    Call("POST", "/invoices/{invoice_id}/payments", may("organizer", ok=201),
         body=lambda o: {**PAYMENT, "reference": unique("FT")}),
    # A payment is reversed once: each call expected to succeed reverses a new payment.
    Call("POST", "/invoices/{invoice_id}/payments/{payment_id}/reverse", may("organizer", ok=201), fresh=True,
         body={"reason": "Nhập nhầm / entered by mistake"}),
    Call("GET", "/invoices/{invoice_id}/vietqr", reader),
    Call("POST", "/invoices/{invoice_id}/authority-code", organizer, body={"authority_code": "M1A2B3C4D5"}),
    # Only a failed submission is sent again: the invoice's organizers are let in and refused by that rule (409).
    Call("POST", "/invoices/{invoice_id}/submission/retry", may("organizer", ok=409)),
    # An organizer reads any exhibitor's credits, counted at its own centre only (another centre's are 0).
    Call("GET", "/exhibitors/{exhibitor_id}/credits",
         reader.but({("organizer_x", "y"): 200, ("organizer_y", "x"): 200})),
    # A fair's price list is public to exhibitors (they choose extras from it); organizers see their own fairs'.
    Call("GET", "/fairs/{fair_id}/price-list", reader.but({("exhibitor_a", "y"): 200, ("exhibitor_b", "x"): 200})),
    Call("PUT", "/fairs/{fair_id}/price-list", organizer, body=EXTRAS),
    Call("GET", "/invoice-settings", centre_wide, **centre_param),
    Call("PUT", "/invoice-settings", centre_wide, body=SETTINGS, **centre_param),
    Call("POST", "/registrations/{registration_id}/extras", reader, body={"items": [{"code": "table", "quantity": 1}]}),
    Call("POST", "/subsidy-programmes", may("organizer", ok=201, tenant=False),
         body=lambda o: {**LOCAL, "funder": unique("Sở ")}, **centre_param),
    Call("GET", "/subsidy-programmes", centre_wide, **centre_param),
    Call("GET", "/subsidy-programmes/{programme_id}", organizer),
    Call("PATCH", "/subsidy-programmes/{programme_id}", organizer, body={"budget_vnd": 120_000_000}),
    Call("GET", "/subsidy-programmes/{programme_id}/settlement", organizer),
    Call("GET", "/subsidy-programmes/{programme_id}/settlement.xlsx", organizer),
    Call("DELETE", "/subsidy-programmes/{programme_id}", may("organizer", ok=204), fresh=True),
    Call("POST", "/admin/overdue-check", may(), body={"as_of": "2026-05-10"}),
]

# The list of invoices filtered by another tenant's exhibitor and registration: a filter, not an object, so the
# answer is an empty list (200), never the other tenant's invoice (`hides`).
EXTRA_CALLS = [
    Call("GET", "/invoices", reader.but(other=200), hides="invoice_id",
         params=lambda o: {"exhibitor_id": o["exhibitor_id"], "registration_id": o["registration_id"]}),
]


def make_app(settings_for: Any) -> Any:
    return create_app(settings_for("billing"), clock=Clock(MAY_2026),
                      billing=BillingSettings(overdue_check_enabled=False))


class BillingWorld(World):
    """Per tenant: the centre's fair with a price list, its exhibitor's invoice, a voided invoice, a subsidy
    programme of the centre."""

    def __init__(self, client: Any, app: Any) -> None:
        self.client, self.app = client, app

    async def setup(self) -> BillingWorld:
        self.objects = {}
        for side in ("x", "y"):
            headers = headers_of(self.app.state.settings, ORGANIZER_OF[side])
            made: Objects = {"centre_id": CENTRE[side], "exhibitor_id": EXHIBITOR[side],
                             "fair_id": unique("fair-")}
            await feed(self.app, _published(made["fair_id"], side))
            for path, body in ((f"/fairs/{made['fair_id']}/price-list", EXTRAS), ("/invoice-settings", SETTINGS)):
                res = await self.client.put(path, json=body, headers=headers)
                assert res.status_code == 200, res.text
            made["registration_id"], made["invoice_id"] = await self._invoice(made)
            registration_id, made["voided_id"] = await self._invoice(made)
            await feed(self.app, RegistrationCancelled(fair_id=made["fair_id"], registration_id=registration_id,
                                                       exhibitor_id=made["exhibitor_id"], reason="organizer"))
            made["payment_id"] = await self._payment(side, made["invoice_id"])
            made.update(await self.fresh(side, {"programme_id"}))
            self.objects[side] = made
        return self

    async def fresh(self, side: str, names: set[str]) -> Objects:
        if "payment_id" in names:
            invoice_id = self.objects[side]["invoice_id"]
            return {"invoice_id": invoice_id, "payment_id": await self._payment(side, invoice_id)}
        res = await self.client.post("/subsidy-programmes", json={**LOCAL, "funder": unique("Sở Công Thương ")},
                                     headers=headers_of(self.app.state.settings, ORGANIZER_OF[side]))
        assert res.status_code == 201, res.text
        return {"programme_id": res.json()["id"]}

    async def _payment(self, side: str, invoice_id: str) -> str:
        res = await self.client.post(f"/invoices/{invoice_id}/payments", json={**PAYMENT, "reference": unique("FT")},
                                     headers=headers_of(self.app.state.settings, ORGANIZER_OF[side]))
        assert res.status_code == 201, res.text
        return str(res.json()["id"])

    async def _invoice(self, made: Objects) -> tuple[str, str]:
        registration_id = unique("reg-")
        await feed(self.app, approved(made["fair_id"], registration_id, made["exhibitor_id"]))
        await feed(self.app, assigned(made["fair_id"], registration_id, made["exhibitor_id"]))
        res = await self.client.get("/invoices", params={"registration_id": registration_id},
                                    headers=headers_of(self.app.state.settings, "admin"))
        [invoice] = res.json()["data"]
        return registration_id, invoice["id"]


def _published(fair_id: str, side: str) -> Any:
    from shared.contracts.registration import FairPublished

    return FairPublished(**fair_info(fair_id, centre_id=CENTRE[side]))
