"""`Prepared` (statements run on asyncpg directly on PostgreSQL) on every database: the rows
are the ones SQLAlchemy's own execution gives (inside a transaction, where `Prepared` leaves
the statement to SQLAlchemy) — same values, same Python types — for each shape of the user
listing; and the query metrics count these statements as they count every other."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from boundary.user.core.model import User, UserFilter
from boundary.user.shell.persistence import listing
from boundary.user.shell.persistence.users import user_from_row
from tests.fakes.observability import RecordingMetrics
from tests.support.user_api import UserApi, user_api

pytestmark = pytest.mark.anyio


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[UserApi]:
    metrics = RecordingMetrics()
    async with user_api(database_url, overrides={"metrics": metrics}) as built:
        yield built


async def _seed(api: UserApi) -> list[User]:
    made = []
    for number in range(7):
        role = ("user", "viewer", "admin")[number % 3]
        user = await api.make_user(
            role,
            name=f"Person {number}",
            active=number != 4,
            last_login=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC) + timedelta(days=number),
            deleted_at=datetime.now(UTC) if number == 6 else None,
        )
        made.append(user)
    return made


SHAPES = [
    (UserFilter(), 0),
    (UserFilter(), 2),
    (UserFilter(role="user"), 0),
    (UserFilter(role="viewer", active=True), 1),
    (UserFilter(active=False), 0),
    (UserFilter(q="person"), 1),
    (UserFilter(), 1_000),
]


async def test_listing_pages_are_the_same_either_way(api: UserApi) -> None:
    made = await _seed(api)
    database = api.system.database
    for where, offset in SHAPES:
        async with database.read() as read:
            direct = await listing.search(read, where, user_from_row, limit=3, offset=offset)
        async with database.transaction() as inside:
            through = await listing.search(inside, where, user_from_row, limit=3, offset=offset)
        assert direct == through, (where, offset)
        for user in direct.items:
            assert type(user.id) is uuid.UUID
            assert user.created_at.tzinfo is UTC
    shapes = [
        listing._statements(w.role is not None, w.active is not None, bool(w.q)) for w, _ in SHAPES
    ]
    on_driver = {
        any(p.compiled for p in (s.first_page, s.text_page, s.bucket_of, s.deep_page))
        for s in shapes
    }
    if database.dialect == "postgresql":  # (the statements are shared by every database)
        assert on_driver == {True}
    async with database.read() as read:
        everyone = await listing.search(read, UserFilter(), user_from_row, limit=100, offset=0)
    assert {user.id for user in made[:6]} <= {user.id for user in everyone.items}
    assert made[6].id not in {user.id for user in everyone.items}


async def test_direct_statements_are_counted_like_any_query(api: UserApi) -> None:
    await _seed(api)
    metrics: RecordingMetrics = api.system.metrics  # type: ignore[assignment]
    before = metrics.counted("database.query.count", operation="select")
    async with api.system.database.read() as read:
        await listing.search(read, UserFilter(), user_from_row, limit=3, offset=0)
    assert metrics.counted("database.query.count", operation="select") == before + 1
