"""Account safeguards through the HTTP API, on SQLite, PostgreSQL and MySQL/MariaDB: a TOTP code
is accepted once, the last active admin stays, an admin can reset a user's MFA, wrong MFA codes
are limited per user, and enabling MFA ends the user's other sessions."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pyotp
import pytest

from boundary.user.core.audit import RequestContext
from boundary.user.core.errors import Conflict
from boundary.user.core.model import AuditEvent, AuditFilter, User
from tests.conftest import FreshDatabase
from tests.support.databases import REDIS_URL
from tests.support.user_api import UserApi, user_api

pytestmark = pytest.mark.anyio


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[UserApi]:
    async with user_api(database_url) as api:
        yield api


async def audit_events(api: UserApi, event_type: str) -> list[AuditEvent]:
    async with api.module.deps.readers() as read:
        page = await read.audit.search(AuditFilter(event_type=event_type), limit=100, offset=0)
    return list(page.items)


def _next_code(totp: pyotp.TOTP) -> str:
    """The next time step's code: inside the ±1-step window and newer than any used so far."""
    return str(totp.at(datetime.now(UTC) + timedelta(seconds=30)))


async def _with_mfa(api: UserApi, user: User) -> tuple[dict[str, str], pyotp.TOTP]:
    """`user` with MFA enabled through the API: their headers and authenticator."""
    headers = await api.token_for(user)
    setup = await api.client.post("/api/v1/auth/mfa/setup", headers=headers)
    totp = pyotp.TOTP(setup.json()["secret"])
    enabled = await api.client.post(
        "/api/v1/auth/mfa/enable", headers=headers, json={"code": totp.now()}
    )
    assert enabled.status_code == 200
    return headers, totp


# --- TOTP codes are accepted once --------------------------------------------------------------


async def test_the_code_that_enabled_mfa_cannot_log_in(api: UserApi) -> None:
    user = await api.make_user()
    _, totp = await _with_mfa(api, user)

    replayed = await api.login(user.email, mfa_code=totp.now())
    fresh = _next_code(totp)
    first = await api.login(user.email, mfa_code=fresh)
    second = await api.login(user.email, mfa_code=fresh)

    assert replayed.status_code == 401
    assert replayed.json()["type"].endswith("mfa-required")
    assert first.status_code == 200
    assert second.status_code == 401
    assert second.json()["type"].endswith("mfa-required")
    reasons = [e.details["reason"] for e in await audit_events(api, "login_failed")]
    assert reasons == ["bad_mfa_code", "bad_mfa_code"]


async def test_a_code_used_to_log_in_cannot_disable_mfa(api: UserApi) -> None:
    user = await api.make_user()
    headers, totp = await _with_mfa(api, user)
    fresh = _next_code(totp)
    assert (await api.login(user.email, mfa_code=fresh)).status_code == 200

    disable = await api.client.post(
        "/api/v1/auth/mfa/disable", headers=headers, json={"code": fresh}
    )

    assert disable.status_code == 422
    assert [e["field"] for e in disable.json()["errors"]] == ["code"]
    status = await api.client.get("/api/v1/auth/mfa/status", headers=headers)
    assert status.json()["enabled"] is True


# --- the last active admin ---------------------------------------------------------------------


async def test_the_last_admin_cannot_demote_or_deactivate_themself(api: UserApi) -> None:
    admin = await api.make_user("admin")
    await api.make_user("admin", active=False)  # an inactive admin does not count
    headers = await api.token_for(admin)

    answers = [
        await api.client.patch(f"/api/v1/users/{admin.id}", headers=headers, json=body)
        for body in ({"role": "user"}, {"role": "viewer"}, {"active": False})
    ]

    assert [a.status_code for a in answers] == [409, 409, 409]
    assert all(a.headers["content-type"] == "application/problem+json" for a in answers)
    assert "no active admin" in answers[0].json()["detail"]
    me = await api.client.get("/api/v1/auth/me", headers=headers)
    assert me.json()["role"] == "admin"
    assert await audit_events(api, "user_updated") == []


async def test_with_a_second_admin_the_first_may_step_down(api: UserApi) -> None:
    first, second = await api.make_user("admin"), await api.make_user("admin")
    headers = await api.token_for(first)

    stepped_down = await api.client.patch(
        f"/api/v1/users/{first.id}", headers=headers, json={"role": "user"}
    )
    second_headers = await api.token_for(second)
    last = await api.client.patch(
        f"/api/v1/users/{second.id}", headers=second_headers, json={"active": False}
    )

    assert stepped_down.status_code == 200
    assert last.status_code == 409


