"""The cache of sessions and users on a real PostgreSQL: used while the change channel is live,
never stale — changes hold at once on the replica that made them, within moments on every
other (manual SQL included), and with the channel down the cache is off."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import httpx
import pytest

from boundary.db.shell.change_feed import asyncpg_dsn
from boundary.user.core.model import Session, User
from boundary.user.shell.persistence import sql_unit_of_work_factory
from tests.conftest import FreshDatabase
from tests.fakes.observability import RecordingMetrics
from tests.support.user_api import UserApi, user_api

pytestmark = [pytest.mark.anyio, pytest.mark.db]

WAIT = 5.0
"""How long a change may take to reach another process's cache, at most, in these tests
(it takes milliseconds; the bound only keeps a broken build from hanging)."""


@pytest.fixture
def pg_url(fresh_database: FreshDatabase) -> str:
    return fresh_database("postgresql")


@pytest.fixture
async def two(pg_url: str) -> AsyncIterator[tuple[UserApi, UserApi]]:
    """Two replicas' systems on one database, each with its change feed live."""
    async with user_api(pg_url) as one, user_api(pg_url) as other:
        await eventually(lambda: _live(one) and _live(other))
        yield one, other


def _live(api: UserApi) -> bool:
    return bool(api.module.deps.cache.enabled)


async def eventually(condition: Callable[[], bool | Awaitable[bool]]) -> None:
    """Wait (bounded) until `condition` holds; fail if it never does."""
    deadline = asyncio.get_running_loop().time() + WAIT
    while True:
        outcome = condition()
        if not isinstance(outcome, bool):
            outcome = await outcome
        if outcome:
            return
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.01)


async def me(api: UserApi, headers: dict[str, str]) -> int:
    response: httpx.Response = await api.client.get("/api/v1/auth/me", headers=headers)
    return response.status_code


async def test_repeated_requests_are_served_from_the_cache(pg_url: str) -> None:
    metrics = RecordingMetrics()
    async with user_api(pg_url, overrides={"metrics": metrics}) as api:
        await eventually(lambda: _live(api))
        headers = await api.token_for(await api.make_user())
        assert await me(api, headers) == 200
        before = metrics.counted("database.query.count", operation="select")

        answers = [await me(api, headers) for _ in range(20)]

        assert answers == [200] * 20
        assert metrics.counted("database.query.count", operation="select") == before


async def test_a_logout_holds_on_the_next_request_here_and_soon_on_the_other(
    two: tuple[UserApi, UserApi],
) -> None:
    one, other = two
    user = await one.make_user()
    login = await one.login(user.email)
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert (await me(one, headers), await me(other, headers)) == (200, 200)  # both cached

    assert (await one.client.post("/api/v1/auth/logout", headers=headers)).status_code == 204

    assert await me(one, headers) == 401
    await eventually(lambda: _refused(other, headers))


async def test_deactivation_and_role_changes_reach_the_other_replica(
    two: tuple[UserApi, UserApi],
) -> None:
    one, other = two
    admin, user, viewer = (
        await one.make_user("admin"),
        await one.make_user(),
        await one.make_user("viewer"),
    )
    admin_headers = await one.token_for(admin)
    user_headers, viewer_headers = await one.token_for(user), await one.token_for(viewer)
    assert await me(other, user_headers) == await me(other, viewer_headers) == 200

    deactivated = await one.client.patch(
        f"/api/v1/users/{user.id}", headers=admin_headers, json={"active": False}
    )
    promoted = await one.client.patch(
        f"/api/v1/users/{viewer.id}", headers=admin_headers, json={"role": "admin"}
    )

    assert deactivated.status_code == promoted.status_code == 200
    await eventually(lambda: _refused(other, user_headers))
    await eventually(lambda: _refused(other, viewer_headers))  # its token says viewer


async def test_manual_sql_reaches_every_replica(two: tuple[UserApi, UserApi], pg_url: str) -> None:
    """An operator deleting a session row in psql: the triggers notify every process."""
    one, other = two
    user = await one.make_user()
    headers = await one.token_for(user)
    assert (await me(one, headers), await me(other, headers)) == (200, 200)

    conn = await asyncpg.connect(asyncpg_dsn(pg_url))
    try:
        await conn.execute("DELETE FROM user_sessions WHERE user_id = $1", user.id)
    finally:
        await conn.close()

    await eventually(lambda: _refused(one, headers))
    await eventually(lambda: _refused(other, headers))


async def test_with_the_channel_down_the_cache_is_off_and_nothing_is_stale(pg_url: str) -> None:
    async with user_api(pg_url) as api:
        await eventually(lambda: _live(api))
        user = await api.make_user()
        headers = await api.token_for(user)
        assert await me(api, headers) == 200
        conn = await asyncpg.connect(asyncpg_dsn(pg_url))
        try:
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'boundary-listener' AND datname = current_database()"
            )
            await eventually(lambda: not _live(api))
            await conn.execute(
                "UPDATE user_sessions SET revoked_at = now() WHERE user_id = $1", user.id
            )
            assert await me(api, headers) == 401  # read from the database: nothing cached
        finally:
            await conn.close()
        await eventually(lambda: _live(api))  # the feed reconnects by itself


async def _refused(api: UserApi, headers: dict[str, str]) -> bool:
    return await me(api, headers) == 401


async def test_a_committed_unit_names_the_users_it_changed(pg_url: str) -> None:
    """What the replica that made a change invalidates at once, before any notification:
    users saved or stepped, users whose sessions were saved or revoked — after commit only."""
    async with user_api(pg_url) as api:
        told: list[frozenset[object]] = []
        units = sql_unit_of_work_factory(api.system.database, on_commit=told.append)
        first, second, third = [await api.make_user() for _ in range(3)]
        session = await _session_of(api, first)

        async with units() as unit:
            await unit.sessions.save(session)
            await unit.users.save(second)
            await unit.sessions.revoke_for_user(third.id, session.created_at)
            await unit.commit()
        async with units() as unit:
            await unit.users.claim_totp_step(first.id, 7)
        async with units() as unit:
            await unit.users.claim_totp_step(second.id, 7)
            await unit.commit()

        assert told == [frozenset({first.id, second.id, third.id}), frozenset({second.id})]


async def _session_of(api: UserApi, user: User) -> Session:
    """A new session of `user` (made through `token_for`), read back."""
    await api.token_for(user)
    async with api.module.deps.readers() as read:
        page = await read.sessions.for_user(user.id, limit=1, offset=0)
    return page.items[0]


async def test_requests_that_miss_together_share_one_read(pg_url: str) -> None:
    """After the session's entry goes, twenty requests at once read its row once; a request
    that begins after a later change (a logout) never takes a read from before it."""
    metrics = RecordingMetrics()
    async with user_api(pg_url, overrides={"metrics": metrics}) as api:
        await eventually(lambda: _live(api))
        user = await api.make_user()
        headers = await api.token_for(user)
        assert await me(api, headers) == 200
        api.module.deps.cache.invalidate_users([user.id])
        before = metrics.counted("database.query.count", operation="select")

        answers = await asyncio.gather(*(me(api, headers) for _ in range(20)))

        assert answers == [200] * 20
        assert metrics.counted("database.query.count", operation="select") == before + 1

        assert (await api.client.post("/api/v1/auth/logout", headers=headers)).status_code == 204
        assert await asyncio.gather(*(me(api, headers) for _ in range(5))) == [401] * 5
