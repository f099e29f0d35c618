"""Documents by exhibitor kind (issue 16), through the registration API: an organizer sets what each kind must
attach, the exhibitor uploads (the type judged by the file's content), the organizer accepts or asks for a new
one, and an approval waits until every required document is accepted. Only the registration's exhibitor, the
fair's organizers and admins read a document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.registration.app import create_app
from services.registration.settings import RegistrationSettings
from tests.conftest import running_app, token
from tests.service.test_registration_support import new_exhibitor, open_fair, organizer, register

LIMIT = 4096
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\nIDATx\x9cc\x00\x01\x00\x00\x05\x00\x01\r\n-\xb4\x00\x00\x00\x00IEND\xaeB`\x82")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
NATIONAL_TEA = [{"name": "Chè Shan tuyết", "group": "agro_food",
                 "recognition": {"level": "national", "certificate_no": "88/QĐ-BCT", "year": 2024}}]
NEEDS = {"cooperative": ["business_registration", "cscnnt_product_decision"], "enterprise": ["business_registration"]}


@pytest.fixture
def app(settings_for):
    return create_app(settings_for("registration"), registration=RegistrationSettings(documents_max_bytes=LIMIT))


async def upload(client, registration_id: str, headers: dict[str, str], data: bytes, *,
                 doc_type: str = "business_registration", name: str = "giay-phep.pdf",
                 claimed: str = "application/pdf") -> Any:
    """PUT the file's bytes as the body, the client claiming a content type (which the service ignores)."""
    return await client.put(f"/registrations/{registration_id}/documents/{doc_type}", content=data,
                            params={"filename": name}, headers={**headers, "Content-Type": claimed})


def kind_of(res: Any) -> str:
    """The problem's type, its last path part (`.../problems/documents-missing` → `documents-missing`)."""
    return str(res.json()["type"]).rsplit("/", 1)[-1]


def fields(res: Any) -> list[str]:
    return [e["field"] for e in res.json().get("errors", [])]


async def fair_with_requirements(client, app, requirements: dict[str, list[str]] = NEEDS) -> dict[str, Any]:
    fair = await open_fair(client, organizer(app))
    res = await client.put(f"/fairs/{fair['id']}/document-requirements", json={"requirements": requirements},
                           headers=organizer(app))
    assert res.status_code == 200, res.text
    return fair


class TestRequirements:
    async def test_the_organizer_sets_them_per_kind_anyone_reads_them_and_the_change_is_audited(self, app):
        async with running_app(app) as client:
            fair = await fair_with_requirements(client, app, {"enterprise": ["cscnnt_product_decision",
                                                                             "business_registration"],
                                                              "household": []})
            public = await client.get(f"/fairs/{fair['id']}/document-requirements")
            types = await client.get("/document-types")
            log = await client.get(f"/fairs/{fair['id']}/audit", headers=organizer(app))
        # In the catalogue's order; a kind with no document is left out.
        assert public.json()["requirements"] == {"enterprise": ["business_registration", "cscnnt_product_decision"]}
        codes = {t["code"]: t for t in types.json()["data"]}
        assert codes["cscnnt_product_decision"]["for_recognised_products"] is True
        assert codes["business_registration"]["label_vi"].startswith("Giấy chứng nhận đăng ký")
        entry = [e for e in log.json()["data"] if e["action"] == "fair.documents_required"]
        assert entry and entry[0]["changes"]["requirements"][1]["enterprise"][0] == "business_registration"

    @pytest.mark.parametrize(("requirements", "field", "code"), [
        ({"guild": ["business_registration"]}, "requirements.guild", "unknown-kind"),
        ({"enterprise": ["business_registration", "passport"]}, "requirements.enterprise.1", "unknown-document-type"),
        ({"enterprise": ["ocop_certificate", "ocop_certificate"]}, "requirements.enterprise.1",
         "duplicate-document-type"),
    ])
    async def test_an_unknown_kind_or_type_is_a_422_naming_it(self, app, requirements, field, code):
        async with running_app(app) as client:
            fair = await open_fair(client, organizer(app))
            res = await client.put(f"/fairs/{fair['id']}/document-requirements",
                                   json={"requirements": requirements}, headers=organizer(app))
        assert res.status_code == 422, res.text
        assert res.headers["content-type"].startswith("application/problem+json")
        assert fields(res) == [field] and kind_of(res) == code

    async def test_another_centre_cannot_set_them(self, app):
        async with running_app(app) as client:
            fair = await open_fair(client, organizer(app))
            res = await client.put(f"/fairs/{fair['id']}/document-requirements",
                                   json={"requirements": NEEDS}, headers=organizer(app, "hg"))
        assert res.status_code == 404


