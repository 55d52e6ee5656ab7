"""`DELETE /api/v1/users/{id}?erase=true` on every database: the row anonymised, sessions and
backup codes gone, the audit rows kept under the pseudonym, the email free to register again —
and the refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from boundary.user.core.erasure import UNUSABLE_PASSWORD_HASH, pseudonym
from boundary.user.core.model import AuditFilter, User
from tests.support.user_api import PASSWORD, UserApi, user_api

pytestmark = pytest.mark.anyio


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[UserApi]:
    async with user_api(database_url) as built:
        yield built


async def admin_headers(api: UserApi) -> tuple[User, dict[str, str]]:
    admin = await api.make_user("admin")
    return admin, await api.token_for(admin)


async def all_audit_rows(api: UserApi) -> list[Any]:
    async with api.module.deps.readers() as read:
        return list((await read.audit.search(AuditFilter(), limit=1000, offset=0)).items)


def erase_url(user_id: object) -> str:
    return f"/api/v1/users/{user_id}?erase=true"


async def test_erase_anonymises_and_frees_the_email(api: UserApi) -> None:
    """204; the user is gone (404, token 401, login 401), the row holds nothing personal, its
    sessions and backup codes are deleted, every audit row that named the address names the
    pseudonym instead, and the same email registers again (201) and signs in."""
    admin_user, admin = await admin_headers(api)
    user = await api.make_user("user", email="erase.me@example.com", name="Erin Erasable")
    own = await api.token_for(user)
    assert (await api.login("ERASE.ME@example.com", "wrong password")).status_code == 401
    assert (await api.login("erase.me@example.com")).status_code == 200
    async with api.module.units() as unit:
        await unit.backup_codes.replace(user.id, ["a" * 64], datetime.now(UTC))
        await unit.commit()

    answer = await api.client.delete(erase_url(user.id), headers=admin)
    assert answer.status_code == 204, answer.text
    assert answer.content == b""

    rows = await all_audit_rows(api)
    assert not [r for r in rows if "erase.me" in repr(r).lower() or "erin" in repr(r).lower()]
    about_user = [r for r in rows if r.resource == f"user:{user.id}"]
    assert {r.event_type for r in about_user} >= {"login_failed", "login_succeeded"}
    assert {r.email for r in about_user} == {pseudonym(user.id)}
    (erased,) = [r for r in rows if r.event_type == "user_erased"]
    assert (erased.actor, erased.actor_role, erased.action) == (
        str(admin_user.id),
        "admin",
        "erase",
    )
    assert erased.details == {"sessions_revoked": 2}

    url = f"/api/v1/users/{user.id}"
    assert (await api.client.get(url, headers=admin)).status_code == 404
    assert (await api.client.get("/api/v1/auth/me", headers=own)).status_code == 401
    assert (await api.login("erase.me@example.com")).status_code == 401
    async with api.module.deps.readers() as read:
        row = await read.users.get(user.id)
        assert await read.backup_codes.unused(user.id) == {}
        assert (await read.sessions.for_user(user.id, limit=10, offset=0)).total == 0
    assert row is not None
    assert (row.email, row.name, row.password_hash) == (
        pseudonym(user.id),
        "",
        UNUSABLE_PASSWORD_HASH,
    )
    assert (row.active, row.mfa_enabled, row.mfa_secret) == (False, False, None)
    assert row.deleted_at is not None

    again = {"email": "Erase.Me@example.com", "name": "Again", "password": PASSWORD, "role": "user"}
    created = await api.client.post("/api/v1/users", json=again, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["id"] != str(user.id)
    assert (await api.login("erase.me@example.com")).status_code == 200
    assert (await api.client.delete(erase_url(user.id), headers=admin)).status_code == 404


async def test_a_soft_deleted_user_can_be_erased_to_free_the_email(api: UserApi) -> None:
    """A plain DELETE keeps the email taken (409); erasing the deleted account frees it."""
    _, admin = await admin_headers(api)
    user = await api.make_user("user")
    assert (await api.client.delete(f"/api/v1/users/{user.id}", headers=admin)).status_code == 204
    again = {"email": user.email, "name": "Again", "password": PASSWORD, "role": "user"}
    assert (await api.client.post("/api/v1/users", json=again, headers=admin)).status_code == 409
    assert (await api.client.delete(erase_url(user.id), headers=admin)).status_code == 204
    assert (await api.client.post("/api/v1/users", json=again, headers=admin)).status_code == 201


async def test_erase_refusals(api: UserApi) -> None:
    """Oneself 409; a viewer or a user 403 (nothing erased); an unknown id 404; a value that
    is no boolean 422."""
    admin_user, admin = await admin_headers(api)
    own = await api.client.delete(erase_url(admin_user.id), headers=admin)
    assert own.status_code == 409
    assert "own account" in own.json()["detail"]
    target = await api.make_user("user")
    for role in ("viewer", "user"):
        headers = await api.token_for(await api.make_user(role))  # type: ignore[arg-type]
        assert (await api.client.delete(erase_url(target.id), headers=headers)).status_code == 403
    assert (await api.client.get(f"/api/v1/users/{target.id}", headers=admin)).json()[
        "email"
    ] == target.email
    missing = "00000000-0000-4000-8000-000000000000"
    assert (await api.client.delete(erase_url(missing), headers=admin)).status_code == 404
    bad = await api.client.delete(f"/api/v1/users/{target.id}?erase=maybe", headers=admin)
    assert bad.status_code == 422


async def test_erase_deletes_the_persons_mail_and_account_tokens(api: UserApi) -> None:
    """A reset mail queued for the person (its address, its link) and the reset token are
    deleted with the erasure, in its transaction; another user's mail and token stay."""
    from sqlalchemy import func, select

    from boundary.account.shell.tokens import account_tokens
    from boundary.mail.shell.schema import mail_outbox

    _, admin = await admin_headers(api)
    user = await api.make_user("user", email="Forget.Me@example.com")
    other = await api.make_user("user", email="keep.me@example.com")
    for email in ("forget.me@example.com", "keep.me@example.com"):
        reset = await api.client.post("/api/v1/auth/password-reset", json={"email": email})
        assert reset.status_code == 202, reset.text

    async def counts(user_id: object, address: str) -> tuple[int, int]:
        async with api.system.database.connect() as conn:
            tokens = await conn.scalar(
                select(func.count()).where(account_tokens.c.user_id == user_id)
            )
            mails = await conn.scalar(
                select(func.count()).where(func.lower(mail_outbox.c.recipient) == address)
            )
        return int(tokens or 0), int(mails or 0)

    assert await counts(user.id, "forget.me@example.com") == (1, 1)
    assert (await api.client.delete(erase_url(user.id), headers=admin)).status_code == 204

    assert await counts(user.id, "forget.me@example.com") == (0, 0)
    assert await counts(other.id, "keep.me@example.com") == (1, 1)
