"""The outbox repository on SQLite, PostgreSQL and MySQL/MariaDB: a message is claimed by one
sender at a time, a lapsed lease makes it claimable again, and the status counts, retry and
purge the `boundary mail` commands rely on."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from boundary.db.shell.engine import Database
from boundary.mail.core import Message
from boundary.mail.shell import outbox
from boundary.mail.shell.outbox import Outbox
from boundary.mail.shell.schema import mail_outbox
from boundary.migrations.shell import MigrationRunner
from boundary.observability.logging import get_logger
from boundary.observability.metrics.shell.noop import NoopMetrics
from tests.support.databases import start_from_migrated_sqlite

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    await start_from_migrated_sqlite(database_url, ROOT / "migrations")
    db = Database(
        database_url,
        pool_size=5,
        pool_timeout_ms=5000,
        metrics=NoopMetrics(),
        logger=get_logger("test.mail"),
    )
    await MigrationRunner(db, ROOT / "migrations").migrate()
    try:
        yield db
    finally:
        await db.close()


def message(n: int) -> Message:
    return Message(
        kind="password_reset",
        recipient=f"user{n}@example.com",
        subject="Reset your Boundary password",
        text=f"link {n}",
        html=f"<a href='x'>link {n}</a>",
    )


async def queue(database: Database, count: int, now: datetime = T0) -> None:
    async with database.connect() as conn, conn.begin():
        for n in range(count):
            await outbox.enqueue(conn, id=uuid.uuid4(), message=message(n), now=now)


async def test_concurrent_senders_claim_disjoint_messages(database: Database) -> None:
    await queue(database, 12)
    senders = [Outbox(database), Outbox(database), Outbox(database)]

    batches = await asyncio.gather(*(s.claim(now=T0, lease=60, limit=5) for s in senders))

    ids = [q.id for batch in batches for q in batch]
    assert len(ids) == len(set(ids)) == 12
    assert all(q.attempts == 1 for batch in batches for q in batch)
    assert await senders[0].claim(now=T0, lease=60, limit=5) == []


async def test_a_lapsed_lease_is_claimed_again(database: Database) -> None:
    await queue(database, 1)
    box = Outbox(database)
    (first,) = await box.claim(now=T0, lease=60, limit=10)

    assert await box.claim(now=T0 + timedelta(seconds=59), lease=60, limit=10) == []
    (again,) = await box.claim(now=T0 + timedelta(seconds=61), lease=60, limit=10)
    assert again.id == first.id
    assert again.attempts == 2


async def test_sent_erases_the_body_and_status_counts(database: Database) -> None:
    await queue(database, 3)
    box = Outbox(database)
    a, b, c = await box.claim(now=T0, lease=60, limit=10)

    await box.mark_sent(a.id, T0)
    await box.mark_failed(b.id, "550 no such user")
    await box.mark_retry(c.id, T0 + timedelta(seconds=30), "451 later")
    status = await box.status(T0)

    assert (status.pending, status.due, status.sent, status.failed) == (1, 0, 1, 1)
    assert status.oldest_pending == T0
    (failed,) = await box.failed()
    assert failed.last_error == "550 no such user"
    async with database.read() as conn:
        bodies = dict(
            (str(r[0]), r[1])
            for r in await conn.execute(
                mail_outbox.select().with_only_columns(mail_outbox.c.id, mail_outbox.c.body_text)
            )
        )
    assert bodies[a.id] == ""
    assert bodies[b.id].startswith("link")  # kept for `boundary mail retry`


async def test_retry_makes_failed_messages_due_and_purge_deletes(database: Database) -> None:
    await queue(database, 2)
    box = Outbox(database)
    a, b = await box.claim(now=T0, lease=60, limit=10)
    await box.mark_failed(a.id, "gave up")
    await box.mark_sent(b.id, T0)
    later = T0 + timedelta(hours=30)

    assert await box.retry(now=later) == 1
    (again,) = await box.claim(now=later, lease=60, limit=10)
    assert again.id == a.id
    assert again.attempts == 1
    await box.mark_failed(a.id, "gave up again")
    assert await box.prune(before=later) == 1
    assert await box.purge(failed=True) == 1
    status = await box.status(later)
    assert (status.pending, status.sent, status.failed) == (0, 0, 0)