class TestUpload:
    async def test_pdf_jpeg_and_png_are_taken_by_their_content_and_wait_for_review(self, app):
        async with running_app(app) as client:
            fair = await fair_with_requirements(client, app)
            headers, _ = await new_exhibitor(client, app)
            reg = await register(client, fair["id"], headers)
            pdf = await upload(client, reg["id"], headers, PDF)
            # A PNG sent under a .pdf name and a PDF content type is a PNG, offered as .png.
            png = await upload(client, reg["id"], headers, PNG, doc_type="ocop_certificate", name="scan.pdf")
            jpeg = await upload(client, reg["id"], headers, JPEG, doc_type="food_safety_certificate",
                                name="../../etc/anh chup.JPG", claimed="text/plain")
            listed = await client.get(f"/registrations/{reg['id']}/documents", headers=headers)
        assert (pdf.status_code, png.status_code, jpeg.status_code) == (201, 201, 201), (pdf.text, png.text)
        assert pdf.json()["filename"] == "giay-phep.pdf"
        assert pdf.json()["status"] == "pending" and pdf.json()["media_type"] == "application/pdf"
        assert (png.json()["media_type"], png.json()["filename"]) == ("image/png", "scan.png")
        assert (jpeg.json()["media_type"], jpeg.json()["filename"]) == ("image/jpeg", "anh chup.jpg")
        assert "storage_key" not in pdf.json()
        body = listed.json()
        assert body["count"] == 3 and body["complete"] is False
        # The cooperative names no recognised product: the CNNT decision is not asked of it.
        assert body["required"] == [{"doc_type": "business_registration", "state": "pending"}]

    @pytest.mark.parametrize(("data", "name", "claimed", "status", "field"), [
        (b"name,tax\nHTX,0100109106\n", "giay-phep.pdf", "application/pdf", 422, "file"),  # text named .pdf
        (b"MZ\x90\x00" + b"\x00" * 60, "giay-phep.png", "image/png", 422, "file"),  # a program named .png
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "anh.jpg", "image/jpeg", 422, "file"),  # another image type
        (b"", "rong.pdf", "application/pdf", 422, "file"),
        (PDF + b"0" * LIMIT, "lon.pdf", "application/pdf", 413, "file"),
    ])
    async def test_a_file_that_is_not_an_allowed_type_by_content_or_too_big_is_refused_naming_the_field(
            self, app, data, name, claimed, status, field):
        async with running_app(app) as client:
            fair = await fair_with_requirements(client, app)
            headers, _ = await new_exhibitor(client, app)
            reg = await register(client, fair["id"], headers)
            res = await upload(client, reg["id"], headers, data, name=name, claimed=claimed)
            listed = await client.get(f"/registrations/{reg['id']}/documents", headers=headers)
        assert res.status_code == status, res.text
        assert res.headers["content-type"].startswith("application/problem+json")
        assert fields(res) == [field]
        assert listed.json()["count"] == 0
        assert not list((Path(app.state.settings.var_dir) / "documents").rglob("*"))  # nothing left stored

    async def test_an_unknown_document_type_or_a_missing_file_is_a_422_naming_it(self, app):
        async with running_app(app) as client:
            fair = await fair_with_requirements(client, app)
            headers, _ = await new_exhibitor(client, app)
            reg = await register(client, fair["id"], headers)
            unknown = await upload(client, reg["id"], headers, PDF, doc_type="passport")
            no_file = await client.put(f"/registrations/{reg['id']}/documents/ocop_certificate", headers=headers)
        assert unknown.status_code == 422 and fields(unknown) == ["doc_type"]
        assert no_file.status_code == 422 and fields(no_file) == ["file"]

    async def test_only_its_exhibitor_uploads_and_a_new_file_replaces_the_old_one(self, app):
        async with running_app(app) as client:
            fair = await fair_with_requirements(client, app)
            headers, _ = await new_exhibitor(client, app)
            other, _ = await new_exhibitor(client, app)
            reg = await register(client, fair["id"], headers)
            first = await upload(client, reg["id"], headers, PDF)
            stranger = await upload(client, reg["id"], other, PDF)
            by_organizer = await upload(client, reg["id"], organizer(app), PDF)
            second = await upload(client, reg["id"], headers, PNG, name="lai.png")
            listed = await client.get(f"/registrations/{reg['id']}/documents", headers=headers)
        assert stranger.status_code == 404 and by_organizer.status_code == 403
        assert first.status_code == 201
        assert second.status_code == 200 and second.json()["id"] == first.json()["id"]  # replaced
        assert listed.json()["count"] == 1 and listed.json()["data"][0]["media_type"] == "image/png"
        stored = [p for p in (Path(app.state.settings.var_dir) / "documents").rglob("*") if p.is_file()]
        assert len(stored) == 1 and stored[0].read_bytes() == PNG  # the replaced file is gone


