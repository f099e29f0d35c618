"""The sender: sends the mail outbox's due rows through SMTP, retrying with backoff, parking after the last
attempt. A row is claimed (`locked_until`) while it is sent, so two replicas never send it at once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import structlog
from sqlmodel import col, or_, select, update

from services.notifications.adapters import smtp, templates
from services.notifications.domain import sending
from services.notifications.domain.notices import Language, NoticeKind
from services.notifications.domain.sending import MAIL_TRANSITIONS, MailStatus, SendPolicy
from services.notifications.models import Mail
from shared.db import Database, utcnow
from shared.metrics import metrics_of
from shared.tasks import raise_if_cancelling

log = structlog.get_logger()
BATCH = 20
CLAIM_S = 60.0


@dataclass(frozen=True)
class Outgoing:
    """Where mails go from and through, and how an invoice's PDF is fetched (None: not to be had, link instead)."""

    server: smtp.SmtpServer
    sender: str
    portal_url: str
    invoice_pdf: Callable[[str], Awaitable[bytes | None]]


class MailSender:
    """Runs until cancelled: sends due mails, oldest first, woken after a commit that owed some."""

    def __init__(self, db: Database, outgoing: Outgoing, *, policy: SendPolicy, poll_s: float = 1.0) -> None:
        self._db = db
        self._out = outgoing
        self._policy = policy
        self._poll_s = poll_s
        self._wake = asyncio.Event()
        self.passes = 0
        self._attempts = metrics_of(db).counter("hangviet_mail_attempts_total",
                                                "Mail sending attempts by outcome (sent, retrying, parked)",
                                                ["outcome"])

    def wake(self) -> None:
        """Look for due mails now."""
        self._wake.set()

    async def run(self) -> None:
        """Send until cancelled; a failing pass (the database away) is logged and the next one tries again."""
        while True:
            raise_if_cancelling()
            try:
                while await self.send_due():
                    pass
            except Exception as exc:  # the sender must outlive a database outage; each mail's own failure is kept
                log.warning("mail.pass_failed", error=repr(exc))
            self.passes += 1
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_s)
            except TimeoutError:
                pass
            self._wake.clear()

    async def send_due(self) -> int:
        """Claim and send the due mails (one batch); how many were tried."""
        claimed = await self._claim()
        for mail in claimed:
            await self._send(mail)
        return len(claimed)

    async def _claim(self) -> list[Mail]:
        now = utcnow()
        async with self._db.transaction() as session:
            due = list((await session.exec(
                select(Mail).where(Mail.status == MailStatus.PENDING.value, col(Mail.next_attempt_at) <= now,
                                   or_(col(Mail.locked_until).is_(None), col(Mail.locked_until) < now))
                .order_by(col(Mail.id)).limit(BATCH))).all())
            if due:
                await session.exec(update(Mail).where(col(Mail.id).in_([m.id for m in due]))
                                   .values(locked_until=now + timedelta(seconds=CLAIM_S)))
        return due

    async def _send(self, mail: Mail) -> None:
        kind, language = NoticeKind(mail.kind), Language(mail.language)
        attachments: tuple[smtp.Attachment, ...] = ()
        invoice_id = str(mail.facts.get("invoice_id", ""))
        if kind is NoticeKind.INVOICE_ISSUED:
            pdf = await self._out.invoice_pdf(invoice_id)
            if pdf is not None:
                attachments = (smtp.Attachment(f"hoa-don-{mail.facts.get('number', invoice_id)}.pdf", pdf),)
        try:
            words = templates.render(kind, language, mail.facts, attached=bool(attachments),
                                     invoice_link=f"{self._out.portal_url}/exhibitor",
                                     portal_url=self._out.portal_url)
        except templates.RenderError as exc:  # counted as a failed attempt: retried, then parked with the reason
            await self._record(mail.id or 0, error=str(exc)[:1000], subject="", attached=False)
            return
        message = smtp.compose(sender=self._out.sender, to=mail.to_address or "", subject=words.subject,
                               body=words.body, language=language.value, mail_id=mail.id or 0,
                               attachments=attachments)
        error = await smtp.send(self._out.server, message)
        await self._record(mail.id or 0, error=error, subject=words.subject, attached=bool(attachments))

    async def _record(self, mail_id: int, *, error: str | None, subject: str, attached: bool) -> None:
        now = utcnow()
        async with self._db.transaction() as session:
            mail = await session.get(Mail, mail_id)
            if mail is None or mail.status != MailStatus.PENDING.value:
                return
            mail.attempts += 1
            status = sending.after_attempt(succeeded=error is None, attempts=mail.attempts, policy=self._policy)
            MAIL_TRANSITIONS.check(mail.status, status)
            mail.status, mail.locked_until, mail.last_error = status.value, None, error
            mail.subject, mail.attached = subject[:500], attached
            if status is MailStatus.SENT:
                mail.sent_at = now
            elif status is MailStatus.PENDING:
                mail.next_attempt_at = now + timedelta(seconds=sending.retry_delay_s(mail.attempts, self._policy))
            session.add(mail)
        self._attempts.labels("retrying" if status is MailStatus.PENDING else status.value).inc()
        log_method = log.info if error is None else log.warning
        log_method("mail.attempted", mail_id=mail_id, status=status.value, attempt=mail.attempts, error=error)
