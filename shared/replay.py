"""Restart safety of the embedded broker: a fresh in-memory broker has lost what the last one held.

An outbox row is marked sent once the broker acknowledged it, not once every consumer applied it. With
Apache Kafka that is enough (the topic keeps it); the embedded Tansu keeps topics in memory, so stopping
`make run` loses whatever was published but not yet consumed. When `make run` starts a fresh broker it
gives every service a replay window and a broker epoch (`HANGVIET_OUTBOX_REPLAY_WINDOW_S`,
`HANGVIET_BROKER_EPOCH`); each service, before its relay starts, marks the rows it sent within that window
unsent again, and the relay publishes them once more, oldest first. Consumers' inboxes make the repeats
harmless. Never set with an external Kafka: there the topics survive and a replay would only cost time.

Why a window and not every row: a repeat costs each consumer an inbox look-up, and a development database
that ran a benchmark holds tens of thousands of rows, replayed at every start for nothing. The window is
counted back from the service's newest send, not from now: the broker died after that send, so whatever a
consumer had not applied yet was sent within the window of it, even when `make run` restarts days later.
An hour covers any consumer that lagged or was down for less than an hour before the stop.

Once per epoch: the row of `outbox_replay` for the epoch is written in the same transaction as the marking,
so a service the supervisor restarts on the same broker does not replay again, a replica that comes second
finds it done (the primary key refuses its row), and a crash before the commit leaves the replay to redo.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, col, func, select

from shared.db import Database, utc_column, utcnow
from shared.outbox import OutboxMessage

log = structlog.get_logger()


class OutboxReplay(SQLModel, table=True):
    """A broker epoch for which this service's recent outbox was marked for publishing again."""

    __tablename__ = "outbox_replay"

    epoch: str = Field(primary_key=True, max_length=64)
    replayed_at: datetime = Field(sa_column=utc_column())
    window_s: float
    rows: int


async def replay_outbox(db: Database, *, window_s: float, epoch: str = "") -> int:
    """Mark the rows sent within `window_s` before the newest send unsent again (once per `epoch` when one is
    given); return how many. Call before the relay starts."""
    if window_s <= 0:
        return 0
    await db.create_tables([OutboxReplay])
    try:
        async with db.transaction() as session:
            if epoch and await session.get(OutboxReplay, epoch) is not None:
                return 0
            newest = (await session.exec(select(func.max(OutboxMessage.sent_at)))).one()
            rows = 0
            if newest is not None:
                # The cutoff is derived from the stored value, so it compares like with like on every backend.
                cutoff = newest - timedelta(seconds=window_s)
                result = await session.exec(update(OutboxMessage)
                                            .where(col(OutboxMessage.sent_at) >= cutoff).values(sent_at=None))
                rows = int(result.rowcount or 0)
            if epoch:
                session.add(OutboxReplay(epoch=epoch, replayed_at=utcnow(), window_s=window_s, rows=rows))
    except IntegrityError:  # a replica of this service replayed for this epoch first
        return 0
    log.info("outbox.replayed", rows=rows, window_s=window_s, epoch=epoch or None)
    return rows
