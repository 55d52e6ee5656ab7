"""Password reset and email verification end to end inside one process: the API on a real
database (SQLite, PostgreSQL, MySQL/MariaDB), the outbox sender delivering to a real SMTP
server (aiosmtpd) started by the test, links followed as a user would."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import text

from boundary.user.core.model import AuditEvent, AuditFilter
from tests.support.smtp import Received, SmtpServer
from tests.support.user_api import PASSWORD, UserApi, user_api

pytestmark = pytest.mark.anyio

NEW_PASSWORD = "a much longer and fresher passphrase"
PUBLIC_URL = "https://id.example.org"
FAST_MAIL = {
    "BOUNDARY_MAIL__POLL_INTERVAL": "0.05",
    "BOUNDARY_MAIL__RETRY_INITIAL": "0.1",
    "BOUNDARY_MAIL__RETRY_MAX": "0.2",
    "PUBLIC_URL": PUBLIC_URL,
    "BOUNDARY_RATE_LIMIT__ENABLED": "false",
}


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def api(database_url: str, smtp: SmtpServer) -> AsyncIterator[UserApi]:
    async with user_api(database_url, MAIL_URL=smtp.url, **FAST_MAIL) as api:
        yield api


def token_of(mail: Received) -> str:
    (link,) = mail.links
    return parse_qs(urlsplit(link).query)["token"][0]


async def audit_events(api: UserApi, event_type: str) -> list[AuditEvent]:
    async with api.module.deps.readers() as read:
        page = await read.audit.search(AuditFilter(event_type=event_type), limit=100, offset=0)
    return list(page.items)


async def outbox_rows(api: UserApi) -> list[Any]:
    async with api.system.database.read() as conn:
        result = await conn.execute(
            text("SELECT status, attempts, body_text, last_error FROM mail_outbox")
        )
        return list(result)


async def reset(api: UserApi, email: str) -> httpx.Response:
    return await api.client.post("/api/v1/auth/password-reset", json={"email": email})


# --- password reset -----------------------------------------------------------------------------


async def test_reset_mail_arrives_and_its_link_sets_a_new_password(
    api: UserApi, smtp: SmtpServer
) -> None:
    user = await api.make_user()
    old_session = await api.token_for(user)

    answer = await reset(api, user.email)

    assert answer.status_code == 202
    (mail,) = await smtp.arrived(1)
    assert mail.rcpt_tos == [user.email]
    assert mail.subject == "Reset your Boundary password"
    assert mail.message.get_content_type() == "multipart/alternative"
    (link,) = mail.links
    assert link.startswith(f"{PUBLIC_URL}/account/reset-password?token=")
    assert link in mail.html
    assert PASSWORD not in mail.text + mail.html
    token = token_of(mail)
    assert len(token) >= 43  # 32 random bytes, URL-safe base64

    confirmed = await api.client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )

    assert confirmed.status_code == 204
    assert (await api.login(user.email, NEW_PASSWORD)).status_code == 200
    assert (await api.login(user.email, PASSWORD)).status_code == 401
    revoked = await api.client.get("/api/v1/auth/me", headers=old_session)
    assert revoked.status_code == 401
    again = await api.client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": token, "new_password": "yet another long passphrase here"},
    )
    assert again.status_code == 422
    assert [e["field"] for e in again.json()["errors"]] == ["token"]
    (requested,) = await audit_events(api, "password_reset_requested")
    assert requested.details["outcome"] == "queued"
    (completed,) = await audit_events(api, "password_reset_completed")
    assert completed.resource == f"user:{user.id}"
    assert completed.details["sessions_revoked"] == 1


async def test_only_the_token_hash_is_stored_and_the_sent_body_is_erased(
    api: UserApi, smtp: SmtpServer
) -> None:
    user = await api.make_user()
    await reset(api, user.email)
    token = token_of((await smtp.arrived(1))[0])

    async with api.system.database.read() as conn:
        hashes = [
            row[0] for row in await conn.execute(text("SELECT token_hash FROM account_tokens"))
        ]
    rows = await outbox_rows(api)

    assert len(hashes) == 1
    assert token not in hashes[0]
    assert len(hashes[0]) == 64
    assert [(r.status, r.body_text) for r in rows] == [("sent", "")]


async def test_unknown_email_answers_the_same_and_sends_nothing(
    api: UserApi, smtp: SmtpServer
) -> None:
    user = await api.make_user()
    inactive = await api.make_user(active=False)

    known = await reset(api, user.email)
    unknown = await reset(api, "nobody-here@example.com")
    deactivated = await reset(api, inactive.email)

    assert known.status_code == unknown.status_code == deactivated.status_code == 202
    assert known.json() == unknown.json() == deactivated.json()
    await smtp.arrived(1)
    assert [m.rcpt_tos for m in smtp.messages] == [[user.email]]
    outcomes = sorted(
        e.details["outcome"] for e in await audit_events(api, "password_reset_requested")
    )
    assert outcomes == ["no_account", "no_account", "queued"]


async def test_a_newer_reset_voids_the_older_token(api: UserApi, smtp: SmtpServer) -> None:
    user = await api.make_user()
    await reset(api, user.email)
    first = token_of((await smtp.arrived(1))[0])
    await reset(api, user.email)
    second = token_of((await smtp.arrived(2))[1])

    old = await api.client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": first, "new_password": NEW_PASSWORD}
    )
    new = await api.client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": second, "new_password": NEW_PASSWORD}
    )

    assert (old.status_code, new.status_code) == (422, 204)


async def test_at_most_three_reset_mails_per_hour(api: UserApi, smtp: SmtpServer) -> None:
    user = await api.make_user()
    answers = [(await reset(api, user.email)).status_code for _ in range(5)]

    assert answers == [202] * 5
    await smtp.arrived(3)
    outcomes = [e.details["outcome"] for e in await audit_events(api, "password_reset_requested")]
    assert sorted(outcomes) == ["queued"] * 3 + ["rate_limited"] * 2
    assert len(await outbox_rows(api)) == 3


async def test_the_password_policy_applies_to_a_reset(api: UserApi, smtp: SmtpServer) -> None:
    user = await api.make_user()
    await reset(api, user.email)
    token = token_of((await smtp.arrived(1))[0])

    weak = await api.client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": "password"}
    )

    assert weak.status_code == 422
    assert {e["field"] for e in weak.json()["errors"]} == {"new_password"}
    assert (await api.login(user.email)).status_code == 200  # the token is still good
    ok = await api.client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert ok.status_code == 204


# --- email verification -------------------------------------------------------------------------


async def test_verification_mail_link_verifies_the_address(api: UserApi, smtp: SmtpServer) -> None:
    user = await api.make_user()
    headers = await api.token_for(user)
    before = await api.client.get("/api/v1/auth/me", headers=headers)
    assert before.json()["email_verified"] is False

    answer = await api.client.post("/api/v1/auth/verify-email/request", headers=headers)

    assert answer.status_code == 202
    (mail,) = await smtp.arrived(1)
    assert mail.subject == "Verify your email address"
    (link,) = mail.links
    assert link.startswith(f"{PUBLIC_URL}/account/verify-email?token=")
    confirmed = await api.client.post(
        "/api/v1/auth/verify-email/confirm", json={"token": token_of(mail)}
    )
    assert confirmed.status_code == 204
    after = await api.client.get("/api/v1/auth/me", headers=headers)
    assert after.json()["email_verified"] is True
    (event,) = await audit_events(api, "email_verified")
    assert event.resource == f"user:{user.id}"


async def test_a_reset_token_does_not_verify_an_email(api: UserApi, smtp: SmtpServer) -> None:
    user = await api.make_user()
    await reset(api, user.email)
    token = token_of((await smtp.arrived(1))[0])

    wrong = await api.client.post("/api/v1/auth/verify-email/confirm", json={"token": token})

    assert wrong.status_code == 422


async def test_verification_request_needs_a_caller(api: UserApi) -> None:
    answer = await api.client.post("/api/v1/auth/verify-email/request")
    assert answer.status_code == 401


async def test_changing_the_email_clears_the_verification(api: UserApi, smtp: SmtpServer) -> None:
    user = await api.make_user()
    headers = await api.token_for(user)
    await api.client.post("/api/v1/auth/verify-email/request", headers=headers)
    await api.client.post(
        "/api/v1/auth/verify-email/confirm", json={"token": token_of((await smtp.arrived(1))[0])}
    )
    async with api.module.units() as unit:
        verified = await unit.users.get(user.id)
        assert verified is not None
        assert verified.email_verified_at is not None
        await unit.users.save(dataclasses.replace(verified, email="moved-" + verified.email))
        await unit.commit()

    after = await api.client.get("/api/v1/auth/me", headers=headers)

    assert after.json()["email_verified"] is False


async def test_required_verification_refuses_unverified_logins(
    database_url: str, smtp: SmtpServer
) -> None:
    async with user_api(
        database_url,
        MAIL_URL=smtp.url,
        BOUNDARY_SECURITY__REQUIRE_VERIFIED_EMAIL="true",
        **FAST_MAIL,
    ) as api:
        user = await api.make_user()

        refused = await api.login(user.email)

        assert refused.status_code == 403
        assert refused.json()["type"].endswith("email-not-verified")
        wrong = await api.login(user.email, "not the password at all")
        assert wrong.status_code == 401
        await api.client.post(
            "/api/v1/auth/verify-email/request", headers=await api.token_for(user)
        )
        await api.client.post(
            "/api/v1/auth/verify-email/confirm",
            json={"token": token_of((await smtp.arrived(1))[0])},
        )
        assert (await api.login(user.email)).status_code == 200


# --- delivery ---------------------------------------------------------------------------------


async def test_mail_queued_during_an_smtp_outage_arrives_after_it(
    api: UserApi, smtp: SmtpServer
) -> None:
    user = await api.make_user()
    smtp.stop()

    answer = await reset(api, user.email)

    assert answer.status_code == 202
    await _until(api, lambda rows: rows and rows[0].attempts >= 2)
    health = await api.client.get("/health")
    assert health.json()["checks"]["mail"]["status"] != "healthy"
    smtp.start()
    (mail,) = await smtp.arrived(1)
    assert mail.rcpt_tos == [user.email]
    await _until(api, lambda rows: rows[0].status == "sent")


async def test_a_temporary_refusal_is_retried(api: UserApi, smtp: SmtpServer) -> None:
    user = await api.make_user()
    smtp.refuse_next("451 4.3.0 try again later")

    await reset(api, user.email)

    (mail,) = await smtp.arrived(1)
    assert mail.rcpt_tos == [user.email]
    rows = await _until(api, lambda rows: rows[0].status == "sent")
    assert rows[0].attempts == 2


async def test_a_permanent_refusal_gives_up(api: UserApi, smtp: SmtpServer) -> None:
    user = await api.make_user()
    smtp.refuse_next("550 5.1.1 no such mailbox")

    await reset(api, user.email)

    rows = await _until(api, lambda rows: rows and rows[0].status == "failed")
    assert rows[0].attempts == 1
    assert "550" in rows[0].last_error
    assert smtp.messages == []


async def test_without_mail_the_four_endpoints_answer_503(database_url: str) -> None:
    async with user_api(database_url, BOUNDARY_MAIL__URL="") as api:
        user = await api.make_user()
        headers = await api.token_for(user)
        answers = [
            await reset(api, user.email),
            await api.client.post(
                "/api/v1/auth/password-reset/confirm",
                json={"token": "x" * 43, "new_password": NEW_PASSWORD},
            ),
            await api.client.post("/api/v1/auth/verify-email/request", headers=headers),
            await api.client.post("/api/v1/auth/verify-email/confirm", json={"token": "x" * 43}),
        ]

    assert [a.status_code for a in answers] == [503] * 4
    assert all(a.json()["type"].endswith("mail-unavailable") for a in answers)


async def _until(api: UserApi, done: Any, timeout: float = 15.0) -> list[Any]:
    import anyio

    with anyio.fail_after(timeout):
        while True:
            rows = await outbox_rows(api)
            if done(rows):
                return rows
            await anyio.sleep(0.05)
