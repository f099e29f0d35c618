"""The development mailbox: the .eml files the local SMTP server (devstack/mailbox.py) stored, read back."""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path


@dataclass(frozen=True)
class Received:
    """One mail the local SMTP server received."""

    file: str
    sender: str
    to: str
    subject: str
    date: str
    language: str
    body: str
    attachments: tuple[str, ...]


def read(folder: Path, *, limit: int = 100) -> list[Received]:
    """The newest `limit` mails of the folder, newest first (none when it does not exist)."""
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.eml"), key=lambda p: (p.stat().st_mtime_ns, p.name), reverse=True)[:limit]
    return [_read_one(path) for path in files]


def _read_one(path: Path) -> Received:
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(message, EmailMessage)
    body = message.get_body(preferencelist=("plain",))
    return Received(file=path.name, sender=str(message.get("From", "")), to=str(message.get("To", "")),
                    subject=str(message.get("Subject", "")), date=str(message.get("Date", "")),
                    language=str(message.get("Content-Language", "")),
                    body=body.get_content() if body is not None else "",
                    attachments=tuple(part.get_filename() or "" for part in message.iter_attachments()))
