"""A fake of the `MailTransport` port: keeps what it "delivers", and can be told to fail.

Contract (with `SmtpTransport` against a real SMTP server): tests/contract/test_mail_transport.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from boundary.mail.core import Message
from boundary.mail.ports import DeliveryFailed


@dataclass
class RecordingTransport:
    sent: list[tuple[str, Message]] = field(default_factory=list)
    """(sender, message) of every delivered message, in order."""
    failures: list[DeliveryFailed] = field(default_factory=list)
    """Raised, first first, by the next `send` calls instead of delivering."""
    closed: int = 0

    def refuse_next(self, code: int, reason: str = "refused") -> None:
        """Fail the next message with an SMTP-like reply `code` (5xx: permanent)."""
        self.failures.append(
            DeliveryFailed(f"SMTP {code}: {reason}", code=code, permanent=500 <= code < 600)
        )

    async def send(self, message: Message, *, sender: str) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((sender, message))

    async def aclose(self) -> None:
        self.closed += 1
