"""`/api/v1/auth/*` through the app factory on SQLite, PostgreSQL and MySQL/MariaDB."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pyotp
import pytest
from sqlalchemy import text

from boundary.user.core.model import AuditEvent, AuditFilter
from boundary.user.core.sessions import hash_token
from tests.support.user_api import PASSWORD, UserApi, user_api

pytestmark = pytest.mark.anyio

LOCKOUT_THRESHOLD = 4
NEW_PASSWORD = "a much longer and fresher passphrase"
VOLATILE_HEADERS = frozenset({"x-correlation-id", "content-length", "date"})


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[UserApi]:
    """The system on a fresh database; the per-IP login limit is off so lockout is reachable."""
    async with user_api(
        database_url,
        BOUNDARY_RATE_LIMIT__ENABLED="false",
        BOUNDARY_SECURITY__LOCKOUT_THRESHOLD=str(LOCKOUT_THRESHOLD),
    ) as api:
        yield api


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def audit_events(api: UserApi, event_type: str) -> list[AuditEvent]:
    async with api.module.deps.readers() as read:
        page = await read.audit.search(AuditFilter(event_type=event_type), limit=100, offset=0)
    events: list[AuditEvent] = list(page.items)
    return events


async def me(api: UserApi, headers: dict[str, str]) -> httpx.Response:
    return await api.client.get("/api/v1/auth/me", headers=headers)


def failure_shape(response: httpx.Response) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Status, body and headers of a refused login, minus what differs per request."""
    body = {k: v for k, v in response.json().items() if k not in {"instance", "correlation_id"}}
    headers = {k: v for k, v in response.headers.items() if k not in VOLATILE_HEADERS}
    return response.status_code, body, headers


# --- login ------------------------------------------------------------------------------------


async def test_login_returns_tokens_and_the_user_and_the_access_token_works(
    api: UserApi,
) -> None:
    """A right password answers 200 with a Bearer token that authenticates /me."""
    user = await api.make_user(email="Alice@Example.com")

    response = await api.login("  alice@example.COM ")

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == api.module.deps.policy.access_token_ttl
    assert body["session_token"]
    assert body["access_token"]
    assert body["user"]["id"] == str(user.id)
    assert body["user"]["login_count"] == 1
    assert "password_hash" not in body["user"]
    assert "mfa_secret" not in body["user"]
    me_response = await me(api, bearer(body["access_token"]))
    assert me_response.status_code == 200
    assert me_response.json()["id"] == str(user.id)
    assert me_response.headers["cache-control"] == "no-store"
    [event] = await audit_events(api, "login_succeeded")
    assert event.actor == str(user.id)
    assert event.details["session_id"]


async def test_every_login_failure_looks_the_same(api: UserApi) -> None:
    """Unknown email, wrong password, inactive, deleted, locked: one status, body and headers."""
    now = datetime.now(UTC)
    await api.make_user(email="right@example.com")
    await api.make_user(email="inactive@example.com", active=False)
    await api.make_user(email="deleted@example.com", deleted_at=now)
    await api.make_user(email="locked@example.com", lockout_until=now + timedelta(minutes=5))

    responses = [
        await api.login("nobody@example.com"),
        await api.login("not an email"),
        await api.login("right@example.com", "wrong password here"),
        await api.login("inactive@example.com"),
        await api.login("deleted@example.com"),
        await api.login("locked@example.com"),
    ]

    shapes = [failure_shape(r) for r in responses]
    assert shapes[0][0] == 401
    assert shapes[0][1]["type"].endswith("authentication-failed")
    assert all(shape == shapes[0] for shape in shapes), shapes
    failed = await audit_events(api, "login_failed")
    assert sorted(str(e.details["reason"]) for e in failed) == sorted(
        ["unknown_email", "unknown_email", "bad_password", "inactive", "deleted", "locked"]
    )
    assert all("wrong password here" not in repr(e) for e in failed)