async def test_the_last_admin_cannot_be_deleted(api: UserApi) -> None:
    """Through the API only by themself (refused as self-deletion); by the operator CLI's
    service call (no actor) the last-admin rule refuses it."""
    admin = await api.make_user("admin")
    headers = await api.token_for(admin)

    own = await api.client.delete(f"/api/v1/users/{admin.id}", headers=headers)
    with pytest.raises(Conflict) as refused:
        await api.module.users.delete(None, admin.id, RequestContext())

    assert own.status_code == 409
    assert "no active admin" in str(refused.value.detail)
    assert (await api.client.get("/api/v1/auth/me", headers=headers)).status_code == 200


async def test_an_admin_deleting_the_other_admin_keeps_one(api: UserApi) -> None:
    first, second = await api.make_user("admin"), await api.make_user("admin")
    headers = await api.token_for(first)

    deleted = await api.client.delete(f"/api/v1/users/{second.id}", headers=headers)

    assert deleted.status_code == 204
    assert len(await audit_events(api, "user_deleted")) == 1


@pytest.fixture
def pg_url(fresh_database: FreshDatabase) -> str:
    return fresh_database("postgresql")


@pytest.fixture
async def pg_api(pg_url: str) -> AsyncIterator[UserApi]:
    async with user_api(pg_url, DATABASE_POOL_SIZE="4") as api:
        yield api


@pytest.mark.parametrize("attempt", range(3))
@pytest.mark.db
async def test_two_concurrent_demotions_of_the_last_two_admins(
    pg_api: UserApi, attempt: int
) -> None:
    """Both admins step down at the same moment: the admins' rows are locked inside each
    transaction, so exactly one demotion passes and the other is a 409."""
    api = pg_api
    first, second = await api.make_user("admin"), await api.make_user("admin")
    first_headers, second_headers = await api.token_for(first), await api.token_for(second)

    answers = await asyncio.gather(
        api.client.patch(f"/api/v1/users/{first.id}", headers=first_headers, json={"role": "user"}),
        api.client.patch(
            f"/api/v1/users/{second.id}", headers=second_headers, json={"role": "user"}
        ),
    )

    assert sorted(a.status_code for a in answers) == [200, 409]
    async with api.module.deps.readers() as read:
        admins = await read.users.active_admin_ids()
    assert len(admins) == 1


# --- an admin resets a user's MFA --------------------------------------------------------------


async def test_an_admin_resets_a_users_mfa_and_it_is_audited(api: UserApi) -> None:
    user, admin = await api.make_user(), await api.make_user("admin")
    user_headers, _ = await _with_mfa(api, user)
    admin_headers = await api.token_for(admin)

    reset = await api.client.delete(f"/api/v1/users/{user.id}/mfa", headers=admin_headers)

    assert reset.status_code == 204
    status = await api.client.get("/api/v1/auth/mfa/status", headers=user_headers)
    assert status.json() == {"enabled": False, "backup_codes_remaining": 0}
    assert (await api.login(user.email)).status_code == 200  # no code asked for any more
    async with api.module.deps.readers() as read:
        assert await read.backup_codes.unused(user.id) == {}
    [event] = [e for e in await audit_events(api, "mfa_disabled") if e.action == "reset_mfa"]
    assert (event.actor, event.actor_role, event.email) == (str(admin.id), "admin", user.email)
    assert event.details == {"method": "admin_reset"}
    again = await api.client.delete(f"/api/v1/users/{user.id}/mfa", headers=admin_headers)
    assert again.status_code == 204  # nothing left to reset: nothing written
    assert len(await audit_events(api, "mfa_disabled")) == 1


async def test_only_an_admin_may_reset_mfa(api: UserApi) -> None:
    user, viewer = await api.make_user(), await api.make_user("viewer")
    user_headers, _ = await _with_mfa(api, user)
    admin_headers = await api.token_for(await api.make_user("admin"))

    by_viewer = await api.client.delete(
        f"/api/v1/users/{user.id}/mfa", headers=await api.token_for(viewer)
    )
    by_self = await api.client.delete(f"/api/v1/users/{user.id}/mfa", headers=user_headers)
    unknown = await api.client.delete(f"/api/v1/users/{uuid.uuid4()}/mfa", headers=admin_headers)
    anonymous = await api.client.delete(f"/api/v1/users/{user.id}/mfa")

    assert [by_viewer.status_code, by_self.status_code] == [403, 403]
    assert unknown.status_code == 404
    assert anonymous.status_code == 401
    status = await api.client.get("/api/v1/auth/mfa/status", headers=user_headers)
    assert status.json()["enabled"] is True


