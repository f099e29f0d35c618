"""What the routes share: dependencies on the app's parts."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.notifications.service.sender import MailSender
from services.notifications.settings import NotificationsSettings
from shared.db import Database


def get_db(request: Request) -> Database:
    """The service's database."""
    db: Database = request.app.state.runtime.db
    return db


def get_settings(request: Request) -> NotificationsSettings:
    """The service's own settings."""
    settings: NotificationsSettings = request.app.state.notifications
    return settings


def get_sender(request: Request) -> MailSender:
    """The mail sender (to wake it)."""
    sender: MailSender = request.app.state.mail_sender
    return sender


DbDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[NotificationsSettings, Depends(get_settings)]
SenderDep = Annotated[MailSender, Depends(get_sender)]
