"""The cache of q-search totals on a real PostgreSQL: the same pages and totals as counting
every time, exact after changes made by another connection (another replica, manual SQL),
and off — counting per request — while the change channel is down."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest

from boundary.db.shell.change_feed import CHANNEL, asyncpg_dsn
from boundary.user.core.model import UserFilter
from boundary.user.shell.persistence import listing, sql_unit_of_work_factory
from boundary.user.shell.persistence.users import user_from_row
from boundary.user.shell.search_totals import CHANGED, SearchTotals
from tests.conftest import FreshDatabase
from tests.integration.test_auth_cache_pg import eventually
from tests.support.user_api import PASSWORD, UserApi, user_api

pytestmark = [pytest.mark.anyio, pytest.mark.db]


@pytest.fixture
def pg_url(fresh_database: FreshDatabase) -> str:
    return fresh_database("postgresql")


@pytest.fixture
async def api(pg_url: str) -> AsyncIterator[UserApi]:
    """A system whose change feed (and so its totals cache) is live."""
    async with user_api(pg_url) as api:
        await eventually(lambda: _totals(api).enabled)
        yield api


def _totals(api: UserApi) -> SearchTotals:
    totals = api.module.search_totals
    assert isinstance(totals, SearchTotals)
    return totals


@pytest.fixture
async def sql(pg_url: str) -> AsyncIterator[asyncpg.Connection]:
    """Another connection, writing with plain SQL: another replica, or an operator in psql."""
    conn = await asyncpg.connect(asyncpg_dsn(pg_url))
    yield conn
    await conn.close()


INSERT = (
    "INSERT INTO users (id, email, name, password_hash, role, created_at, updated_at) "
    "VALUES ($1, $2, 'Someone', 'x', 'user', now(), now())"
)


async def test_cached_pages_and_totals_equal_counted_ones(
    api: UserApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every page of every filter, counted each time and from the cache (filled, hit, then
    hit with the page's members known), alike — through the walk in list_seq order, the walk
    that finds too few (matches bunched late in the listing) and falls back, and the matches'
    own order."""
    monkeypatch.setattr(listing, "WALK_MARGIN", 0)  # walks stop early: the fallback is used
    tag = uuid.uuid4().hex[:8]
    for n in range(40):
        await api.make_user(
            "viewer" if n % 3 == 0 else "user",
            email=f"u{n}-{tag if n % 2 == 0 else 'other'}@example.com",
            name=f"late{tag}" if n >= 25 else "Someone",
            active=n % 5 != 0,
            deleted_at=datetime.now(UTC) if n == 10 else None,
        )
    totals = SearchTotals(ttl=60, max_entries=100)
    totals.set_enabled(True)
    filters = [
        UserFilter(q=q, role=role, active=active)
        for q in (tag, f"LATE{tag}", f"u3-{tag[:4]}", f"none{tag}")
        for role in (None, "viewer")
        for active in (None, False)
    ]
    windows = [(5, 0), (5, 5), (3, 12), (20, 0), (0, 0), (0, 7), (5, 100)]
    seen = set()
    async with api.system.database.read() as conn:
        for where, (limit, offset) in itertools.product(filters, windows):
            counted = await listing.search(conn, where, user_from_row, limit=limit, offset=offset)
            filled, hit, known_page = [
                await listing.search(
                    conn, where, user_from_row, limit=limit, offset=offset, totals=totals
                )
                for _ in range(3)
            ]
            assert filled == hit == known_page == counted, (where, limit, offset)
            seen.add(counted.total)
    assert {0, 1, 10} <= seen  # no match, a rare one, a broad one


async def test_a_known_page_reads_its_users_fresh(api: UserApi, sql: asyncpg.Connection) -> None:
    """Which users a walked page holds is kept; their rows are read again each time, so a
    change no search can see (a login's counter) shows at once."""
    tag = uuid.uuid4().hex[:8]
    users = [await api.make_user(email=f"{tag}-{n}@example.com") for n in range(3)]
    totals = SearchTotals(ttl=60, max_entries=100)
    totals.set_enabled(True)
    where = UserFilter(q=tag)

    async def first() -> Any:
        async with api.system.database.read() as conn:
            page = await listing.search(
                conn, where, user_from_row, limit=1, offset=0, totals=totals
            )
        return page.items[0]

    assert (await first()).id == users[0].id  # counted
    assert (await first()).id == users[0].id  # walked: its members kept
    assert totals.page(((tag, None, None), 1, 0)) == (await _list_seq(sql, users[0].id),)
    await sql.execute("UPDATE users SET login_count = 7 WHERE id = $1", users[0].id)

    assert (await first()).login_count == 7
    assert totals.page(((tag, None, None), 1, 0)) is not None


async def _list_seq(sql: asyncpg.Connection, user_id: uuid.UUID) -> int:
    return int(await sql.fetchval("SELECT list_seq FROM users WHERE id = $1", user_id))


