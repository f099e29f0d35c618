"""The notifications service in memory (FastStream's test broker) on a real database file, sending through a REAL
SMTP server (aiosmtpd, devstack/mailbox.py) on a free port of 127.0.0.1: events in through the kernel's consumer,
rows in the mail outbox, mails in the server's mailbox."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlmodel import select

from devstack.mailbox import MailboxServer
from services.notifications.app import create_app
from services.notifications.domain.notices import NoticeKind
from services.notifications.models import Mail
from services.notifications.settings import NotificationsSettings
from shared.contracts import billing, booths, registration
from shared.contracts.base import Event
from shared.envelope import event_headers
from tests.conftest import running_app, token, unique
from tests.eventually import eventually

# A real SMTP server listens on a port for most of these: the integration tier, as tests/conftest.py puts every
# test that opens a port (its detector does not see aiosmtpd's server).
pytestmark = pytest.mark.integration


@asynccontextmanager
async def smtp_mailbox(folder: Path) -> AsyncIterator[MailboxServer]:
    """A real SMTP server on a free port, storing what it receives in `folder`."""
    async with MailboxServer(folder) as server:
        yield server


def closed_port() -> int:
    """A port nobody listens on (SMTP down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_app(settings_for, tmp_path: Path, port: int, **overrides):
    config = NotificationsSettings(smtp_host="127.0.0.1", smtp_port=port, backoff_s=0.02, backoff_max_s=0.05,
                                   max_attempts=3, poll_s=0.05, mailbox_dir=tmp_path / "mailbox", **overrides)
    return create_app(settings_for("notifications"), notifications=config)


def exhibitor(settings, exhibitor_id: str) -> dict[str, str]:
    return token(settings, "exhibitor", subject=exhibitor_id, exhibitor_id=exhibitor_id)


async def feed(app, event: Event, *, headers: dict[str, str] | None = None) -> dict[str, str]:
    """Publish an event to the service as another service's relay would; applied before it returns."""
    headers = headers or event_headers(event, source="/tests", correlation_id="c-1")
    await app.state.runtime.broker.publish(event.model_dump_json().encode(), topic=event.topic,
                                           key=event.key().encode(), headers=headers)
    return headers


def fair(fair_id: str, *, mode: registration.AllocationMode = "automatic") -> registration.FairPublished:
    now = datetime(2027, 1, 5, 2, 30, tzinfo=UTC)
    return registration.FairPublished(
        fair_id=fair_id, centre_id="tq", name="Hội chợ Xuân Tuyên Quang 2027", kind="provincial",
        province_code="08", venue="Quảng trường Nguyễn Tất Thành", starts_on=date(2027, 1, 20),
        ends_on=date(2027, 1, 26), registration_opens_at=now, registration_closes_at=now, capacity_booths=70,
        booth_price_vnd=5_000_000, max_booths_per_exhibitor=4, allocation_mode=mode,
        seller=registration.PartyInfo(name="TT KC&XTTM", tax_code="0100233488"))


def party(exhibitor_id: str) -> registration.ExhibitorInfo:
    return registration.ExhibitorInfo(exhibitor_id=exhibitor_id, name="HTX Chè Shan tuyết Đồng Văn",
                                      tax_code="0100233488", kind="cooperative")


def submitted(fair_id: str, exhibitor_id: str, registration_id: str) -> registration.RegistrationSubmitted:
    return registration.RegistrationSubmitted(
        fair_id=fair_id, registration_id=registration_id, exhibitor_id=exhibitor_id, exhibitor=party(exhibitor_id),
        booths_requested=2, submitted_at=datetime(2027, 1, 6, 17, 15, tzinfo=UTC))


def assigned(fair_id: str, exhibitor_id: str, registration_id: str, **fields) -> booths.BoothsAssigned:
    return booths.BoothsAssigned(fair_id=fair_id, registration_id=registration_id, exhibitor_id=exhibitor_id,
                                 assignment_id=unique("as-"), booth_codes=["A02", "A01"], **fields)


def issued(fair_id: str, exhibitor_id: str, registration_id: str) -> billing.InvoiceIssued:
    return billing.InvoiceIssued(
        fair_id=fair_id, invoice_id=unique("inv-"), registration_id=registration_id, exhibitor_id=exhibitor_id,
        form="1", symbol="C27TAA", number="0000042", issued_on=date(2027, 1, 7), due_on=date(2027, 1, 17),
        net_vnd=7_000_000, vat_vnd=560_000, total_vnd=7_560_000, payable_vnd=7_560_000,
        amount_in_words="Bảy triệu năm trăm sáu mươi nghìn đồng")


def read_eml(data: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


async def mails(app) -> list[Mail]:
    async with app.state.runtime.db.sessions() as session:
        return list((await session.exec(select(Mail).order_by(Mail.id))).all())  # type: ignore[arg-type]


async def settled(app, count: int) -> list[Mail]:
    """The outbox once `count` mails exist and none is pending."""
    async def done() -> list[Mail] | None:
        rows = await mails(app)
        return rows if len(rows) == count and all(m.status != "pending" for m in rows) else None

    return await eventually(done, timeout=30, what=f"{count} settled mails")


@pytest.fixture
def ids() -> tuple[str, str, str]:
    return unique("fair-"), unique("ex-"), unique("reg-")


class TestSending:
    async def test_tells_an_exhibitor_in_their_language_what_happened_through_a_real_smtp_server(
            self, settings_for, tmp_path, ids):
        fair_id, exhibitor_id, registration_id = ids
        async with smtp_mailbox(tmp_path / "mailbox") as server:
            app = make_app(settings_for, tmp_path, server.port)
            settings = app.state.settings
            async with running_app(app) as client:
                res = await client.put("/recipients/me", headers=exhibitor(settings, exhibitor_id),
                                       json={"email": "htx@example.vn", "language": "vi"})
                assert res.status_code == 200, res.text
                await feed(app, fair(fair_id))
                await feed(app, submitted(fair_id, exhibitor_id, registration_id))
                await feed(app, assigned(fair_id, exhibitor_id, registration_id))
                await feed(app, issued(fair_id, exhibitor_id, registration_id))
                rows = await settled(app, 3)
                await eventually(lambda: len(server.handler.received) == 3, what="three mails received")
                box = await client.get("/mailbox", headers=token(settings, "organizer", centre_id="tq"))
        assert [(m.kind, m.status, m.attempts) for m in rows] == [
            ("received", "sent", 1), ("approved", "sent", 1), ("invoice_issued", "sent", 1)]
        received, approved, invoice = (read_eml(data) for data in server.handler.received)
        assert received["To"] == "htx@example.vn" and received["Content-Language"] == "vi"
        assert received["Subject"] == "Đã nhận đăng ký tham gia Hội chợ Xuân Tuyên Quang 2027"
        assert "lúc 00:15 07/01/2027" in body_of(received)  # 17:15 UTC is 00:15 the next day in Hà Nội
        assert "Kính gửi HTX Chè Shan tuyết Đồng Văn" in body_of(received)
        assert "Gian hàng được xếp: A01, A02 (2 gian)" in body_of(approved)
        assert "(20/01/2027 – 26/01/2027)" in body_of(approved)
        assert "Tổng cộng:         7.560.000 ₫" in body_of(invoice)
        assert "Chưa đính kèm được hóa đơn PDF" in body_of(invoice)  # no billing URL: a link instead
        assert not list(invoice.iter_attachments())
        assert box.status_code == 200 and box.json()["count"] == 3
        assert {m["subject"] for m in box.json()["data"]} == {m.subject for m in rows}

    async def test_writes_in_english_to_an_exhibitor_who_chose_it(self, settings_for, tmp_path, ids):
        fair_id, exhibitor_id, registration_id = ids
        async with smtp_mailbox(tmp_path / "mailbox") as server:
            app = make_app(settings_for, tmp_path, server.port)
            async with running_app(app) as client:
                await client.put("/recipients/me", headers=exhibitor(app.state.settings, exhibitor_id),
                                 json={"email": "coop@example.com", "language": "en"})
                await feed(app, fair(fair_id))
                await feed(app, registration.RegistrationWaitlisted(
                    fair_id=fair_id, registration_id=registration_id, exhibitor_id=exhibitor_id, position=3))
                await feed(app, registration.RegistrationApproved(
                    fair_id=fair_id, registration_id=registration_id, exhibitor_id=exhibitor_id,
                    exhibitor=party(exhibitor_id), booths_requested=2, approved_at=datetime.now(UTC), promoted=True))
                await feed(app, assigned(fair_id, exhibitor_id, registration_id))
                rows = await settled(app, 2)
        assert [m.kind for m in rows] == ["waitlisted", "promoted"]
        waitlisted, promoted = (read_eml(data) for data in server.handler.received)
        assert waitlisted["Content-Language"] == "en" and "number 3 on the waitlist" in body_of(waitlisted)
        assert promoted["Subject"].startswith("Off the waitlist") and "Your booths: A01, A02" in body_of(promoted)

    async def test_a_redelivered_event_sends_one_mail(self, settings_for, tmp_path, ids):
        fair_id, exhibitor_id, registration_id = ids
        async with smtp_mailbox(tmp_path / "mailbox") as server:
            app = make_app(settings_for, tmp_path, server.port)
            async with running_app(app) as client:
                await client.put("/recipients/me", headers=exhibitor(app.state.settings, exhibitor_id),
                                 json={"email": "htx@example.vn"})
                event = submitted(fair_id, exhibitor_id, registration_id)
                headers = await feed(app, event)
                await feed(app, event, headers=headers)
                await settled(app, 1)
                await feed(app, event, headers=headers)  # and once more after it was sent
                rows = await settled(app, 1)
        assert len(server.handler.received) == 1 and rows[0].event_id == headers["ce_id"]

    async def test_retries_while_smtp_is_down_then_parks_and_a_retry_sends_it(self, settings_for, tmp_path, ids):
        fair_id, exhibitor_id, registration_id = ids
        port = closed_port()
        app = make_app(settings_for, tmp_path, port)
        settings = app.state.settings
        async with running_app(app) as client:
            await client.put("/recipients/me", headers=exhibitor(settings, exhibitor_id),
                             json={"email": "htx@example.vn"})
            await feed(app, submitted(fair_id, exhibitor_id, registration_id))
            rows = await settled(app, 1)
            assert (rows[0].status, rows[0].attempts) == ("parked", 3)
            assert rows[0].last_error and "onnect" in rows[0].last_error
            listed = await client.get("/mails", params={"status": "parked"}, headers=token(settings, "admin"))
            assert [m["id"] for m in listed.json()["data"]] == [rows[0].id]
            async with MailboxServer(tmp_path / "mailbox", port=port) as server:  # SMTP is back
                res = await client.post(f"/mails/{rows[0].id}/retry", headers=token(settings, "admin"))
                assert res.status_code == 200 and res.json()["status"] == "pending"
                rows = await settled(app, 1)
                again = await client.post(f"/mails/{rows[0].id}/retry", headers=token(settings, "admin"))
        assert (rows[0].status, rows[0].attempts) == ("sent", 1) and len(server.handler.received) == 1
        assert again.status_code == 409 and again.json()["type"].endswith("not-parked")


class TestRecipients:
    async def test_the_profile_email_the_event_carries_is_the_default_address(self, settings_for, tmp_path, ids):
        fair_id, exhibitor_id, registration_id = ids
        event = submitted(fair_id, exhibitor_id, registration_id)
        event = event.model_copy(update={"exhibitor": party(exhibitor_id).model_copy(
            update={"email": "lienhe@htx.vn"})})
        async with smtp_mailbox(tmp_path / "mailbox") as server:
            app = make_app(settings_for, tmp_path, server.port)
            async with running_app(app) as client:
                await feed(app, event)
                rows = await settled(app, 1)
                mine = await client.get("/recipients/me", headers=exhibitor(app.state.settings, exhibitor_id))
        assert (rows[0].status, rows[0].to_address) == ("sent", "lienhe@htx.vn")
        assert read_eml(server.handler.received[0])["To"] == "lienhe@htx.vn"
        assert mine.json()["email"] == "lienhe@htx.vn"

    async def test_a_notice_for_an_exhibitor_without_address_is_recorded_not_sent(self, settings_for, tmp_path, ids):
        fair_id, exhibitor_id, registration_id = ids
        async with smtp_mailbox(tmp_path / "mailbox") as server:
            app = make_app(settings_for, tmp_path, server.port)
            async with running_app(app) as client:
                await feed(app, submitted(fair_id, exhibitor_id, registration_id))
                rows = await settled(app, 1)
                listed = await client.get("/mails", params={"exhibitor_id": exhibitor_id},
                                          headers=token(app.state.settings, "admin"))
        assert (rows[0].status, rows[0].to_address) == ("no_address", None) and server.handler.received == []
        assert listed.json()["data"][0]["status"] == "no_address"

    async def test_a_muted_notice_is_not_owed(self, settings_for, tmp_path, ids):
        fair_id, exhibitor_id, registration_id = ids
        async with smtp_mailbox(tmp_path / "mailbox") as server:
            app = make_app(settings_for, tmp_path, server.port)
            settings = app.state.settings
            async with running_app(app) as client:
                res = await client.put("/recipients/me", headers=exhibitor(settings, exhibitor_id),
                                       json={"email": "htx@example.vn", "notices": ["approved", "invoice_issued"]})
                await feed(app, submitted(fair_id, exhibitor_id, registration_id))
                await feed(app, assigned(fair_id, exhibitor_id, registration_id))
                rows = await settled(app, 1)
                mine = await client.get("/recipients/me", headers=exhibitor(settings, exhibitor_id))
        assert res.json()["notices"] == ["approved", "invoice_issued"]
        assert [m.kind for m in rows] == ["approved"] and len(server.handler.received) == 1
        assert mine.json() == {"exhibitor_id": exhibitor_id, "email": "htx@example.vn", "language": "vi",
                               "notices": ["approved", "invoice_issued"]}

    async def test_defaults_every_notice_in_vietnamese_and_refuses_a_bad_address(self, settings_for, tmp_path):
        app = make_app(settings_for, tmp_path, closed_port())
        settings = app.state.settings
        async with running_app(app) as client:
            mine = await client.get("/recipients/me", headers=exhibitor(settings, "ex-9"))
            bad = await client.put("/recipients/me", headers=exhibitor(settings, "ex-9"),
                                   json={"email": "not an address"})
            unknown = await client.put("/recipients/me", headers=exhibitor(settings, "ex-9"),
                                       json={"email": "a@b.vn", "language": "fr"})
        assert mine.status_code == 200 and mine.json()["email"] is None and mine.json()["language"] == "vi"
        assert mine.json()["notices"] == [kind.value for kind in NoticeKind]
        assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
        assert unknown.status_code == 422

    async def test_the_mailbox_is_absent_in_production(self, settings_for, tmp_path):
        config = NotificationsSettings(smtp_host="smtp.example.vn", mailbox_dir=tmp_path)
        app = create_app(settings_for("notifications", env="production", jwt_secret="x" * 40),
                         notifications=config)
        async with running_app(app) as client:
            res = await client.get("/mailbox", headers=token(app.state.settings, "admin"))
        assert res.status_code == 404


class TestChangesRequested:
    async def test_tells_the_exhibitor_what_the_organizer_asks_to_change(self, settings_for, tmp_path, ids):
        fair_id, exhibitor_id, registration_id = ids
        async with smtp_mailbox(tmp_path / "mailbox") as server:
            app = make_app(settings_for, tmp_path, server.port)
            async with running_app(app) as client:
                await client.put("/recipients/me", headers=exhibitor(app.state.settings, exhibitor_id),
                                 json={"email": "htx@example.vn", "language": "en"})
                await feed(app, fair(fair_id))
                await feed(app, registration.RegistrationChangesRequested(
                    fair_id=fair_id, registration_id=registration_id, exhibitor_id=exhibitor_id,
                    reason="Attach the CNNT certificate"))
                rows = await settled(app, 1)
        assert rows[0].kind == "changes_requested" and rows[0].status == "sent"
        mail = read_eml(server.handler.received[0])
        assert mail["Subject"].startswith("Changes requested") and "Attach the CNNT certificate" in body_of(mail)
