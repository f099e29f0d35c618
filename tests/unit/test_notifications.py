"""The notifications service's pure parts: đồng and Vietnam time, the mail templates in both languages, the wanted
notices and the outbox's retry rules."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.notifications.adapters.templates import render
from services.notifications.domain import formatting
from services.notifications.domain.notices import Language, NoticeKind, muted_of, wanted
from services.notifications.domain.sending import (
    MAIL_TRANSITIONS,
    MailStatus,
    SendPolicy,
    after_attempt,
    retry_delay_s,
)
from services.notifications.models import Mail
from services.notifications.service.reactions import mail_row

COMMON = {"fair_id": "f1", "fair_name": "Hội chợ Xuân Tuyên Quang 2027", "fair_venue": "Quảng trường",
          "fair_starts_on": "2027-01-20", "fair_ends_on": "2027-01-26", "exhibitor_name": "HTX Chè Shan tuyết",
          "registration_id": "r1", "event_time": "2027-01-06T17:15:00+00:00"}
FACTS = {
    NoticeKind.RECEIVED: {"booths_requested": 2, "submitted_at": "2027-01-06T17:15:00+00:00"},
    NoticeKind.APPROVED: {"booth_codes": ["A01", "A02"], "picks": False},
    NoticeKind.PROMOTED: {"booth_codes": [], "picks": True},
    NoticeKind.WAITLISTED: {"position": 3},
    NoticeKind.REJECTED: {"reason": "Hồ sơ thiếu giấy phép"},
    NoticeKind.CHANGES_REQUESTED: {"reason": "Bổ sung giấy chứng nhận sản phẩm CNNT tiêu biểu"},
    NoticeKind.CANCELLED: {"cause": "unpaid", "note": ""},
    NoticeKind.INVOICE_ISSUED: {"invoice_id": "i1", "number": "C27TAA-0000042", "issued_on": "2027-01-07",
                                "due_on": "2027-01-17", "net_vnd": 7_000_000, "vat_vnd": 560_000,
                                "total_vnd": 7_560_000, "subsidy_vnd": 0, "payable_vnd": 7_560_000},
    NoticeKind.PAYMENT_RECEIVED: {"invoice_id": "i1", "number": "C27TAA-0000042", "amount_vnd": 7_560_000,
                                  "method": "bank_transfer", "received_on": "2027-01-10"},
    NoticeKind.INVOICE_PAID: {"invoice_id": "i1", "number": "C27TAA-0000042", "paid_on": "2027-01-10",
                              "paid_vnd": 7_560_000},
    NoticeKind.OVERDUE: {"invoice_id": "i1", "number": "C27TAA-0000042", "due_on": "2027-01-17",
                         "outstanding_vnd": 2_000_000},
}


class TestFormatting:
    @pytest.mark.parametrize(("amount", "shown"), [(7_560_000, "7.560.000 ₫"), (0, "0 ₫"), (999, "999 ₫"),
                                                   (1_000, "1.000 ₫"), (-2_500_000, "-2.500.000 ₫")])
    def test_shows_amounts_in_dong_with_dots_between_thousands(self, amount, shown):
        assert formatting.vnd(amount) == shown

    def test_shows_times_in_ho_chi_minh_city_time(self):
        assert formatting.local_time(datetime(2027, 1, 6, 17, 15, tzinfo=UTC)) == "00:15 07/01/2027"
        assert formatting.local_time("2027-01-06T17:15:00") == "00:15 07/01/2027"  # naive is UTC

    def test_shows_dates_day_first(self):
        assert formatting.day(date(2027, 1, 20)) == "20/01/2027" == formatting.day("2027-01-20")
        assert formatting.day("") == ""


class TestTemplates:
    @pytest.mark.parametrize("language", list(Language))
    @pytest.mark.parametrize("kind", list(NoticeKind))
    def test_every_notice_renders_in_both_languages(self, kind, language):
        mail = render(kind, language, {**COMMON, **FACTS[kind]}, portal_url="http://portal")
        assert mail.subject and "\n" not in mail.subject and "{" not in mail.subject
        assert mail.body.strip() and "{{" not in mail.body and "{%" not in mail.body
        assert ("Trân trọng" in mail.body) is (language is Language.VI)
        assert ("Kind regards" in mail.body) is (language is Language.EN)

    def test_an_invoice_shows_its_amounts_in_dong_and_says_whether_the_pdf_is_attached(self):
        facts = {**COMMON, **FACTS[NoticeKind.INVOICE_ISSUED]}
        attached = render(NoticeKind.INVOICE_ISSUED, Language.VI, facts, attached=True)
        linked = render(NoticeKind.INVOICE_ISSUED, Language.EN, facts, invoice_link="http://portal/exhibitor")
        assert "7.560.000 ₫" in attached.body and "560.000 ₫" in attached.body and "17/01/2027" in attached.body
        assert "Hóa đơn (PDF) được đính kèm" in attached.body
        assert "could not be attached; see and download it at: http://portal/exhibitor" in linked.body
        assert attached.subject == "Hóa đơn C27TAA-0000042 — Hội chợ Xuân Tuyên Quang 2027"

    def test_a_received_mail_gives_the_moment_in_vietnam_time(self):
        vi = render(NoticeKind.RECEIVED, Language.VI, {**COMMON, **FACTS[NoticeKind.RECEIVED]})
        en = render(NoticeKind.RECEIVED, Language.EN, {**COMMON, **FACTS[NoticeKind.RECEIVED]})
        assert "lúc 00:15 07/01/2027" in vi.body and "at 00:15 07/01/2027" in en.body

    def test_a_cancellation_says_why(self):
        mail = render(NoticeKind.CANCELLED, Language.EN, {**COMMON, **FACTS[NoticeKind.CANCELLED]})
        assert "because its invoice was not paid in time" in mail.body


class TestNotices:
    def test_every_notice_is_wanted_by_default_and_muting_keeps_the_rest(self):
        assert wanted(()) == list(NoticeKind)
        muted = muted_of([NoticeKind.APPROVED, NoticeKind.INVOICE_ISSUED])
        assert wanted(muted) == [NoticeKind.APPROVED, NoticeKind.INVOICE_ISSUED]


class TestSending:
    def test_retries_with_doubling_backoff_then_parks(self):
        policy = SendPolicy(base_s=30, max_s=100, max_attempts=3)
        assert [retry_delay_s(n, policy) for n in (1, 2, 3, 4)] == [30, 60, 100, 100]
        assert after_attempt(succeeded=False, attempts=2, policy=policy) is MailStatus.PENDING
        assert after_attempt(succeeded=False, attempts=3, policy=policy) is MailStatus.PARKED
        assert after_attempt(succeeded=True, attempts=3, policy=policy) is MailStatus.SENT

    def test_only_a_parked_mail_goes_back_to_pending_and_a_mail_without_address_stays_so(self):
        assert MAIL_TRANSITIONS.can(MailStatus.PARKED, MailStatus.PENDING)
        assert not MAIL_TRANSITIONS.can(MailStatus.SENT, MailStatus.PENDING)
        assert not MAIL_TRANSITIONS.can(MailStatus.NO_ADDRESS, MailStatus.PENDING)


def test_a_mail_missing_a_fact_its_template_names_is_a_render_error():
    from services.notifications.adapters.templates import RenderError

    with pytest.raises(RenderError, match="invoice_issued/vi"):
        render(NoticeKind.INVOICE_ISSUED, Language.VI, COMMON)


def test_a_mail_row_gives_every_column_but_the_id_with_the_models_defaults() -> None:
    now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    row = mail_row(event_id="e1", exhibitor_id="x1", kind=NoticeKind.APPROVED, status=MailStatus.PENDING,
                   to_address="a@b.vn", language="vi", facts={"k": 1}, now=now)
    assert set(row) == {column.name for column in Mail.__table__.columns} - {"id"}  # type: ignore[attr-defined]
    model = Mail(event_id="e1", exhibitor_id="x1", kind=NoticeKind.APPROVED.value, status=MailStatus.PENDING.value,
                 to_address="a@b.vn", language="vi", facts={"k": 1}, next_attempt_at=now, created_at=now)
    assert row == model.model_dump(exclude={"id"})
