"""Session token rotation under concurrency on a real PostgreSQL: two refreshes with the same
token, both past their read and waiting on the row, resolve to exactly one rotation — and the
other is handled as a reuse, so the session ends; a reuse detected on one replica ends the
session on another too."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from boundary.db.shell.change_feed import asyncpg_dsn
from boundary.user.core.model import AuditFilter
from tests.conftest import FreshDatabase
from tests.support.user_api import UserApi, user_api

pytestmark = [pytest.mark.anyio, pytest.mark.db]

WAIT = 10.0
"""An upper bound for a broken build to fail instead of hanging; nothing waits this long."""


@pytest.fixture
def pg_url(fresh_database: FreshDatabase) -> str:
    return fresh_database("postgresql")


@pytest.fixture
async def api(pg_url: str) -> AsyncIterator[UserApi]:
    async with user_api(pg_url, BOUNDARY_RATE_LIMIT__ENABLED="false") as built:
        yield built


async def refresh(api: UserApi, session_token: str) -> httpx.Response:
    return await api.client.post("/api/v1/auth/refresh", json={"session_token": session_token})


async def until(condition: object, what: str) -> None:
    """Poll an async condition (bounded) until it holds."""
    deadline = asyncio.get_running_loop().time() + WAIT
    while not await condition():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.01)


async def test_two_refreshes_with_one_token_rotate_once_and_end_the_session(
    api: UserApi, pg_url: str
) -> None:
    """A transaction of our own holds the session row, so both refreshes read the same token
    and then queue on the row's lock; released, one rotates (200) and the other finds the
    token already replaced: 401, the session revoked, one `session_token_reused` row — so the
    winner's new tokens fail as well."""
    await api.make_user(email="race@example.com")
    login = (await api.login("race@example.com")).json()
    sid = api.module.deps.tokens.verify(login["access_token"])["sid"]
    holder = await asyncpg.connect(asyncpg_dsn(pg_url))
    watcher = await asyncpg.connect(asyncpg_dsn(pg_url))
    try:
        lock = holder.transaction()
        await lock.start()
        await holder.execute(
            "SELECT id FROM user_sessions WHERE id = $1 FOR UPDATE", uuid.UUID(str(sid))
        )

        both = asyncio.gather(
            refresh(api, login["session_token"]), refresh(api, login["session_token"])
        )

        async def both_waiting() -> bool:
            waiting = await watcher.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND query LIKE 'UPDATE user_sessions%'"
            )
            return bool(waiting == 2)

        await until(both_waiting, "both refreshes never queued on the session row")
        await lock.rollback()
        answers = await asyncio.wait_for(both, WAIT)
    finally:
        await holder.close()
        await watcher.close()

    assert sorted(answer.status_code for answer in answers) == [200, 401]
    [won] = [answer.json() for answer in answers if answer.status_code == 200]
    assert (await refresh(api, won["session_token"])).status_code == 401
    me = await api.client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {won['access_token']}"}
    )
    assert me.status_code == 401
    async with api.module.deps.readers() as read:
        page = await read.audit.search(
            AuditFilter(event_type="session_token_reused"), limit=10, offset=0
        )
    assert [event.resource for event in page.items] == [f"session:{sid}"]


async def test_a_reuse_on_one_replica_ends_the_session_on_another(pg_url: str) -> None:
    """The revocation travels like a logout's: the other replica, which had the session in
    its cache, refuses the session's access token within moments."""
    async with user_api(pg_url) as one, user_api(pg_url) as other:
        for replica in (one, other):
            await until(
                lambda replica=replica: _true(replica.module.deps.cache.enabled),
                "change feed never came up",
            )
        await one.make_user(email="replicas@example.com")
        login = (await one.login("replicas@example.com")).json()
        rotated = (await refresh(one, login["session_token"])).json()
        headers = {"Authorization": f"Bearer {rotated['access_token']}"}
        for _ in range(2):  # the second answer comes from the cache
            assert (await other.client.get("/api/v1/auth/me", headers=headers)).status_code == 200

        assert (await refresh(one, login["session_token"])).status_code == 401

        async def refused_there() -> bool:
            answer = await other.client.get("/api/v1/auth/me", headers=headers)
            return answer.status_code == 401

        await until(refused_there, "the other replica kept serving the revoked session")


async def _true(value: object) -> bool:
    return bool(value)
