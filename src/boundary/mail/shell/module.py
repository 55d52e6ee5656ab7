"""The mail module's composition (shell): the transport `mail.url` names, the outbox and the
sender. `build_system` calls `build_mail_module`; with no `mail.url` there is no transport and
no sender, and the services that would queue mail answer 503 (`Unavailable("mail")`)."""

from __future__ import annotations

from dataclasses import dataclass

from boundary.config.model import Settings
from boundary.db.shell.engine import Database
from boundary.kernel.ports import Clock
from boundary.mail.core import Backoff, LogTarget, parse_mail_url
from boundary.mail.ports import MailTransport
from boundary.mail.shell.log import LogTransport
from boundary.mail.shell.outbox import Outbox
from boundary.mail.shell.sender import OutboxSender
from boundary.mail.shell.smtp import SmtpTransport
from boundary.observability.logging import get_logger
from boundary.observability.metrics.ports import Metrics


@dataclass(eq=False)
class MailModule:
    outbox: Outbox
    sender: OutboxSender | None
    """None while `mail.url` is unset."""

    @property
    def enabled(self) -> bool:
        return self.sender is not None

    def wake(self) -> None:
        if self.sender is not None:
            self.sender.wake()

    async def start(self) -> None:
        if self.sender is not None:
            self.sender.start()

    async def close(self) -> None:
        if self.sender is not None:
            await self.sender.close()


def build_transport(url: str, timeout: float, ca_file: str | None = None) -> MailTransport:
    target = parse_mail_url(url)
    if isinstance(target, LogTarget):
        return LogTransport(get_logger("boundary.mail"))
    return SmtpTransport(target, timeout=timeout, ca_file=ca_file)


def build_mail_module(
    settings: Settings,
    database: Database,
    metrics: Metrics,
    clock: Clock,
    transport: MailTransport | None = None,
) -> MailModule:
    mail = settings.mail
    outbox = Outbox(database)
    if transport is None and mail.url is not None:
        transport = build_transport(mail.url, mail.timeout, mail.ca_file)
    if transport is None:
        return MailModule(outbox=outbox, sender=None)
    sender = OutboxSender(
        outbox,
        transport,
        sender=mail.sender,
        clock=clock,
        metrics=metrics,
        logger=get_logger("boundary.mail"),
        lease=mail.lease,
        batch_size=mail.batch_size,
        poll_interval=mail.poll_interval,
        backoff=Backoff(first=mail.retry_initial, cap=mail.retry_max, give_up_after=mail.retry_for),
        retention=mail.retention,
    )
    return MailModule(outbox=outbox, sender=sender)