class TestReading:
    async def test_the_owner_the_fairs_organizers_and_admins_read_it_no_one_else(self, app):
        async with running_app(app) as client:
            fair = await fair_with_requirements(client, app)
            headers, _ = await new_exhibitor(client, app)
            other, _ = await new_exhibitor(client, app)
            reg = await register(client, fair["id"], headers)
            doc = (await upload(client, reg["id"], headers, PDF, name="Giấy phép kinh doanh.pdf")).json()
            url = f"/registrations/{reg['id']}/documents/{doc['id']}/file"
            settings = app.state.settings
            answers = {who: await client.get(url, headers=h) for who, h in {
                "owner": headers, "organizer": organizer(app), "admin": token(settings, "admin"),
                "other exhibitor": other, "other centre": organizer(app, "hg"),
                "regional": token(settings, "regional", region="north", subject="rc-north"), "anonymous": {}}.items()}
            lists = {who: (await client.get(f"/registrations/{reg['id']}/documents", headers=h)).status_code
                     for who, h in {"other exhibitor": other, "other centre": organizer(app, "hg"),
                                    "regional": token(settings, "regional", region="north")}.items()}
        assert {w: r.status_code for w, r in answers.items()} == {
            "owner": 200, "organizer": 200, "admin": 200, "other exhibitor": 404, "other centre": 404,
            "regional": 403, "anonymous": 401}
        got = answers["organizer"]
        assert got.content == PDF and got.headers["content-type"] == "application/pdf"
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["content-disposition"].startswith("attachment;")
        assert "filename*=UTF-8''Gi%E1%BA%A5y" in got.headers["content-disposition"]
        assert lists == {"other exhibitor": 404, "other centre": 404, "regional": 403}

    async def test_a_document_of_another_registration_is_not_found_under_this_one(self, app):
        async with running_app(app) as client:
            fair = await fair_with_requirements(client, app)
            headers, _ = await new_exhibitor(client, app)
            other, _ = await new_exhibitor(client, app)
            mine = await register(client, fair["id"], headers)
            theirs = await register(client, fair["id"], other)
            doc = (await upload(client, theirs["id"], other, PDF)).json()
            res = await client.get(f"/registrations/{mine['id']}/documents/{doc['id']}/file", headers=headers)
        assert res.status_code == 404