# --- wrong MFA codes are limited per user ------------------------------------------------------


def _wrong(totp: pyotp.TOTP) -> str:
    now = datetime.now(UTC)
    valid = {totp.at(now + timedelta(seconds=30 * step)) for step in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


async def test_five_wrong_codes_block_enable_and_disable_with_429(api: UserApi) -> None:
    user = await api.make_user()
    headers = await api.token_for(user)
    setup = await api.client.post("/api/v1/auth/mfa/setup", headers=headers)
    totp = pyotp.TOTP(setup.json()["secret"])

    wrong = [
        await api.client.post(
            "/api/v1/auth/mfa/enable", headers=headers, json={"code": _wrong(totp)}
        )
        for _ in range(5)
    ]
    right = await api.client.post(
        "/api/v1/auth/mfa/enable", headers=headers, json={"code": totp.now()}
    )
    disable = await api.client.post(
        "/api/v1/auth/mfa/disable", headers=headers, json={"code": totp.now()}
    )

    assert [w.status_code for w in wrong] == [422] * 5
    assert right.status_code == disable.status_code == 429
    assert right.headers["content-type"] == "application/problem+json"
    assert 1 <= int(right.headers["retry-after"]) <= 900
    assert right.headers["ratelimit-policy"] == "5;w=900"
    failed = await audit_events(api, "mfa_failed")
    assert sorted(e.result for e in failed) == ["denied"] * 2 + ["failure"] * 5
    other_headers = await api.token_for(await api.make_user())  # another user is not blocked
    other = await api.client.post("/api/v1/auth/mfa/setup", headers=other_headers)
    other_totp = pyotp.TOTP(other.json()["secret"])
    enabled = await api.client.post(
        "/api/v1/auth/mfa/enable", headers=other_headers, json={"code": other_totp.now()}
    )
    assert enabled.status_code == 200


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    from tests.integration.test_ratelimit import _delete_prefix, _redis_available

    _redis_available()
    prefix = f"boundary-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    _delete_prefix(prefix)


@pytest.mark.db
async def test_the_mfa_limit_holds_across_replicas_sharing_redis(
    pg_url: str, redis_prefix: str
) -> None:
    """Two processes' systems on one database and one Redis: wrong codes sent to either count
    together."""
    url = pg_url
    env = {"RATE_LIMIT_STORAGE_URL": REDIS_URL, "BOUNDARY_RATE_LIMIT__KEY_PREFIX": redis_prefix}
    async with user_api(url, **env) as one, user_api(url, **env) as two:
        user = await one.make_user()
        headers = await one.token_for(user)
        setup = await one.client.post("/api/v1/auth/mfa/setup", headers=headers)
        totp = pyotp.TOTP(setup.json()["secret"])

        async def enable(api: UserApi, code: str) -> httpx.Response:
            return await api.client.post(
                "/api/v1/auth/mfa/enable", headers=headers, json={"code": code}
            )

        answers = [(await enable(api, _wrong(totp))).status_code for api in (one, two) * 2]
        answers.append((await enable(one, _wrong(totp))).status_code)
        blocked = await enable(two, totp.now())

    assert answers == [422] * 5
    assert blocked.status_code == 429


# --- enabling MFA ends the other sessions ------------------------------------------------------


async def test_enabling_mfa_revokes_the_users_other_sessions(api: UserApi) -> None:
    user = await api.make_user()
    other = await api.login(user.email)
    other_headers = {"Authorization": f"Bearer {other.json()['access_token']}"}
    headers, _ = await _with_mfa(api, user)

    assert (await api.client.get("/api/v1/auth/me", headers=headers)).status_code == 200
    assert (await api.client.get("/api/v1/auth/me", headers=other_headers)).status_code == 401
    refreshed = await api.client.post(
        "/api/v1/auth/refresh", json={"session_token": other.json()["session_token"]}
    )
    assert refreshed.status_code == 401
    [enabled] = await audit_events(api, "mfa_enabled")
    assert enabled.details == {"sessions_revoked": 1}