async def test_repeated_failures_lock_the_account_until_lockout_until(api: UserApi) -> None:
    """The threshold-th failure locks the account; the right password is refused meanwhile."""
    user = await api.make_user(email="target@example.com")

    for _ in range(LOCKOUT_THRESHOLD):
        assert (await api.login("target@example.com", "wrong password!")).status_code == 401
    refused = await api.login("target@example.com")

    assert refused.status_code == 401
    [locked] = await audit_events(api, "account_locked")
    assert locked.resource == f"user:{user.id}"
    async with api.module.deps.readers() as read:
        stored = await read.users.get(user.id)
    assert stored is not None
    assert stored.lockout_until is not None
    assert stored.lockout_until > datetime.now(UTC)
    reasons = [e.details["reason"] for e in await audit_events(api, "login_failed")]
    assert reasons[0] == "locked"  # newest first: the attempt with the right password

    expired = dataclasses.replace(stored, lockout_until=datetime.now(UTC) - timedelta(seconds=1))
    async with api.module.units() as unit:  # let the lock run out
        await unit.users.save(expired)
        await unit.commit()
    assert (await api.login("target@example.com")).status_code == 200


# --- sessions ---------------------------------------------------------------------------------


async def test_refresh_gives_a_working_access_token_and_the_session_token_is_no_bearer(
    api: UserApi,
) -> None:
    await api.make_user(email="refresh@example.com")
    login = (await api.login("refresh@example.com")).json()

    refreshed = await api.client.post(
        "/api/v1/auth/refresh", json={"session_token": login["session_token"]}
    )

    assert refreshed.status_code == 200
    assert refreshed.headers["cache-control"] == "no-store"
    body = refreshed.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == api.module.deps.policy.access_token_ttl
    assert body["session_token"] not in {"", login["session_token"]}
    assert (await me(api, bearer(body["access_token"]))).status_code == 200
    assert (await me(api, bearer(login["session_token"]))).status_code == 401
    assert (await me(api, bearer(body["session_token"]))).status_code == 401
    bad = await api.client.post("/api/v1/auth/refresh", json={"session_token": "nope"})
    assert bad.status_code == 401
    assert await audit_events(api, "session_token_reused") == []


async def refresh(api: UserApi, session_token: str) -> httpx.Response:
    return await api.client.post("/api/v1/auth/refresh", json={"session_token": session_token})


async def test_refresh_rotates_the_session_token_while_the_session_lives(api: UserApi) -> None:
    """Each refresh answers a new session token for the same session; only the newest works,
    and the session row keeps only hashes."""
    await api.make_user(email="rotate@example.com")
    login = (await api.login("rotate@example.com")).json()
    sid = api.module.deps.tokens.verify(login["access_token"])["sid"]

    tokens = [login["session_token"]]
    for _ in range(3):
        answer = await refresh(api, tokens[-1])
        assert answer.status_code == 200, answer.text
        assert api.module.deps.tokens.verify(answer.json()["access_token"])["sid"] == sid
        tokens.append(answer.json()["session_token"])

    assert len(set(tokens)) == 4
    async with api.module.deps.readers() as read:
        session = await read.sessions.get(uuid.UUID(str(sid)))
    assert session is not None
    assert session.revoked_at is None
    assert session.token_hash == hash_token(tokens[-1])
    assert session.previous_token_hash == hash_token(tokens[-2])
    assert all(token not in repr(session) for token in tokens)
    listed = await api.client.get(
        f"/api/v1/users/{login['user']['id']}/sessions", headers=bearer(login["access_token"])
    )
    assert [item["id"] for item in listed.json()["items"]] == [sid]


async def test_a_spent_session_token_revokes_the_session_and_is_audited(api: UserApi) -> None:
    """Reuse detection: the token a refresh replaced, sent again, is 401 and revokes the
    session — the newest session token and the session's access tokens fail from the next
    request on — with one `session_token_reused` row (a second reuse adds none)."""
    user = await api.make_user(email="reuse@example.com")
    login = (await api.login("reuse@example.com")).json()
    rotated = (await refresh(api, login["session_token"])).json()
    headers = bearer(rotated["access_token"])
    assert (await me(api, headers)).status_code == 200

    reused = await refresh(api, login["session_token"])

    assert reused.status_code == 401
    assert reused.headers["content-type"] == "application/problem+json"
    assert reused.json()["type"] == (await refresh(api, "never issued")).json()["type"]
    assert (await me(api, headers)).status_code == 401
    assert (await me(api, bearer(login["access_token"]))).status_code == 401
    assert (await refresh(api, rotated["session_token"])).status_code == 401
    assert (await refresh(api, login["session_token"])).status_code == 401
    sid = api.module.deps.tokens.verify(login["access_token"])["sid"]
    [event] = await audit_events(api, "session_token_reused")
    assert event.actor == str(user.id)
    assert event.actor_role is None
    assert event.email == "reuse@example.com"
    assert event.resource == f"session:{sid}"
    assert event.action == "refresh"
    assert event.result == "denied"
    assert event.details == {"reason": "token_reused", "sessions_revoked": 1}
    assert event.ip == "127.0.0.1"
    assert login["session_token"] not in repr(event)
    # The user can log in again: only that session ended.
    assert (await api.login("reuse@example.com")).status_code == 200


