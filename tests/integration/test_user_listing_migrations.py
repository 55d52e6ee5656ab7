"""The user-listing migrations on a database that already has users, on every dialect: the
users are numbered in their old listing order, counted in user_list_stats, and new users
follow them; rolled back and applied again, the same holds."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from sqlalchemy import insert, inspect, text

from boundary.db.shell.engine import Database
from boundary.migrations.shell import MigrationRunner
from boundary.observability.logging import get_logger
from boundary.observability.metrics.shell.noop import NoopMetrics
from boundary.user.core.model import Role, User, UserFilter
from boundary.user.shell.persistence import SqlUsers, schema
from boundary.user.shell.persistence.users import USER_COLUMNS
from tests.fakes import builders
from tests.support.process import ROOT

pytestmark = pytest.mark.anyio

FIRST_LISTING_MIGRATION = "20261205-090000"
LISTING_MIGRATIONS = 3
T0 = datetime(2026, 1, 3, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(
        database_url,
        pool_size=2,
        pool_timeout_ms=5000,
        metrics=NoopMetrics(),
        logger=get_logger("test.db"),
    )
    yield database
    await database.close()


OLD_COLUMNS = frozenset(USER_COLUMNS) - {"email_verified_at"}
"""The users table's columns before the listing migrations (later ones added the rest)."""


def later_migrations() -> set[str]:
    """Ids of the repository's migrations after the three listing ones."""
    ids = {"-".join(p.name.split("-")[:2]) for p in (ROOT / "migrations").glob("*.up.sql")}
    return {i for i in ids if i > "20261205-090200"}


def copy_migrations(target: Path, *, before: str | None = None) -> None:
    """The repository's migration files, those with ids before `before` only if given."""
    target.mkdir(exist_ok=True)
    for path in (ROOT / "migrations").glob("*.sql"):
        if before is None or path.name < before:
            shutil.copy(path, target / path.name)


def make_user(created_at: datetime, *, deleted: bool = False, role: Role = "user") -> User:
    return builders.make_user(
        name="Existing User",
        role=role,
        created_at=created_at,
        updated_at=created_at,
        deleted_at=created_at if deleted else None,
    )


async def numbered(db: Database) -> list[tuple[int, UUID]]:
    async with db.connect() as conn:
        rows = await conn.execute(text("SELECT list_seq, id FROM users ORDER BY list_seq"))
        return [(int(seq), UUID(str(user_id))) for seq, user_id in rows]


async def test_existing_users_are_numbered_in_their_old_order_and_counted(
    db: Database, tmp_path: Path
) -> None:
    # Created out of insertion order, with created_at ties (broken by id) and deleted users.
    roles: tuple[Role, ...] = ("user", "admin", "viewer")
    existing = [
        make_user(T0 + timedelta(minutes=(7 * i) % 10), deleted=i % 4 == 0, role=roles[i % 3])
        for i in range(24)
    ]
    old_order = [u.id for u in sorted(existing, key=lambda u: (u.created_at, u.id))]
    directory = tmp_path / "migrations"
    copy_migrations(directory, before=FIRST_LISTING_MIGRATION)
    runner = MigrationRunner(db, directory, get_logger("test.migrations"))
    await runner.migrate()
    async with db.transaction() as conn:
        await conn.execute(
            insert(schema.users),
            [{k: getattr(u, k) for k in USER_COLUMNS if k in OLD_COLUMNS} for u in existing],
        )
    copy_migrations(directory)
    assert len(await runner.migrate()) == LISTING_MIGRATIONS + len(later_migrations())

    for attempt in ("applied", "applied again"):
        assert await numbered(db) == list(enumerate(old_order, start=1)), attempt
        newcomer = make_user(T0 - timedelta(days=1))  # an older created_at: listed last anyway
        async with db.transaction() as conn:
            await SqlUsers(conn).add(newcomer)
            live = [u for u in existing if u.deleted_at is None]
            for role in (None, *roles):
                page = await SqlUsers(conn).search(UserFilter(role=role), limit=100, offset=1)
                matching = [u.id for u in (*live, newcomer) if role in (None, u.role)]
                ordered = [i for i in (*old_order, newcomer.id) if i in matching]
                assert page.total == len(matching), (attempt, role)
                assert [u.id for u in page.items] == ordered[1:], (attempt, role)
            await conn.rollback()
        steps = LISTING_MIGRATIONS + len(later_migrations())
        assert len(await runner.rollback(steps=steps)) == steps
        async with db.connect() as conn:
            columns = await conn.run_sync(lambda c: inspect(c).get_columns("users"))
        assert "list_seq" not in {column["name"] for column in columns}
        assert len(await runner.migrate()) == steps
