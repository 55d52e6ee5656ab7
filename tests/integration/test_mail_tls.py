"""Mail over TLS to a live SMTP server (aiosmtpd, started by the test): STARTTLS (the server
refuses mail before it) and implicit TLS, each with AUTH from the URL's credentials and a
private CA trusted through `mail.ca_file`; every certificate the client must not trust fails
the delivery — the message stays queued and is retried — and never falls back to plain text.

TLS does not depend on the database, so these run on SQLite only."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import anyio
import pytest
from sqlalchemy import text

from tests.conftest import FreshDatabase
from tests.support.certs import Pki, make_pki
from tests.support.smtp import SmtpServer
from tests.support.user_api import UserApi, user_api

pytestmark = pytest.mark.anyio

Tls = Literal["starttls", "implicit"]
MODES: tuple[Tls, ...] = ("starttls", "implicit")
LOGIN = ("relay-user@example.com", "p@ss:w/rd with spaces")
FAST_MAIL = {
    "BOUNDARY_MAIL__POLL_INTERVAL": "0.05",
    "BOUNDARY_MAIL__RETRY_INITIAL": "0.1",
    "BOUNDARY_MAIL__RETRY_MAX": "0.2",
    "BOUNDARY_MAIL__TIMEOUT": "5",
    "PUBLIC_URL": "https://id.example.org",
    "BOUNDARY_RATE_LIMIT__ENABLED": "false",
}


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@asynccontextmanager
async def running(server: SmtpServer) -> AsyncIterator[SmtpServer]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


def with_login(url: str, login: tuple[str, str] = LOGIN) -> str:
    """`url` with percent-encoded credentials, as an operator writes MAIL_URL."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{quote(login[0], safe='')}:{quote(login[1], safe='')}@{rest}"


async def outbox_rows(api: UserApi) -> list[Any]:
    async with api.system.database.read() as conn:
        result = await conn.execute(text("SELECT status, attempts, last_error FROM mail_outbox"))
        return list(result)


async def until(api: UserApi, done: Callable[[list[Any]], bool], timeout: float = 15) -> list[Any]:
    with anyio.fail_after(timeout):
        while True:
            rows = await outbox_rows(api)
            if done(rows):
                return rows
            await anyio.sleep(0.05)


async def request_reset(api: UserApi) -> str:
    user = await api.make_user()
    answer = await api.client.post("/api/v1/auth/password-reset", json={"email": user.email})
    assert answer.status_code == 202, answer.text
    return user.email


@pytest.mark.parametrize("mode", MODES)
async def test_tls_with_a_private_ca_and_auth_delivers(
    fresh_database: FreshDatabase, pki: Pki, mode: Tls
) -> None:
    server = SmtpServer(tls=mode, cert=(pki.cert, pki.key), login=LOGIN)
    async with (
        running(server),
        user_api(
            fresh_database("sqlite"),
            MAIL_URL=with_login(server.url),
            BOUNDARY_MAIL__CA_FILE=str(pki.ca),
            **FAST_MAIL,
        ) as api,
    ):
        email = await request_reset(api)

        (mail,) = await server.arrived(1)
        assert mail.rcpt_tos == [email]
        assert mail.links[0].startswith("https://id.example.org/account/reset-password?token=")
        assert server.authenticator is not None
        assert [ok for _, ok in server.authenticator.attempts] == [True]
        await until(api, lambda rows: rows[0].status == "sent")


@pytest.mark.parametrize("mode", MODES)
async def test_wrong_credentials_are_refused_by_the_server(
    fresh_database: FreshDatabase, pki: Pki, mode: Tls
) -> None:
    server = SmtpServer(tls=mode, cert=(pki.cert, pki.key), login=LOGIN)
    async with (
        running(server),
        user_api(
            fresh_database("sqlite"),
            MAIL_URL=with_login(server.url, (LOGIN[0], "not the password")),
            BOUNDARY_MAIL__CA_FILE=str(pki.ca),
            **FAST_MAIL,
        ) as api,
    ):
        await request_reset(api)

        # 535 is permanent: given up at once (`boundary mail retry` after fixing MAIL_URL).
        rows = await until(api, lambda rows: rows[0].status == "failed")
        assert "535" in rows[0].last_error
        assert server.messages == []


def _untrusted(pki: Pki, other: Pki, misnamed: Pki) -> dict[str, tuple[Pki, str | None]]:
    """Server certificate and the client's `mail.ca_file`, for each way trust must fail."""
    return {
        "private CA, system trust store": (pki, None),
        "private CA, another CA trusted": (pki, str(other.ca)),
        "trusted CA, certificate for another host": (misnamed, str(misnamed.ca)),
    }


CASES = (
    "private CA, system trust store",
    "private CA, another CA trusted",
    "trusted CA, certificate for another host",
)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("mode", MODES)
async def test_an_untrusted_certificate_fails_delivery_and_keeps_the_mail(
    fresh_database: FreshDatabase,
    pki: Pki,
    tmp_path: Path,
    mode: Tls,
    case: str,
) -> None:
    other = make_pki(tmp_path / "other")
    misnamed = make_pki(tmp_path / "misnamed", names="DNS:mail.example.org")
    served, ca_file = _untrusted(pki, other, misnamed)[case]
    server = SmtpServer(tls=mode, cert=(served.cert, served.key), login=LOGIN)
    env = {**FAST_MAIL, **({"BOUNDARY_MAIL__CA_FILE": ca_file} if ca_file else {})}
    async with (
        running(server),
        user_api(fresh_database("sqlite"), MAIL_URL=with_login(server.url), **env) as api,
    ):
        await request_reset(api)

        rows = await until(api, lambda rows: rows[0].attempts >= 2)
        assert rows[0].status == "pending"
        assert "CERTIFICATE_VERIFY_FAILED" in rows[0].last_error, rows[0].last_error
        assert server.messages == []
        assert server.authenticator is not None
        assert server.authenticator.attempts == []  # the password never left the client
        health = await api.client.get("/health")
        assert health.json()["checks"]["mail"]["status"] != "healthy"


async def test_starttls_requested_but_not_offered_fails_instead_of_plain_text(
    fresh_database: FreshDatabase, pki: Pki
) -> None:
    server = SmtpServer()  # plain SMTP, no STARTTLS
    async with (
        running(server),
        user_api(
            fresh_database("sqlite"),
            MAIL_URL=f"{server.url}?starttls=true",
            BOUNDARY_MAIL__CA_FILE=str(pki.ca),
            **FAST_MAIL,
        ) as api,
    ):
        await request_reset(api)

        rows = await until(api, lambda rows: rows[0].attempts >= 2)
        assert rows[0].status == "pending"
        assert "STARTTLS" in rows[0].last_error, rows[0].last_error
        assert server.messages == []


async def test_an_unreadable_ca_file_fails_delivery_and_keeps_the_mail(
    fresh_database: FreshDatabase, pki: Pki, tmp_path: Path
) -> None:
    server = SmtpServer(tls="starttls", cert=(pki.cert, pki.key))
    async with (
        running(server),
        user_api(
            fresh_database("sqlite"),
            MAIL_URL=server.url,
            BOUNDARY_MAIL__CA_FILE=str(tmp_path / "missing.pem"),
            **FAST_MAIL,
        ) as api,
    ):
        await request_reset(api)

        rows = await until(api, lambda rows: rows[0].attempts >= 2)
        assert rows[0].status == "pending"
        assert "FileNotFoundError" in rows[0].last_error, rows[0].last_error
        assert server.messages == []
