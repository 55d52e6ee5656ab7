"""`log://` transport (shell, for development): the whole message goes to the log, and its
link also as a field of its own (`link=…`), so a developer can follow a reset link from
`make run`'s output."""

from __future__ import annotations

from boundary.mail.core import Message, links_in
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
            link=" ".join(links_in(message.text)) or None,
            body=message.text,
        )

    async def aclose(self) -> None:
        return None