async def test_logout_revokes_the_session_and_refresh_stops_working(api: UserApi) -> None:
    await api.make_user(email="logout@example.com")
    login = (await api.login("logout@example.com")).json()
    headers = bearer(login["access_token"])

    response = await api.client.post("/api/v1/auth/logout", headers=headers)

    assert response.status_code == 204
    assert (await me(api, headers)).status_code == 401
    refresh = await api.client.post(
        "/api/v1/auth/refresh", json={"session_token": login["session_token"]}
    )
    assert refresh.status_code == 401
    claims = api.module.deps.tokens.verify(login["access_token"])
    [event] = await audit_events(api, "logout")
    assert event.resource == f"session:{claims['sid']}"
    assert event.actor == login["user"]["id"]


async def test_deleting_the_session_row_ends_the_session_at_once(api: UserApi) -> None:
    user = await api.make_user()
    headers = await api.token_for(user)
    assert (await me(api, headers)).status_code == 200

    async with api.system.database.engine.begin() as conn:
        await conn.execute(text("DELETE FROM user_sessions"))

    # Manual SQL reaches a cache like another replica's change does: through the database's
    # change notification, delivered within milliseconds, not before this statement returns.
    statuses = []
    for _ in range(40):
        statuses.append((await me(api, headers)).status_code)
        if statuses[-1] == 401:
            break
        await asyncio.sleep(0.025)
    assert statuses[-1] == 401, statuses


async def test_anonymous_calls_to_authenticated_routes_are_401(api: UserApi) -> None:
    for method, path in [
        ("POST", "/logout"),
        ("GET", "/me"),
        ("POST", "/mfa/setup"),
        ("GET", "/mfa/status"),
    ]:
        response = await api.client.request(method, f"/api/v1/auth{path}")
        assert response.status_code == 401, path


# --- password ---------------------------------------------------------------------------------


async def test_password_change(api: UserApi) -> None:
    """Wrong current → 422, weak new → 422; success revokes the other sessions only."""
    user = await api.make_user(email="change@example.com")
    other = await api.token_for(user)
    current = bearer((await api.login("change@example.com")).json()["access_token"])
    url = "/api/v1/auth/password"

    wrong = await api.client.post(
        url,
        headers=current,
        json={"current_password": "not it at all", "new_password": NEW_PASSWORD},
    )
    weak = await api.client.post(
        url, headers=current, json={"current_password": PASSWORD, "new_password": "short"}
    )
    ok = await api.client.post(
        url, headers=current, json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )

    assert wrong.status_code == 422
    assert [e["field"] for e in wrong.json()["errors"]] == ["current_password"]
    assert weak.status_code == 422
    assert {e["field"] for e in weak.json()["errors"]} == {"new_password"}
    assert ok.status_code == 204
    assert (await me(api, other)).status_code == 401
    assert (await me(api, current)).status_code == 200
    assert (await api.login("change@example.com")).status_code == 401
    assert (await api.login("change@example.com", NEW_PASSWORD)).status_code == 200
    [event] = await audit_events(api, "password_changed")
    assert event.details["sessions_revoked"] == 1


# --- MFA --------------------------------------------------------------------------------------


