"""`GET /fairs/{id}/document-tallies`: each registration of a fair with how far its required documents are (the
organizer's review queue shows it per row): accepted, waiting for review, sent back and missing, counted against
what the fair requires of the exhibitor's kind (the CNNT decision only of a registration claiming a recognised
product). Only the fair's organizers read it."""

from __future__ import annotations

from services.registration.domain.documents import tally
from tests.conftest import running_app
from tests.service.test_registration_documents import JPEG, NATIONAL_TEA, NEEDS, PDF, app, fair_with_requirements
from tests.service.test_registration_documents import upload as upload_file
from tests.service.test_registration_support import exhibitor_headers, new_exhibitor, organizer, register

__all__ = ["app"]  # the fixture, shared with the documents' tests (a small file limit)


def test_a_tally_counts_each_required_document_by_its_state_and_ignores_the_others():
    counted = tally(["business_registration", "cscnnt_product_decision", "food_safety_certificate"],
                    {"business_registration": "accepted", "cscnnt_product_decision": "replace_requested",
                     "ocop_certificate": "pending"})
    assert (counted.required, counted.accepted, counted.pending, counted.replace_requested, counted.missing) == (
        3, 1, 0, 1, 1)
    assert not counted.complete
    assert tally([], {"ocop_certificate": "pending"}).complete  # nothing required: nothing holds it back


async def test_each_registration_of_the_fair_with_its_documents_counted(app):
    async with running_app(app) as client:
        fair = await fair_with_requirements(client, app, {**NEEDS, "household": []})
        claims, _ = await new_exhibitor(client, app, products=NATIONAL_TEA)  # a cooperative naming its tea
        plain, _ = await new_exhibitor(client, app)  # a cooperative naming no recognised product
        company, _ = await new_exhibitor(client, app, kind="enterprise")
        household, _ = await new_exhibitor(client, app, kind="household")
        tea = await register(client, fair["id"], claims, products=["Chè Shan tuyết"])
        nothing = await register(client, fair["id"], plain)
        sent_back = await register(client, fair["id"], company)
        free = await register(client, fair["id"], household)
        doc = (await upload_file(client, tea["id"], claims, PDF)).json()
        await upload_file(client, tea["id"], claims, JPEG, doc_type="cscnnt_product_decision")
        await client.post(f"/registrations/{tea['id']}/documents/{doc['id']}/accept", headers=organizer(app))
        theirs = (await upload_file(client, sent_back["id"], company, PDF)).json()
        await client.post(f"/registrations/{sent_back['id']}/documents/{theirs['id']}/request-new",
                          json={"reason": "Bản chụp thiếu trang 2"}, headers=organizer(app))
        res = await client.get(f"/fairs/{fair['id']}/document-tallies", headers=organizer(app))
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["fair_id"] == fair["id"] and body["count"] == 4
    rows = {row.pop("registration_id"): row for row in body["data"]}
    counts = ("required", "accepted", "pending", "replace_requested", "missing", "complete")
    assert {rid: tuple(row[c] for c in counts) for rid, row in rows.items()} == {
        tea["id"]: (2, 1, 1, 0, 0, False),
        nothing["id"]: (1, 0, 0, 0, 1, False),
        sent_back["id"]: (1, 0, 0, 1, 0, False),
        free["id"]: (0, 0, 0, 0, 0, True),
    }


async def test_only_the_fairs_organizers_read_it(app):
    async with running_app(app) as client:
        fair = await fair_with_requirements(client, app)
        other_centre = await client.get(f"/fairs/{fair['id']}/document-tallies", headers=organizer(app, "hg"))
        exhibitor = await client.get(f"/fairs/{fair['id']}/document-tallies", headers=exhibitor_headers(app, "ex-a"))
        anonymous = await client.get(f"/fairs/{fair['id']}/document-tallies")
        unknown = await client.get("/fairs/no-such-fair/document-tallies", headers=organizer(app))
    assert (other_centre.status_code, exhibitor.status_code, anonymous.status_code, unknown.status_code) == (
        404, 403, 401, 404)
    assert other_centre.headers["content-type"].startswith("application/problem+json")
