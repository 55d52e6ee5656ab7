"""Two `boundary serve` processes on one PostgreSQL database share one outbox: every reset mail
reaches the SMTP server (aiosmtpd, started by the test) exactly once, whichever process queued
it and whichever delivered it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.conftest import FreshDatabase
from tests.e2e.conftest import StartService
from tests.support.process import run_cli
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.e2e

ADMIN = "mail-admin@example.com"
PASSWORD = "mail delivery passphrase 4242"
NEW_PASSWORD = "a brand new passphrase for mail"
USERS = 24


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def test_two_processes_on_one_postgresql_send_each_message_once(
    fresh_database: FreshDatabase, smtp: SmtpServer, start_service: StartService
) -> None:
    url = fresh_database("postgresql")
    env = {"DATABASE_URL": url}
    assert run_cli("migrate", "migrate", env=env).returncode == 0
    created = run_cli(
        "users", "create-admin", "--email", ADMIN, "--password-stdin", env=env, stdin=PASSWORD
    )
    assert created.returncode == 0, created.stderr
    serve_env = {
        **env,
        "MAIL_URL": smtp.url,
        "PUBLIC_URL": "https://id.example.org",
        "BOUNDARY_MAIL__POLL_INTERVAL": "0.05",
        "BOUNDARY_MAIL__BATCH_SIZE": "3",
        "BOUNDARY_RATE_LIMIT__ENABLED": "false",
    }
    services = [start_service(serve_env), start_service(serve_env)]
    emails = [f"mail-user-{n}@example.com" for n in range(USERS)]
    _create_users(services[0].api, emails)

    asyncio.run(_request_resets([s.api for s in services], emails))

    received = smtp.wait_for(USERS, timeout=30)
    time.sleep(1.0)  # a duplicate would come from the other process's next round
    received = smtp.messages
    assert sorted(r.rcpt_tos[0] for r in received) == sorted(emails)
    sent_lines = [line for s in services for line in s.lines if "Mail sent" in line]
    assert len(sent_lines) == USERS
    # The links work against either process.
    token = parse_qs(urlsplit(received[0].links[0]).query)["token"][0]
    confirmed = httpx.post(
        services[1].api + "/api/v1/auth/password-reset/confirm",
        json={"token": token, "new_password": NEW_PASSWORD},
        timeout=10,
    )
    assert confirmed.status_code == 204
    login = httpx.post(
        services[0].api + "/api/v1/auth/login",
        json={"email": received[0].rcpt_tos[0], "password": NEW_PASSWORD},
        timeout=10,
    )
    assert login.status_code == 200


def _create_users(api: str, emails: list[str]) -> None:
    with httpx.Client(base_url=api, timeout=10) as client:
        login = client.post("/api/v1/auth/login", json={"email": ADMIN, "password": PASSWORD})
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        for email in emails:
            body = {"email": email, "name": "Mail User", "password": PASSWORD, "role": "user"}
            assert client.post("/api/v1/users", json=body, headers=headers).status_code == 201


async def _request_resets(apis: list[str], emails: list[str]) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        answers = await asyncio.gather(
            *(
                client.post(f"{apis[n % 2]}/api/v1/auth/password-reset", json={"email": email})
                for n, email in enumerate(emails)
            )
        )
    assert [a.status_code for a in answers] == [202] * len(emails)
