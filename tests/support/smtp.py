"""A real SMTP server for tests (aiosmtpd): started by the test on a free local port, it keeps
every message it accepts, can refuse the next messages with a reply code, and can be stopped
and started again on the same port (an outage). Optionally it speaks TLS — STARTTLS, required
before any mail, or implicit TLS from the first byte — and requires AUTH with one user name
and password."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

LINK = re.compile(r"https?://\S+")


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        assert part is not None
        return str(part.get_content())

    @property
    def links(self) -> list[str]:
        return LINK.findall(self.text)


@dataclass
class _Handler:
    messages: list[Received] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.refusals:
                return self.refusals.pop(0)
            parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class _Authenticator:
    login: tuple[str, str]
    attempts: list[tuple[str, bool]] = field(default_factory=list)

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and (
                data.login.decode(),
                data.password.decode(),
            )
            == self.login
        )
        self.attempts.append((mechanism, ok))
        return AuthResult(success=ok, handled=False)


class SmtpServer:
    def __init__(
        self,
        *,
        tls: Literal["starttls", "implicit"] | None = None,
        cert: tuple[Path, Path] | None = None,
        login: tuple[str, str] | None = None,
    ) -> None:
        """`tls` needs `cert` (certificate and key files); `login` is the one user name and
        password AUTH accepts."""
        self.port = free_port()
        self.handler = _Handler()
        self.tls = tls
        self.authenticator = _Authenticator(login) if login else None
        self._context: ssl.SSLContext | None = None
        if tls is not None:
            assert cert is not None, "TLS needs a certificate"
            self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._context.load_cert_chain(str(cert[0]), str(cert[1]))
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        scheme = "smtps" if self.tls == "implicit" else "smtp"
        query = "?starttls=true" if self.tls == "starttls" else ""
        return f"{scheme}://127.0.0.1:{self.port}{query}"

    @property
    def messages(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.messages)

    def refuse_next(self, reply: str, times: int = 1) -> None:
        """Answer the next `times` messages with `reply` (e.g. `451 4.3.0 try later`)."""
        with self.handler.lock:
            self.handler.refusals.extend([reply] * times)

    def start(self) -> None:
        options: dict[str, Any] = {}
        if self.tls == "starttls":
            options.update(tls_context=self._context, require_starttls=True)
        elif self.tls == "implicit":
            options.update(ssl_context=self._context)
        if self.authenticator is not None:
            # aiosmtpd counts only STARTTLS as TLS for AUTH (and warns when AUTH is required
            # without it), so under implicit TLS AUTH is offered but not demanded; every
            # attempt is still recorded in `authenticator.attempts`.
            implicit = self.tls == "implicit"
            options.update(
                authenticator=self.authenticator,
                auth_required=not implicit,
                auth_require_tls=not implicit,
            )
        self._controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, ready_timeout=5, **options
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Received]:
        """At least `count` messages, waiting up to `timeout` seconds (then fail)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.messages
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError(f"expected {count} messages within {timeout}s, got {self.messages}")

    async def arrived(self, count: int, timeout: float = 15.0) -> list[Received]:
        """`wait_for` for tests whose sender runs on the same event loop."""
        import asyncio

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.messages
            if len(got) >= count:
                return got
            await asyncio.sleep(0.05)
        raise AssertionError(f"expected {count} messages within {timeout}s, got {self.messages}")
