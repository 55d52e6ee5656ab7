"""The operations guide's two SQL queries (CONTRACT §4) run unchanged on PostgreSQL.

Audit rows are written through the `AuditLog` adapter on a freshly migrated database; the
queries are executed verbatim and must return exactly the expected rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from boundary.db.shell.engine import Database
from boundary.migrations.shell import MigrationRunner
from boundary.observability.logging import get_logger
from boundary.observability.metrics.shell.noop import NoopMetrics
from boundary.user.core.model import AuditEvent
from boundary.user.shell.persistence import sql_unit_of_work_factory
from tests.conftest import FreshDatabase

pytestmark = [pytest.mark.anyio, pytest.mark.db]

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

FAILED_LOGINS = """SELECT email, COUNT(*) AS attempts, MAX(created_at) AS last_attempt FROM audit_events
 WHERE event_type = 'login_failed' AND created_at > NOW() - INTERVAL '1 hour'
 GROUP BY email HAVING COUNT(*) > 10;"""  # noqa: E501

ADMIN_ACTIONS = """SELECT actor, resource, action, result, created_at FROM audit_events
 WHERE actor_role = 'admin' AND created_at > NOW() - INTERVAL '24 hours' ORDER BY created_at DESC;"""  # noqa: E501


@pytest.fixture
def postgres_url(fresh_database: FreshDatabase) -> str:
    return fresh_database("postgresql")


@pytest.fixture
async def database(postgres_url: str) -> AsyncIterator[Database]:
    """A fresh PostgreSQL database with every migration applied."""
    db = Database(
        postgres_url,
        pool_size=2,
        pool_timeout_ms=5000,
        metrics=NoopMetrics(),
        logger=get_logger("test"),
    )
    try:
        await MigrationRunner(db, MIGRATIONS).migrate()
        yield db
    finally:
        await db.close()


def failed_login(email: str, at: datetime) -> AuditEvent:
    return AuditEvent(
        event_type="login_failed",
        action="login",
        result="failure",
        email=email,
        ip="203.0.113.7",
        created_at=at,
    )


def admin_action(actor: str, resource: str, action: str, at: datetime, role: str) -> AuditEvent:
    return AuditEvent(
        event_type=f"user_{action}d",
        action=action,
        result="success",
        actor=actor,
        actor_role=role,
        resource=resource,
        created_at=at,
    )


async def append(database: Database, events: list[AuditEvent]) -> None:
    async with sql_unit_of_work_factory(database)() as uow:
        for event in events:
            await uow.audit.append(event)
        await uow.commit()


async def test_failed_login_query_finds_emails_over_ten_attempts_in_the_last_hour(
    database: Database,
) -> None:
    now = datetime.now(UTC)
    attacked = [
        failed_login("victim@example.com", now - timedelta(minutes=m)) for m in range(1, 12)
    ]
    older = [
        failed_login("victim@example.com", now - timedelta(hours=2, minutes=m)) for m in (1, 2)
    ]
    ten = [failed_login("ten@example.com", now - timedelta(minutes=m)) for m in range(1, 11)]
    stale = [
        failed_login("stale@example.com", now - timedelta(hours=3, minutes=m)) for m in range(12)
    ]
    other_type = [
        AuditEvent(
            event_type="login_succeeded",
            action="login",
            result="success",
            email="victim@example.com",
            created_at=now - timedelta(minutes=m),
        )
        for m in range(1, 4)
    ]
    await append(database, [*attacked, *older, *ten, *stale, *other_type])

    async with database.connect() as conn:
        rows = (await conn.execute(text(FAILED_LOGINS))).all()

    assert [tuple(row) for row in rows] == [("victim@example.com", 11, attacked[0].created_at)]


async def test_admin_actions_query_lists_the_last_day_newest_first(database: Database) -> None:
    now = datetime.now(UTC)
    recent = [
        admin_action(
            "root@example.com", "/api/v1/users/1", "create", now - timedelta(hours=23), "admin"
        ),
        admin_action(
            "root@example.com", "/api/v1/users/2", "update", now - timedelta(minutes=5), "admin"
        ),
        admin_action(
            "ops@example.com", "/api/v1/users/3", "delete", now - timedelta(hours=2), "admin"
        ),
    ]
    too_old = admin_action(
        "root@example.com", "/api/v1/users/4", "delete", now - timedelta(hours=25), "admin"
    )
    not_admin = [
        admin_action(
            "ada@example.com", "/api/v1/users/5", "update", now - timedelta(minutes=1), "user"
        ),
        admin_action(
            "vic@example.com", "/api/v1/users/6", "update", now - timedelta(minutes=2), "viewer"
        ),
    ]
    await append(database, [*recent, too_old, *not_admin, failed_login("x@example.com", now)])

    async with database.connect() as conn:
        rows = (await conn.execute(text(ADMIN_ACTIONS))).all()

    newest_first = sorted(recent, key=lambda e: e.created_at, reverse=True)
    assert [tuple(row) for row in rows] == [
        (e.actor, e.resource, e.action, e.result, e.created_at) for e in newest_first
    ]
