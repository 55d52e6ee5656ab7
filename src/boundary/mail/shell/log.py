"""`log://` transport (shell, for development): the whole message goes to the log, link
included, so a developer can follow a reset link from `make run`'s output."""

from __future__ import annotations

from boundary.mail.core import Message
from boundary.observability.logging import Logger


class LogTransport:
    def __init__(self, logger: Logger) -> None:
        self._log = logger

    async def send(self, message: Message, *, sender: str) -> None:
        self._log.info(
            "Mail (log:// transport, not sent)",
            mail_from=sender,
            mail_to=message.recipient,
            subject=message.subject,
            body=message.text,
        )

    async def aclose(self) -> None:
        return None