async def test_mfa_lifecycle_with_real_totp_codes(api: UserApi) -> None:
    """setup → enable → login needs a code (TOTP or one-time backup code) → disable."""
    await api.make_user(email="mfa@example.com")
    headers = bearer((await api.login("mfa@example.com")).json()["access_token"])

    setup = await api.client.post("/api/v1/auth/mfa/setup", headers=headers)
    assert setup.status_code == 200
    assert setup.headers["cache-control"] == "no-store"
    secret = setup.json()["secret"]
    assert setup.json()["otpauth_uri"].startswith("otpauth://totp/")
    totp = pyotp.TOTP(secret)
    status = await api.client.get("/api/v1/auth/mfa/status", headers=headers)
    assert status.json() == {"enabled": False, "backup_codes_remaining": 0}

    wrong = await api.client.post(
        "/api/v1/auth/mfa/enable", headers=headers, json={"code": _wrong(totp)}
    )
    assert wrong.status_code == 422
    assert [e["field"] for e in wrong.json()["errors"]] == ["code"]
    enabled = await api.client.post(
        "/api/v1/auth/mfa/enable", headers=headers, json={"code": totp.now()}
    )
    assert enabled.status_code == 200
    backup_codes = enabled.json()["backup_codes"]
    assert len(backup_codes) == 10
    assert len(set(backup_codes)) == 10
    again = await api.client.post(
        "/api/v1/auth/mfa/enable", headers=headers, json={"code": totp.now()}
    )
    assert again.status_code == 409
    status = await api.client.get("/api/v1/auth/mfa/status", headers=headers)
    assert status.json() == {"enabled": True, "backup_codes_remaining": 10}

    missing = await api.login("mfa@example.com")
    bad_code = await api.login("mfa@example.com", mfa_code=_wrong(totp))
    bad_password = await api.login("mfa@example.com", "wrong password!", mfa_code=totp.now())
    assert missing.status_code == bad_code.status_code == 401
    assert missing.json()["type"].endswith("mfa-required")
    assert bad_code.json()["type"].endswith("mfa-required")
    assert bad_password.json()["type"].endswith("authentication-failed")
    replayed = await api.login("mfa@example.com", mfa_code=totp.now())  # enabled MFA: spent
    assert replayed.status_code == 401
    assert replayed.json()["type"].endswith("mfa-required")
    assert (await api.login("mfa@example.com", mfa_code=_next(totp))).status_code == 200
    with_backup = await api.login("mfa@example.com", mfa_code=backup_codes[0].upper())
    assert with_backup.status_code == 200
    reused = await api.login("mfa@example.com", mfa_code=backup_codes[0])
    assert reused.status_code == 401
    assert reused.json()["type"].endswith("mfa-required")
    status = await api.client.get("/api/v1/auth/mfa/status", headers=headers)
    assert status.json()["backup_codes_remaining"] == 9

    wrong_disable = await api.client.post(
        "/api/v1/auth/mfa/disable", headers=headers, json={"code": backup_codes[0]}
    )
    assert wrong_disable.status_code == 422
    disabled = await api.client.post(
        "/api/v1/auth/mfa/disable", headers=headers, json={"code": backup_codes[1]}
    )
    assert disabled.status_code == 204
    status = await api.client.get("/api/v1/auth/mfa/status", headers=headers)
    assert status.json() == {"enabled": False, "backup_codes_remaining": 0}
    assert (await api.login("mfa@example.com")).status_code == 200
    not_enabled = await api.client.post(
        "/api/v1/auth/mfa/disable", headers=headers, json={"code": totp.now()}
    )
    assert not_enabled.status_code == 409

    [on] = await audit_events(api, "mfa_enabled")
    [off] = await audit_events(api, "mfa_disabled")
    assert off.details == {"method": "backup_code"}
    assert on.actor == off.actor
    reasons = [e.details["reason"] for e in await audit_events(api, "login_failed")]
    # The wrong code, the backup code used twice, and the replayed TOTP code.
    assert sorted(map(str, reasons)) == ["bad_mfa_code"] * 3 + ["bad_password"]
    methods = [e.details.get("mfa") for e in await audit_events(api, "login_succeeded")]
    assert sorted(str(m) for m in methods) == ["None", "None", "backup_code", "totp"]


def _next(totp: pyotp.TOTP) -> str:
    """The code of the next time step: valid (±1 step) and newer than any code used so far."""
    return str(totp.at(datetime.now(UTC) + timedelta(seconds=30)))


def _wrong(totp: pyotp.TOTP) -> str:
    """A six-digit code that is not valid in the current ±1-step window."""
    now = datetime.now(UTC)
    valid = {totp.at(now + timedelta(seconds=30 * step)) for step in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


# --- documentation ----------------------------------------------------------------------------


async def test_openapi_documents_every_auth_route(api: UserApi) -> None:
    paths = (await api.client.get("/openapi.json")).json()["paths"]
    for path in [
        "/login",
        "/refresh",
        "/logout",
        "/me",
        "/password",
        "/mfa/setup",
        "/mfa/enable",
        "/mfa/disable",
        "/mfa/status",
    ]:
        [operation] = paths[f"/api/v1/auth{path}"].values()
        assert operation["summary"]
        assert "401" in operation["responses"]
