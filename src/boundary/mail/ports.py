"""What the mail sender needs from the world: a transport that delivers one message."""

from __future__ import annotations

from typing import Protocol

from boundary.mail.core import Message


class DeliveryFailed(Exception):
    """The transport could not deliver; `permanent` when retrying cannot help (SMTP 5xx)."""

    def __init__(self, reason: str, *, code: int | None = None, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.permanent = permanent


class MailTransport(Protocol):
    async def send(self, message: Message, *, sender: str) -> None:
        """Deliver `message` from `sender`, or raise `DeliveryFailed`."""

    async def aclose(self) -> None:
        """Release a connection kept open between messages of one batch."""