async def test_totals_follow_changes_made_here_and_by_another_connection(
    api: UserApi, sql: asyncpg.Connection
) -> None:
    admin = await api.make_user("admin")
    headers = await api.token_for(admin)
    tag = uuid.uuid4().hex[:8]
    users = [await api.make_user(email=f"{tag}-{n}@example.com") for n in range(3)]

    async def total(**params: Any) -> int:
        response: httpx.Response = await api.client.get(
            "/api/v1/users", params={"q": tag, **params}, headers=headers
        )
        assert response.status_code == 200, response.text
        return int(response.json()["total"])

    async def total_becomes(expected: int, **params: Any) -> None:
        async def holds() -> bool:
            return await total(**params) == expected

        await eventually(holds)

    assert await total() == 3
    assert _totals(api).get((tag, None, None)) is not None  # kept
    body = {"email": f"{tag}-api@example.com", "name": "Ada", "password": PASSWORD, "role": "user"}
    created = await api.client.post("/api/v1/users", headers=headers, json=body)
    assert created.status_code == 201, created.text
    assert await total() == 4  # this replica's own change: at once

    await sql.execute(INSERT, uuid.uuid4(), f"{tag}-sql@example.com")
    await total_becomes(5)
    await sql.execute("UPDATE users SET email = 'gone@example.com' WHERE id = $1", users[0].id)
    await total_becomes(4)
    await sql.execute("UPDATE users SET deleted_at = now() WHERE id = $1", users[1].id)
    await total_becomes(3)
    assert await total(active="true") == 3
    await sql.execute("UPDATE users SET active = false WHERE id = $1", users[2].id)
    await total_becomes(2, active="true")
    await sql.execute("DELETE FROM users WHERE id = $1", users[2].id)
    await total_becomes(2)


async def test_only_changes_a_search_can_see_notify(
    api: UserApi, sql: asyncpg.Connection, pg_url: str
) -> None:
    """A login's counters or an MFA step leave the cache alone; an insert, a delete, and a
    change of email, name, role, active, list_seq or deleted_at each send `users-listed`."""
    user = await api.make_user()
    heard: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(asyncpg_dsn(pg_url))
    await listener.add_listener(CHANNEL, lambda *args: heard.put_nowait(args[-1]))

    async def notified_by(statement: str, *args: object) -> bool:
        """Whether `statement` sent `users-listed` (notifications come in commit order, so
        the marker sent after it ends what it sent)."""
        await sql.execute(statement, *args)
        marker = f"marker-{uuid.uuid4().hex}"
        await sql.execute("SELECT pg_notify($1, $2)", CHANNEL, marker)
        payloads = []
        while (payload := await asyncio.wait_for(heard.get(), 5)) != marker:
            payloads.append(payload)
        return CHANGED in payloads

    try:
        unseen = [
            "UPDATE users SET login_count = login_count + 1, last_login = now() WHERE id = $1",
            "UPDATE users SET failed_login_count = 3, lockout_until = now() WHERE id = $1",
            "UPDATE users SET mfa_last_step = 42, password_hash = 'y' WHERE id = $1",
            "UPDATE users SET name = name, email = email, updated_at = now() WHERE id = $1",
        ]
        for statement in unseen:
            assert not await notified_by(statement, user.id), statement
        seen = [
            "UPDATE users SET name = 'Other' WHERE id = $1",
            "UPDATE users SET email = 'other-' || email WHERE id = $1",
            "UPDATE users SET role = 'viewer' WHERE id = $1",
            "UPDATE users SET active = false WHERE id = $1",
            "UPDATE users SET list_seq = list_seq + 1000000 WHERE id = $1",
            "UPDATE users SET deleted_at = now() WHERE id = $1",
            "DELETE FROM users WHERE id = $1",
        ]
        for statement in seen:
            assert await notified_by(statement, user.id), statement
        assert await notified_by(INSERT, uuid.uuid4(), f"{uuid.uuid4().hex}@example.com")
    finally:
        await listener.close()


async def test_with_the_channel_down_totals_are_counted_per_request(
    api: UserApi, sql: asyncpg.Connection
) -> None:
    headers = await api.token_for(await api.make_user("admin"))
    tag = uuid.uuid4().hex[:8]
    await api.make_user(email=f"{tag}@example.com")

    async def total() -> int:
        response = await api.client.get("/api/v1/users", params={"q": tag}, headers=headers)
        return int(response.json()["total"])

    assert await total() == 1
    await sql.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE application_name = 'boundary-listener' AND datname = current_database()"
    )
    await eventually(lambda: not _totals(api).enabled)
    await sql.execute(INSERT, uuid.uuid4(), f"{tag}-down@example.com")

    assert await total() == 2  # counted: nothing cached while the channel is down
    assert _totals(api).get((tag, None, None)) is None
    await eventually(lambda: _totals(api).enabled)  # the feed reconnects by itself
    assert await total() == 2


async def test_a_committed_unit_tells_when_it_changed_what_a_search_sees(api: UserApi) -> None:
    """Added users, and saves that change email, name, role, active or deleted_at — after
    commit only; a save of anything else (a login's counters) is not such a change."""
    told: list[str] = []
    units = sql_unit_of_work_factory(
        api.system.database, on_listing_commit=lambda: told.append("listing")
    )
    user = await api.make_user()

    async with units() as unit:
        found = await unit.users.get(user.id)
        assert found is not None
        await unit.users.save(dataclasses.replace(found, login_count=found.login_count + 1))
        await unit.commit()
    assert told == []
    async with units() as unit:
        found = await unit.users.get(user.id)
        assert found is not None
        await unit.users.save(dataclasses.replace(found, name="Renamed"))
    assert told == []  # not committed
    async with units() as unit:
        found = await unit.users.get(user.id)
        assert found is not None
        await unit.users.save(dataclasses.replace(found, active=False))
        await unit.commit()
    assert told == ["listing"]
    async with units() as unit:
        await unit.users.add(dataclasses.replace(user, id=uuid.uuid4(), email="new@example.com"))
        await unit.commit()
    assert told == ["listing", "listing"]
