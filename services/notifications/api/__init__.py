"""HTTP side of the notifications service: one module per resource, and what the routes share (`deps`)."""

from __future__ import annotations

from services.notifications.api import mailbox, mails, recipients

ROUTERS = (*recipients.ROUTERS, *mails.ROUTERS, *mailbox.ROUTERS)
