"""`boundary mail …` (entry): look into the outbox and unstick it.

- `status` — counts by state, how many are due now, the age of the oldest waiting message, and
  the most recent failed (given-up) messages with their last error.
- `retry [--id ID]…` — queue failed messages (all, or those ids) and waiting ones again, due
  now, with a fresh retry window (after fixing the SMTP settings, say).
- `purge --yes [--pending] [--sent]` — delete failed messages (and, when asked, waiting or sent
  ones): for mail that should never go out.

Exit codes (§2): 0 done; 1 runtime failure (database unreachable, no outbox table yet);
2 usage (purge without --yes, a malformed id), one line.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar
from uuid import UUID

import typer

from boundary.cli.common import ConfigDirOpt, EnvOpt, fail, load_with_logging

if TYPE_CHECKING:
    from collections.abc import Sequence

    from boundary.config.model import Settings
    from boundary.mail.shell.outbox import FailedMessage, Outbox, OutboxStatus

T = TypeVar("T")

mail_app = typer.Typer(help="Inspect, resend or purge outgoing mail.", no_args_is_help=True)


@mail_app.command("status")
def status(
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object")] = False,
    env: EnvOpt = None,
    config_dir: ConfigDirOpt = None,
) -> None:
    """Outbox counts, the oldest waiting message and the latest failures."""
    settings = _settings(env, config_dir)
    now = datetime.now(UTC)

    async def gather(outbox: Outbox) -> tuple[OutboxStatus, Sequence[FailedMessage]]:
        return await outbox.status(now), await outbox.failed(limit=20)

    found, failed = _run(settings, gather)
    oldest = None if found.oldest_pending is None else (now - found.oldest_pending).total_seconds()
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "pending": found.pending,
                    "due": found.due,
                    "sent": found.sent,
                    "failed": found.failed,
                    "oldest_pending_seconds": None if oldest is None else round(oldest),
                    "failed_messages": [_failed_json(f) for f in failed],
                }
            )
        )
        return
    typer.echo(
        f"pending {found.pending} (due now {found.due}), sent {found.sent}, failed {found.failed}"
    )
    if oldest is not None:
        typer.echo(f"oldest pending: {round(oldest)}s ago")
    for item in failed:
        typer.echo(
            f"failed {item.id} {item.kind} {item.recipient} attempts={item.attempts} "
            f"error={item.last_error or '-'}"
        )


@mail_app.command("retry")
def retry(
    ids: Annotated[
        list[str] | None, typer.Option("--id", help="only this message (repeatable)")
    ] = None,
    env: EnvOpt = None,
    config_dir: ConfigDirOpt = None,
) -> None:
    """Queue failed (and waiting) messages again, due now."""
    chosen = [_uuid(raw) for raw in ids or ()]
    settings = _settings(env, config_dir)
    now = datetime.now(UTC)
    count = _run(settings, lambda outbox: outbox.retry(now=now, ids=chosen))
    typer.echo(f"{count} message(s) queued again")


@mail_app.command("purge")
def purge(
    yes: Annotated[bool, typer.Option("--yes", help="really delete")] = False,
    pending: Annotated[bool, typer.Option("--pending", help="also undelivered mail")] = False,
    sent: Annotated[bool, typer.Option("--sent", help="also delivered mail")] = False,
    env: EnvOpt = None,
    config_dir: ConfigDirOpt = None,
) -> None:
    """Delete failed messages (and waiting or sent ones when asked)."""
    if not yes:
        fail("mail purge deletes mail for good: add --yes", 2)
    settings = _settings(env, config_dir)
    count = _run(settings, lambda outbox: outbox.purge(failed=True, pending=pending, sent=sent))
    typer.echo(f"{count} message(s) deleted")


def _failed_json(item: FailedMessage) -> dict[str, object]:
    return {
        "id": str(item.id),
        "kind": item.kind,
        "recipient": item.recipient,
        "attempts": item.attempts,
        "last_error": item.last_error,
        "created_at": item.created_at.isoformat(),
    }


def _uuid(raw: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError:
        fail(f"--id {raw!r}: not a message id (a UUID from `boundary mail status`)", 2)


def _settings(env: str | None, config_dir: Path | None) -> Settings:
    return load_with_logging(env, config_dir, level="error").settings


def _run(settings: Settings, action: Callable[[Outbox], Awaitable[T]]) -> T:
    from sqlalchemy.exc import DBAPIError

    from boundary.db.errors import DatabaseUnavailable
    from boundary.db.shell.url import display_url

    try:
        return asyncio.run(_with_outbox(settings, action))
    except DatabaseUnavailable as exc:
        fail(f"{exc} ({display_url(settings.database.url)})", 1)
    except DBAPIError as exc:
        kind = type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__
        fail(
            f"mail outbox unreadable ({kind}); are migrations applied? (`boundary migrate status`)",
            1,
        )


async def _with_outbox(settings: Settings, action: Callable[[Outbox], Awaitable[T]]) -> T:
    from boundary.db.shell.engine import Database
    from boundary.mail.shell.outbox import Outbox
    from boundary.observability.logging import get_logger
    from boundary.observability.metrics.shell.noop import NoopMetrics

    db = settings.database
    database = Database(
        db.url,
        pool_size=2,
        pool_timeout_ms=db.pool_timeout_ms,
        metrics=NoopMetrics(),
        logger=get_logger("boundary.db"),
    )
    try:
        return await action(Outbox(database))
    finally:
        await database.close()
