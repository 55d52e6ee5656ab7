"""SMTP transport (shell) on aiosmtplib, a maintained asyncio client: STARTTLS or implicit TLS
with certificate checks, AUTH from the URL's credentials, and a timeout on every step.

The server's certificate must chain to the system's trust store, or to `mail.ca_file` alone
when that is set (a private CA), and name the URL's host; a failed check fails the delivery
(the message stays queued and is retried), never falls back to plain text.

One connection serves a whole batch of messages (the sender calls `aclose` after each batch),
so a burst does not pay a TCP and TLS handshake per mail.
"""

from __future__ import annotations

import ssl

import aiosmtplib

from boundary.mail.core import Message, SmtpTarget, is_permanent
from boundary.mail.ports import DeliveryFailed
from boundary.mail.shell.envelope import to_email


class SmtpTransport:
    def __init__(self, target: SmtpTarget, *, timeout: float, ca_file: str | None = None) -> None:
        self._target = target
        self._timeout = timeout
        self._ca_file = ca_file
        self._tls: ssl.SSLContext | None = None
        self._client: aiosmtplib.SMTP | None = None

    async def send(self, message: Message, *, sender: str) -> None:
        try:
            client = await self._connected()
            await client.send_message(to_email(message, sender=sender))
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [refusal.code for refusal in exc.recipients]
            code = codes[0] if codes else None
            raise DeliveryFailed(
                f"recipient refused ({code})", code=code, permanent=all(map(is_permanent, codes))
            ) from None
        except aiosmtplib.SMTPResponseException as exc:
            await self.aclose()
            raise DeliveryFailed(
                f"SMTP {exc.code}: {exc.message[:200]}",
                code=exc.code,
                permanent=is_permanent(exc.code),
            ) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            await self.aclose()
            raise DeliveryFailed(f"{type(exc).__name__}: {str(exc)[:200]}") from None

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        target = self._target
        if self._tls is None:
            # cafile given: only it is trusted; else the system's store. Hostname checked.
            self._tls = ssl.create_default_context(cafile=self._ca_file)
        client = aiosmtplib.SMTP(
            hostname=target.host,
            port=target.port,
            username=target.username,
            password=target.password,
            use_tls=target.tls == "implicit",
            start_tls=target.tls == "starttls",
            tls_context=self._tls,
            timeout=self._timeout,
        )
        await client.connect()
        self._client = client
        return client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is None or not client.is_connected:
            return
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            client.close()
