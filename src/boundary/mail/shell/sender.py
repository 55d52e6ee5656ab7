"""The background sender (shell): one task per serve process that delivers the outbox.

Each round claims a batch of due messages (see `outbox` for how several processes share the
table), sends them over one transport connection, and records each outcome: sent, retried
later with backoff (`mail.core.after_failure`), or given up. A request that queues a mail
wakes the sender of its own process at once; others find it on their next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from boundary.kernel.ports import Clock
from boundary.mail.core import Backoff, GiveUp, QueuedMessage, after_failure
from boundary.mail.ports import DeliveryFailed, MailTransport
from boundary.mail.shell.outbox import Outbox
from boundary.observability.logging import Logger
from boundary.observability.metrics.ports import Metrics

Housekeeping = Callable[[], Awaitable[object]]
HOUSEKEEPING_INTERVAL = 300.0


class MailUnhealthy(Exception):
    """The last delivery attempt failed for a reason that may pass (the `mail` check)."""


class OutboxSender:
    def __init__(
        self,
        outbox: Outbox,
        transport: MailTransport,
        *,
        sender: str,
        clock: Clock,
        metrics: Metrics,
        logger: Logger,
        lease: float,
        batch_size: int,
        poll_interval: float,
        backoff: Backoff,
        retention: float,
    ) -> None:
        self._outbox = outbox
        self._transport = transport
        self._sender = sender
        self._clock = clock
        self._metrics = metrics
        self._log = logger
        self._lease = lease
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._backoff = backoff
        self._retention = retention
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_error: str | None = None
        self._last_housekeeping = 0.0
        self._round_error: str | None = None
        self.housekeeping: list[Housekeeping] = []

    def wake(self) -> None:
        """A message was queued in this process: deliver without waiting for the next poll."""
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="mail-sender")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._transport.aclose()

    async def check(self) -> None:
        """Healthy unless the last attempt failed with an error that may pass (SMTP down)."""
        if self._last_error is not None:
            raise MailUnhealthy(self._last_error)

    async def _run(self) -> None:
        while True:
            try:
                handled = await self.deliver_due()
                await self._housekeeping()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is down: try again next round
                handled = 0
                self._round_failed(exc)
            if handled >= self._batch_size:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_interval)
            self._wake.clear()

    def _round_failed(self, exc: Exception) -> None:
        """Log a failed round once per distinct error (an outage is one line, not one a poll)."""
        text = f"{type(exc).__name__}: {str(exc)[:200]}"
        if text != self._round_error:
            self._round_error = text
            self._log.warn(
                "Mail sender round failed",
                **{"error.kind": type(exc).__name__, "error.message": str(exc)[:200]},
            )

    async def deliver_due(self) -> int:
        """Claim and deliver one batch; how many messages were handled."""
        batch = await self._outbox.claim(
            now=self._clock.now(), lease=self._lease, limit=self._batch_size
        )
        self._round_error = None
        if not batch:
            return 0
        try:
            for queued in batch:
                await self._deliver(queued)
        finally:
            await self._transport.aclose()
        return len(batch)

    async def _deliver(self, queued: QueuedMessage) -> None:
        try:
            await self._transport.send(queued.message, sender=self._sender)
        except DeliveryFailed as failed:
            await self._failed(queued, failed)
            return
        await self._outbox.mark_sent(queued.id, self._clock.now())
        self._last_error = None
        self._metrics.increment("mail.sent.count", tags={"kind": queued.message.kind})
        self._log.info("Mail sent", mail_id=queued.id, kind=queued.message.kind)

    async def _failed(self, queued: QueuedMessage, failed: DeliveryFailed) -> None:
        now = self._clock.now()
        decision = after_failure(
            attempts=queued.attempts,
            created_at=queued.created_at,
            now=now,
            permanent=failed.permanent,
            backoff=self._backoff,
        )
        final = isinstance(decision, GiveUp)
        if not failed.permanent:
            self._last_error = failed.reason
        self._metrics.increment(
            "mail.failed.count",
            tags={"kind": queued.message.kind, "final": "true" if final else "false"},
        )
        fields = {
            "mail_id": queued.id,
            "kind": queued.message.kind,
            "attempts": queued.attempts,
            "error.message": failed.reason,
        }
        if isinstance(decision, GiveUp):
            await self._outbox.mark_failed(queued.id, failed.reason)
            self._log.error("Mail given up", reason=decision.reason, **fields)
            return
        await self._outbox.mark_retry(queued.id, decision.at, failed.reason)
        self._log.warn(
            "Mail delivery failed; will retry",
            retry_in_s=round((decision.at - now).total_seconds()),
            **fields,
        )

    async def _housekeeping(self) -> None:
        """Now and then: prune sent messages past retention, publish the outbox depth, and
        run the other modules' clean-ups (expired account tokens)."""
        started = time.monotonic()
        if started - self._last_housekeeping < HOUSEKEEPING_INTERVAL:
            return
        self._last_housekeeping = started
        now = self._clock.now()
        pruned = await self._outbox.prune(before=now - timedelta(seconds=self._retention))
        if pruned:
            self._log.info("Mail outbox pruned", deleted=pruned)
        status = await self._outbox.status(now)
        self._metrics.gauge("mail.outbox.pending", status.pending)
        self._metrics.gauge("mail.outbox.failed", status.failed)
        for task in self.housekeeping:
            await task()
