"""The outbox repository (shell): SQL on `mail_outbox`, all three databases.

`enqueue` runs on the caller's connection, inside the caller's transaction: the message
commits with the token it carries or not at all. The sender's statements run in their own
short transactions on the `Database`.

Claiming: on PostgreSQL and MySQL 8 / MariaDB 10.6+ `SELECT … FOR UPDATE SKIP LOCKED` lets
several senders take disjoint batches without waiting on each other; every dialect then sets
`lease_until` under the same condition it selected with, so a row is claimed by one sender at a
time even where SKIP LOCKED does not exist (SQLite serialises writers anyway). A sender that
dies with a claim leaves a lease that lapses, and the row is claimed again: delivery is
at-least-once across crashes, exactly-once otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from boundary.db.shell.engine import Database
from boundary.mail.core import Message, QueuedMessage
from boundary.mail.shell.schema import mail_outbox as t


def _due(now: datetime) -> Any:
    return and_(
        t.c.status == "pending",
        t.c.next_attempt_at <= now,
        or_(t.c.lease_until.is_(None), t.c.lease_until <= now),
    )


async def forget_recipient(conn: AsyncConnection, user_id: UUID, email: str) -> None:
    """Erasure (a `Forgetter` of the user unit): delete every message to the address, queued,
    failed or sent (a message the sender holds right now may still go out)."""
    await conn.execute(delete(t).where(func.lower(t.c.recipient) == email.lower()))


async def enqueue(conn: AsyncConnection, *, id: UUID, message: Message, now: datetime) -> None:
    """Queue `message` in the caller's transaction; due at once."""
    await conn.execute(
        insert(t).values(
            id=id,
            kind=message.kind,
            recipient=message.recipient,
            subject=message.subject,
            body_text=message.text,
            body_html=message.html,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxStatus:
    """What `boundary mail status` and the depth gauge show."""

    pending: int
    due: int
    sent: int
    failed: int
    oldest_pending: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class FailedMessage:
    id: UUID
    kind: str
    recipient: str
    attempts: int
    last_error: str | None
    created_at: datetime


class Outbox:
    """The sender's and the CLI's statements on `mail_outbox`."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._skip_locked = database.dialect in ("postgresql", "mysql")

    async def claim(self, *, now: datetime, lease: float, limit: int) -> list[QueuedMessage]:
        """Up to `limit` due messages, leased to this sender until `now + lease`; each claim
        counts as an attempt."""
        pick = select(t.c.id).where(_due(now)).order_by(t.c.next_attempt_at).limit(limit)
        if self._skip_locked:
            pick = pick.with_for_update(skip_locked=True)
        until = now + timedelta(seconds=lease)
        async with self._database.connect() as conn, conn.begin():
            ids = [row[0] for row in await conn.execute(pick)]
            if not ids:
                return []
            # The same condition again: only rows still due get this sender's lease, and the
            # re-read below returns exactly those.
            await conn.execute(
                update(t)
                .where(t.c.id.in_(ids), _due(now))
                .values(lease_until=until, attempts=t.c.attempts + 1)
            )
            rows = await conn.execute(
                select(
                    t.c.id,
                    t.c.kind,
                    t.c.recipient,
                    t.c.subject,
                    t.c.body_text,
                    t.c.body_html,
                    t.c.attempts,
                    t.c.created_at,
                ).where(t.c.id.in_(ids), t.c.lease_until == until)
            )
            return [
                QueuedMessage(
                    id=str(r.id),
                    message=Message(
                        kind=r.kind,
                        recipient=r.recipient,
                        subject=r.subject,
                        text=r.body_text,
                        html=r.body_html,
                    ),
                    attempts=r.attempts,
                    created_at=r.created_at,
                )
                for r in rows
            ]

    async def mark_sent(self, message_id: str, now: datetime) -> None:
        """Delivered: the bodies (which hold the link) are erased; the row stays for audit
        until the retention period ends."""
        await self._update(
            message_id,
            status="sent",
            sent_at=now,
            lease_until=None,
            last_error=None,
            body_text="",
            body_html="",
        )

    async def mark_retry(self, message_id: str, at: datetime, error: str) -> None:
        await self._update(message_id, next_attempt_at=at, lease_until=None, last_error=error)

    async def mark_failed(self, message_id: str, error: str) -> None:
        await self._update(message_id, status="failed", lease_until=None, last_error=error)

    async def _update(self, message_id: str, **values: object) -> None:
        async with self._database.connect() as conn, conn.begin():
            await conn.execute(
                update(t)
                .where(t.c.id == UUID(message_id), t.c.status == "pending")
                .values(**values)
            )

    async def prune(self, *, before: datetime) -> int:
        """Delete sent messages queued before `before`; how many."""
        async with self._database.connect() as conn, conn.begin():
            result = await conn.execute(
                delete(t).where(t.c.status == "sent", t.c.created_at < before)
            )
            return int(result.rowcount or 0)

    async def status(self, now: datetime) -> OutboxStatus:
        async with self._database.read() as conn:
            counts = dict(
                (row[0], int(row[1]))
                for row in await conn.execute(select(t.c.status, func.count()).group_by(t.c.status))
            )
            due = await conn.scalar(select(func.count()).select_from(t).where(_due(now)))
            oldest = await conn.scalar(
                select(func.min(t.c.created_at)).where(t.c.status == "pending")
            )
        return OutboxStatus(
            pending=counts.get("pending", 0),
            due=int(due or 0),
            sent=counts.get("sent", 0),
            failed=counts.get("failed", 0),
            oldest_pending=_aware(oldest),
        )

    async def failed(self, *, limit: int = 100) -> Sequence[FailedMessage]:
        async with self._database.read() as conn:
            rows = await conn.execute(
                select(
                    t.c.id, t.c.kind, t.c.recipient, t.c.attempts, t.c.last_error, t.c.created_at
                )
                .where(t.c.status == "failed")
                .order_by(t.c.created_at.desc())
                .limit(limit)
            )
            return [
                FailedMessage(
                    id=r.id,
                    kind=r.kind,
                    recipient=r.recipient,
                    attempts=r.attempts,
                    last_error=r.last_error,
                    created_at=r.created_at,
                )
                for r in rows
            ]

    async def retry(self, *, now: datetime, ids: Sequence[UUID] = ()) -> int:
        """Make failed messages (all, or those `ids`) and waiting ones due now, with a fresh
        24-hour window; how many."""
        where = [t.c.status.in_(("failed", "pending"))]
        if ids:
            where.append(t.c.id.in_(list(ids)))
        async with self._database.connect() as conn, conn.begin():
            result = await conn.execute(
                update(t)
                .where(*where)
                .values(
                    status="pending",
                    next_attempt_at=now,
                    lease_until=None,
                    attempts=0,
                    created_at=now,
                )
            )
            return int(result.rowcount or 0)

    async def purge(self, *, failed: bool = True, pending: bool = False, sent: bool = False) -> int:
        """Delete messages by status; how many."""
        statuses = [
            name
            for name, chosen in (("failed", failed), ("pending", pending), ("sent", sent))
            if chosen
        ]
        if not statuses:
            return 0
        async with self._database.connect() as conn, conn.begin():
            result = await conn.execute(delete(t).where(t.c.status.in_(statuses)))
            return int(result.rowcount or 0)


def _aware(value: object) -> datetime | None:
    return value if isinstance(value, datetime) else None
