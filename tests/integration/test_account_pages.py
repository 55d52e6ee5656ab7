"""The pages a mailed link opens, through the real app: the link from the mail (delivered to
a real SMTP server) shows the reset form, the form sets the password, the verification link
verifies. SQLite is enough: the service underneath is tested on every database."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit

import pytest

from tests.conftest import FreshDatabase
from tests.support.smtp import SmtpServer
from tests.support.user_api import PASSWORD, UserApi, user_api

pytestmark = pytest.mark.anyio

NEW_PASSWORD = "a much longer and fresher passphrase"
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def api(fresh_database: FreshDatabase, smtp: SmtpServer) -> AsyncIterator[UserApi]:
    async with user_api(
        fresh_database("sqlite"),
        MAIL_URL=smtp.url,
        BOUNDARY_MAIL__POLL_INTERVAL="0.05",
        BOUNDARY_RATE_LIMIT__ENABLED="false",
    ) as api:
        yield api


async def mailed_path(api: UserApi, smtp: SmtpServer, count: int = 1) -> str:
    """The path and query of the link in the `count`-th mail."""
    (link,) = (await smtp.arrived(count))[count - 1].links
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


async def test_the_reset_link_opens_a_form_that_sets_the_password(
    api: UserApi, smtp: SmtpServer
) -> None:
    user = await api.make_user()
    await api.client.post("/api/v1/auth/password-reset", json={"email": user.email})
    path = await mailed_path(api, smtp)

    page = await api.client.get(path)

    assert page.status_code == 200
    assert "<title>Set a new password · Boundary</title>" in page.text
    assert '<label for="new_password">New password</label>' in page.text
    assert '<label for="confirm_password">Confirm password</label>' in page.text
    assert '<button type="submit">Set password</button>' in page.text
    assert "script-src" in page.headers["content-security-policy"]
    assert "<script" not in page.text
    assert page.headers["cache-control"] == "no-store"
    token = path.partition("token=")[2]
    (csrf,) = CSRF.findall(page.text)
    form = {"token": token, "csrf": csrf, "new_password": NEW_PASSWORD}

    differ = await api.client.post(
        "/account/reset-password", data={**form, "confirm_password": "something else entirely"}
    )
    forged = await api.client.post(
        "/account/reset-password", data={**form, "csrf": "0" * 64, "confirm_password": NEW_PASSWORD}
    )
    weak = await api.client.post(
        "/account/reset-password",
        data={**form, "new_password": "password", "confirm_password": "password"},
    )
    assert (differ.status_code, forged.status_code, weak.status_code) == (422, 403, 422)
    assert "The two passwords differ." in differ.text
    assert (await api.login(user.email, PASSWORD)).status_code == 200

    done = await api.client.post(
        "/account/reset-password", data={**form, "confirm_password": NEW_PASSWORD}
    )

    assert done.status_code == 200
    assert "Your new password is set" in done.text
    assert (await api.login(user.email, NEW_PASSWORD)).status_code == 200
    reused = await api.client.get(path)
    assert reused.status_code == 400
    assert "invalid, was already used, or has expired" in reused.text


async def test_a_made_up_reset_link_shows_that_it_expired(api: UserApi) -> None:
    page = await api.client.get("/account/reset-password?token=madeupmadeupmadeup")
    assert page.status_code == 400
    assert "Set password" not in page.text


async def test_the_verification_link_verifies(api: UserApi, smtp: SmtpServer) -> None:
    user = await api.make_user()
    headers = await api.token_for(user)
    await api.client.post("/api/v1/auth/verify-email/request", headers=headers)
    path = await mailed_path(api, smtp)

    page = await api.client.get(path)

    assert page.status_code == 200
    assert "Your email address is verified" in page.text
    me = await api.client.get("/api/v1/auth/me", headers=headers)
    assert me.json()["email_verified"] is True
    again = await api.client.get(path)
    assert again.status_code == 400