class TestApproval:
    async def test_approval_waits_for_every_required_document_to_be_accepted(self, app):
        async with running_app(app) as client:
            fair = await fair_with_requirements(client, app)
            headers, _ = await new_exhibitor(client, app, products=NATIONAL_TEA)
            reg = await register(client, fair["id"], headers, products=["Chè Shan tuyết"])
            approve = f"/registrations/{reg['id']}/approve"
            before = await client.post(approve, headers=organizer(app))
            doc = (await upload(client, reg["id"], headers, PDF)).json()
            decision = (await upload(client, reg["id"], headers, JPEG, doc_type="cscnnt_product_decision")).json()
            pending = await client.post(approve, headers=organizer(app))
            base = f"/registrations/{reg['id']}/documents"
            accepted = await client.post(f"{base}/{doc['id']}/accept", headers=organizer(app))
            asked = await client.post(f"{base}/{decision['id']}/request-new",
                                      json={"reason": "Ảnh mờ, chụp lại quyết định"}, headers=organizer(app))
            by_exhibitor = await client.post(f"{base}/{doc['id']}/accept", headers=headers)
            twice = await client.post(f"{base}/{doc['id']}/accept", headers=organizer(app))
            sent_back = await client.post(approve, headers=organizer(app))
            seen = await client.get(base, headers=headers)
            await upload(client, reg["id"], headers, PDF, doc_type="cscnnt_product_decision")
            await client.post(f"{base}/{decision['id']}/accept", headers=organizer(app))
            after = await client.post(approve, headers=organizer(app))
            log = await client.get(f"/fairs/{fair['id']}/audit", params={"registration_id": reg["id"]},
                                   headers=organizer(app))
        for refused in (before, pending, sent_back):
            assert refused.status_code == 409, refused.text
            assert kind_of(refused) == "documents-missing" and fields(refused) == ["documents"]
        assert "chưa nộp" in before.json()["title"] and "not uploaded" in before.json()["title"]
        assert "Quyết định công nhận" in before.json()["title"]  # the registration claims the tea's points
        assert "chờ xem xét" in pending.json()["title"]
        assert "cần nộp lại" in sent_back.json()["title"] and "Giấy chứng nhận" not in sent_back.json()["title"]
        assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
        assert asked.json()["status"] == "replace_requested"
        assert asked.json()["review_message"] == "Ảnh mờ, chụp lại quyết định"
        assert by_exhibitor.status_code == 403 and twice.status_code == 409
        states = {r["doc_type"]: r["state"] for r in seen.json()["required"]}
        assert states == {"business_registration": "accepted", "cscnnt_product_decision": "replace_requested"}
        assert after.status_code == 200 and after.json()["status"] == "approved"
        actions = [e["action"] for e in log.json()["data"]]
        assert actions.count("document.uploaded") == 3 and "document.replace_requested" in actions
        assert [e["reason"] for e in log.json()["data"] if e["action"] == "document.replace_requested"] == [
            "Ảnh mờ, chụp lại quyết định"]

    async def test_bulk_approval_names_the_registration_missing_documents(self, app):
        async with running_app(app) as client:
            fair = await fair_with_requirements(client, app, {"cooperative": ["business_registration"]})
            ready_headers, _ = await new_exhibitor(client, app)
            ready = await register(client, fair["id"], ready_headers)
            doc = (await upload(client, ready["id"], ready_headers, PDF)).json()
            await client.post(f"/registrations/{ready['id']}/documents/{doc['id']}/accept", headers=organizer(app))
            late_headers, _ = await new_exhibitor(client, app)
            late = await register(client, fair["id"], late_headers)
            res = await client.post(f"/fairs/{fair['id']}/registrations/approve",
                                    json={"registration_ids": [ready["id"], late["id"]]}, headers=organizer(app))
            alone = await client.post(f"/fairs/{fair['id']}/registrations/approve",
                                      json={"registration_ids": [ready["id"]]}, headers=organizer(app))
        assert res.status_code == 409 and fields(res) == ["registration_ids.1"] and late["id"] in res.json()["title"]
        assert alone.status_code == 200 and alone.json()["data"][0]["status"] == "approved"

    async def test_a_waitlisted_registration_whose_document_was_sent_back_is_not_promoted(self, app):
        """A promotion is an approval: when booths free up, the best waitlisted one whose required document the
        organizer has since sent back keeps waiting, in its place; the next one that is ready is promoted."""
        async with running_app(app) as client:
            fair = await open_fair(client, organizer(app), capacity_booths=2, max_booths_per_exhibitor=2)
            await client.put(f"/fairs/{fair['id']}/document-requirements",
                             json={"requirements": {"cooperative": ["business_registration"]}},
                             headers=organizer(app))
            regs, docs, people = [], [], []
            for _ in range(3):  # the holder, then two for the waitlist, in the order they registered
                headers, _ = await new_exhibitor(client, app)
                reg = await register(client, fair["id"], headers, booths=2)
                doc = (await upload(client, reg["id"], headers, PDF)).json()
                await client.post(f"/registrations/{reg['id']}/documents/{doc['id']}/accept",
                                  headers=organizer(app))
                decided = await client.post(f"/registrations/{reg['id']}/approve", headers=organizer(app))
                regs.append(decided.json())
                docs.append(doc)
                people.append(headers)
            holder, first, second = regs
            sent_back = await client.post(f"/registrations/{first['id']}/documents/{docs[1]['id']}/request-new",
                                          json={"reason": "Hết hạn"}, headers=organizer(app))
            cancelled = await client.post(f"/registrations/{holder['id']}/cancel", json={"reason": "Ốm"},
                                          headers=people[0])
            after = {r["id"]: (await client.get(f"/registrations/{r['id']}", headers=organizer(app))).json()
                     for r in (first, second)}
        assert [r["status"] for r in regs] == ["approved", "waitlisted", "waitlisted"]
        assert first["waitlist_position"] == 1 and second["waitlist_position"] == 2
        assert sent_back.status_code == 200 and cancelled.json()["status"] == "cancelled"
        assert after[first["id"]]["status"] == "waitlisted" and after[first["id"]]["waitlist_position"] == 1
        assert after[second["id"]]["status"] == "approved"

    async def test_a_fair_requiring_nothing_approves_as_before_and_other_kinds_are_not_asked(self, app):
        async with running_app(app) as client:
            fair = await fair_with_requirements(client, app, {"household": ["business_registration"]})
            headers, _ = await new_exhibitor(client, app)  # a cooperative
            reg = await register(client, fair["id"], headers)
            res = await client.post(f"/registrations/{reg['id']}/approve", headers=organizer(app))
        assert res.status_code == 200 and res.json()["status"] == "approved"
