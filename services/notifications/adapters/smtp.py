"""Sending one mail through SMTP (aiosmtplib), as an outcome: never raises for what the server or network does."""

from __future__ import annotations

from dataclasses import dataclass
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid, parseaddr

import aiosmtplib


@dataclass(frozen=True)
class SmtpServer:
    """Where mails go and how to log in."""

    host: str
    port: int
    user: str = ""
    password: str = ""
    starttls: bool = False
    timeout_s: float = 10.0


@dataclass(frozen=True)
class Attachment:
    """A file sent with a mail."""

    filename: str
    content: bytes
    subtype: str = "pdf"


def compose(*, sender: str, to: str, subject: str, body: str, language: str, mail_id: int,
            attachments: tuple[Attachment, ...] = ()) -> Message:
    """The message: UTF-8 plain text, one language (Content-Language), an id per outbox row.

    Built with the compat32 MIME classes and `Header`: the default policy's folding of a long non-ASCII subject
    splits it into encoded words at a space and so loses that space ("Hội chợ" read back as "Hộichợ")."""
    text = MIMEText(body, "plain", "utf-8")
    message: Message = text
    if attachments:
        message = MIMEMultipart("mixed")
        message.attach(text)
        for file in attachments:
            part = MIMEApplication(file.content, _subtype=file.subtype)
            part.add_header("Content-Disposition", "attachment", filename=file.filename)
            message.attach(part)
    name, address = parseaddr(sender)
    message["From"] = formataddr((name, address), charset="utf-8")
    message["To"] = to
    message["Subject"] = Header(subject, "utf-8")  # type: ignore[assignment]
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(idstring=f"mail-{mail_id}", domain="hangviet.local")
    message["Content-Language"] = language
    message["X-Hangviet-Mail"] = str(mail_id)
    return message


async def send(server: SmtpServer, message: Message) -> str | None:
    """Send the message; None when the server accepted it, else why not."""
    try:
        await aiosmtplib.send(message, hostname=server.host, port=server.port, username=server.user or None,
                              password=server.password or None, start_tls=server.starttls,
                              timeout=server.timeout_s)
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        return f"{type(exc).__name__}: {exc}"[:1000]
    return None
