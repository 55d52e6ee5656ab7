"""The operations guide's two SQL queries (CONTRACT §4), verbatim, over rows the real API wrote.

`test_guide_queries.py` feeds the queries hand-built audit rows; here the rows come from HTTP
requests (failed logins, an admin creating, patching and deleting a user) on PostgreSQL, so
the columns the guide relies on are proven to be filled the way the guide reads them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from tests.conftest import FreshDatabase
from tests.support.user_api import PASSWORD, UserApi, user_api

pytestmark = [pytest.mark.anyio, pytest.mark.db]

FAILED_LOGINS = """SELECT email, COUNT(*) AS attempts, MAX(created_at) AS last_attempt FROM audit_events
 WHERE event_type = 'login_failed' AND created_at > NOW() - INTERVAL '1 hour'
 GROUP BY email HAVING COUNT(*) > 10;"""  # noqa: E501

ADMIN_ACTIONS = """SELECT actor, resource, action, result, created_at FROM audit_events
 WHERE actor_role = 'admin' AND created_at > NOW() - INTERVAL '24 hours' ORDER BY created_at DESC;"""  # noqa: E501

VICTIM = "victim@example.com"
WRONG_PASSWORD = "definitely not the password"


@pytest.fixture
def postgres_url(fresh_database: FreshDatabase) -> str:
    """A fresh PostgreSQL database (made outside the event loop: the helper runs its own)."""
    return fresh_database("postgresql")


@pytest.fixture
async def api(postgres_url: str) -> AsyncIterator[UserApi]:
    """No per-IP login limit and a lockout far away, so every failed login is a plain one."""
    async with user_api(
        postgres_url,
        BOUNDARY_RATE_LIMIT__ENABLED="false",
        BOUNDARY_SECURITY__LOCKOUT_THRESHOLD="100",
    ) as built:
        yield built


async def query(api: UserApi, sql: str) -> list[tuple[object, ...]]:
    async with api.system.database.connect() as conn:
        return [tuple(row) for row in (await conn.execute(text(sql))).all()]


async def test_failed_login_query_lists_the_email_with_more_than_ten_failures(
    api: UserApi,
) -> None:
    await api.make_user(email=VICTIM)
    started = datetime.now(UTC)
    spellings = [VICTIM, VICTIM.upper(), f"  {VICTIM} "]
    for attempt in range(11):
        response = await api.login(spellings[attempt % 3], WRONG_PASSWORD)
        assert response.status_code == 401
    for attempt in range(2):
        unknown = "Ghost@Example.com" if attempt else "ghost@example.com"
        assert (await api.login(unknown, WRONG_PASSWORD)).status_code == 401
    assert (await api.login(VICTIM, PASSWORD)).status_code == 200  # a success does not count

    [(email, attempts, last_attempt)] = await query(api, FAILED_LOGINS)

    # Lockout is at 100 failures, so no `account_locked` rows: exactly one row per attempt.
    assert (email, attempts) == (VICTIM, 11)
    assert isinstance(last_attempt, datetime)
    assert started - timedelta(seconds=1) <= last_attempt <= datetime.now(UTC)
    counted = await query(
        api,
        "SELECT email, COUNT(*) FROM audit_events WHERE event_type = 'login_failed'"
        " GROUP BY email ORDER BY email",
    )
    assert counted == [("ghost@example.com", 2), (VICTIM, 11)]


async def test_admin_actions_query_lists_what_the_admin_did_newest_first(api: UserApi) -> None:
    admin = await api.make_user("admin", email="root@example.com")
    # A failed login naming the admin's account is not an admin action.
    assert (await api.login(admin.email, WRONG_PASSWORD)).status_code == 401
    login = await api.login(admin.email)
    assert login.status_code == 200
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    new_user = {"email": "made@example.com", "name": "Made", "password": PASSWORD, "role": "user"}

    created = await api.client.post("/api/v1/users", json=new_user, headers=headers)
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    # What the made user does is not an admin action either.
    own = await api.login(new_user["email"])
    assert own.status_code == 200
    patched = await api.client.patch(
        f"/api/v1/users/{user_id}", json={"name": "Renamed"}, headers=headers
    )
    assert patched.status_code == 200, patched.text
    deleted = await api.client.delete(f"/api/v1/users/{user_id}", headers=headers)
    assert deleted.status_code == 204, deleted.text

    rows = await query(api, ADMIN_ACTIONS)

    actor = str(admin.id)
    assert [row[:4] for row in rows] == [
        (actor, f"user:{user_id}", "delete", "success"),
        (actor, f"user:{user_id}", "update", "success"),
        (actor, f"user:{user_id}", "create", "success"),
        # The admin's own successful login is recorded with the admin role, so it is listed.
        (actor, f"user:{admin.id}", "login", "success"),
    ]
    times = [row[4] for row in rows]
    assert all(isinstance(t, datetime) for t in times)
    assert times == sorted(times, reverse=True)  # type: ignore[type-var]
    assert len(set(times)) == len(times)
