"""Documents by exhibitor kind, pure: requirements checked, what a registration must have accepted, what a file may
be (by its content), the review's moves, the names files are offered under; the folder storage; the portal's
grid and rows."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from services.portal.domain import documents as page
from services.registration.adapters.storage import FolderStorage, StoredFileMissing, checked_key, storage_from
from services.registration.domain import documents as rules
from services.registration.domain.documents import DocumentStatus
from services.registration.settings import RegistrationSettings
from shared.contracts.registration import EXHIBITOR_KINDS
from shared.errors import Invalid, Rejected


class TestRequirements:
    def test_are_normalised_in_the_catalogues_order_and_empty_kinds_left_out(self):
        checked = rules.check_requirements({"household": ["ocop_certificate", "business_registration"],
                                            "enterprise": []}, EXHIBITOR_KINDS)
        assert checked == {"household": ["business_registration", "ocop_certificate"]}

    @pytest.mark.parametrize(("requirements", "field"), [
        ({"guild": []}, "requirements.guild"),
        ({"household": ["business_registration", "visa"]}, "requirements.household.1"),
        ({"household": ["ocop_certificate", "ocop_certificate"]}, "requirements.household.1"),
    ])
    def test_an_unknown_kind_or_type_or_a_repeat_names_its_field(self, requirements, field):
        with pytest.raises(Invalid) as refused:
            rules.check_requirements(requirements, EXHIBITOR_KINDS)
        assert refused.value.field == field and refused.value.status == 422

    def test_the_cnnt_decision_is_required_only_of_a_registration_claiming_a_recognised_product(self):
        needs = {"cooperative": ["business_registration", "cscnnt_product_decision"]}
        assert rules.required_of(needs, "cooperative", names_recognised_product=True) == [
            "business_registration", "cscnnt_product_decision"]
        assert rules.required_of(needs, "cooperative", names_recognised_product=False) == ["business_registration"]
        assert rules.required_of(needs, "household", names_recognised_product=True) == []


class TestApproval:
    REQUIRED = ("business_registration", "food_safety_certificate", "ocop_certificate")

    def test_only_accepted_documents_count(self):
        statuses = {"business_registration": "accepted", "food_safety_certificate": "pending"}
        left = rules.outstanding(self.REQUIRED, statuses)
        assert [(o.doc_type, o.state) for o in left] == [("food_safety_certificate", "pending"),
                                                         ("ocop_certificate", "missing")]
        with pytest.raises(Rejected) as refused:
            rules.check_complete(self.REQUIRED, statuses)
        message = refused.value.message
        assert refused.value.status == 409 and refused.value.code == "documents-missing"
        assert refused.value.field == "documents"
        assert "chờ xem xét" in message and "chưa nộp" in message and " / " in message
        assert "Giấy chứng nhận đăng ký doanh nghiệp" not in message  # accepted: not named

    def test_a_document_sent_back_blocks_like_a_missing_one_and_all_accepted_passes(self):
        with pytest.raises(Rejected, match="cần nộp lại"):
            rules.check_complete(["ocop_certificate"], {"ocop_certificate": "replace_requested"})
        rules.check_complete(self.REQUIRED, dict.fromkeys(self.REQUIRED, "accepted"))
        rules.check_complete([], {})


class TestFiles:
    @pytest.mark.parametrize("media_type", ["application/pdf", "image/jpeg", "image/png"])
    def test_pdf_jpeg_and_png_within_the_limit_pass(self, media_type):
        assert rules.check_file(size=10, detected=media_type, max_bytes=10) == media_type

    @pytest.mark.parametrize(("size", "detected", "status", "code"), [
        (11, "application/pdf", 413, "file-too-large"),
        (0, None, 422, "empty-file"),
        (10, None, 422, "unsupported-file-type"),
        (10, "image/gif", 422, "unsupported-file-type"),
        (10, "application/x-msdownload", 422, "unsupported-file-type"),
    ])
    def test_anything_else_is_refused_naming_the_file(self, size, detected, status, code):
        with pytest.raises(Rejected) as refused:
            rules.check_file(size=size, detected=detected, max_bytes=10)
        assert (refused.value.status, refused.value.code, refused.value.field) == (status, code, "file")

    @pytest.mark.parametrize(("name", "media_type", "offered"), [
        ("giay-phep.pdf", "application/pdf", "giay-phep.pdf"),
        ("scan.pdf", "image/png", "scan.png"),  # named by what it is
        ("../../etc/passwd", "application/pdf", "passwd.pdf"),
        ('C:\\Users\\a\\"x";.JPG', "image/jpeg", "x.jpg"),
        ("", "image/jpeg", "tai-lieu.jpg"),
        (None, "application/pdf", "tai-lieu.pdf"),
        ("Giấy phép kinh doanh.pdf", "application/pdf", "Giấy phép kinh doanh.pdf"),
    ])
    def test_the_name_a_file_is_offered_under(self, name, media_type, offered):
        assert rules.safe_filename(name, media_type) == offered

    def test_an_unknown_document_type_names_doc_type(self):
        with pytest.raises(Invalid) as refused:
            rules.check_document_type("passport")
        assert refused.value.field == "doc_type"


class TestReview:
    def test_moves_between_states_but_not_onto_its_own_and_only_while_live(self):
        rules.check_review(status="pending", target=DocumentStatus.ACCEPTED, registration_live=True)
        rules.check_review(status="accepted", target=DocumentStatus.REPLACE_REQUESTED, registration_live=True)
        with pytest.raises(Rejected, match="document is already accepted"):
            rules.check_review(status="accepted", target=DocumentStatus.ACCEPTED, registration_live=True)
        with pytest.raises(Rejected, match="no longer live"):
            rules.check_review(status="pending", target=DocumentStatus.ACCEPTED, registration_live=False)


class TestFolderStorage:
    def test_puts_gets_replaces_and_deletes_by_key_inside_its_folder(self, tmp_path: Path):
        async def scenario() -> tuple[bytes, bytes, bool]:
            store = FolderStorage(tmp_path / "docs")
            await store.put("documents/r1/d1", b"%PDF-1", media_type="application/pdf")
            first = await store.get("documents/r1/d1")
            await store.put("documents/r1/d1", b"%PDF-2", media_type="application/pdf")
            second = await store.get("documents/r1/d1")
            await store.delete("documents/r1/d1")
            await store.delete("documents/r1/d1")  # nothing there: no error
            try:
                await store.get("documents/r1/d1")
            except StoredFileMissing:
                return first, second, True
            return first, second, False

        assert asyncio.run(scenario()) == (b"%PDF-1", b"%PDF-2", True)
        assert [p.name for p in (tmp_path / "docs").rglob("*") if p.is_file()] == []  # no temporary file left

    @pytest.mark.parametrize("key", ["../x", "a/../../x", "/etc/passwd", "a//b", "a/./b", "", "a b"])
    def test_a_key_that_could_leave_the_folder_is_refused(self, key):
        with pytest.raises(ValueError):
            checked_key(key)

    def test_settings_choose_the_folder_by_default_under_the_var_dir_and_s3_when_asked(self, tmp_path: Path):
        folder = storage_from(RegistrationSettings(), tmp_path)
        assert isinstance(folder, FolderStorage) and folder.root == tmp_path / "documents"
        s3 = storage_from(RegistrationSettings(documents_storage="s3", s3_bucket="b", s3_prefix="p/"), tmp_path)
        assert type(s3).__name__ == "S3Storage" and s3.bucket == "b"  # type: ignore[attr-defined]


class TestPortalWords:
    TYPES = (page.DocType("business_registration", ("Giấy chứng nhận ĐKDN", "Business registration"), False),
             page.DocType("ocop_certificate", ("Giấy chứng nhận OCOP", "OCOP certificate"), False))

    def test_the_grid_round_trips_through_the_form(self):
        grid = page.requirements_grid(list(self.TYPES), {"household": ["ocop_certificate"]})
        assert [row.kind for row in grid] == list(EXHIBITOR_KINDS)
        ticked = {name for row in grid for _, name, on in row.cells if on}
        assert ticked == {"req-household-ocop_certificate"}
        back = page.requirements_from_form(list(self.TYPES), dict.fromkeys(ticked, "1"))
        assert back["household"] == ["ocop_certificate"] and back["enterprise"] == []

    def test_rows_pair_each_required_document_with_its_upload(self):
        standing = {"data": [{"doc_type": "ocop_certificate", "status": "pending", "id": "d1"},
                             {"doc_type": "food_safety_certificate", "status": "accepted", "id": "d2"}],
                    "required": [{"doc_type": "business_registration", "state": "missing"},
                                 {"doc_type": "ocop_certificate", "state": "pending"}]}
        required, others = page.document_rows(list(self.TYPES), standing)
        assert [(r["code"], r["state_words"][0], bool(r["document"])) for r in required] == [
            ("business_registration", "Chưa nộp", False), ("ocop_certificate", "Chờ ban tổ chức xem xét", True)]
        assert [o["code"] for o in others] == ["food_safety_certificate"]
        assert page.document_rows(list(self.TYPES), None) == ([], [])
