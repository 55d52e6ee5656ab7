"""`boundary mail status | retry | purge` against a real SQLite outbox holding a failed mail."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from boundary.db.shell.engine import Database
from boundary.mail.core import Message
from boundary.mail.shell import outbox
from boundary.mail.shell.outbox import Outbox
from boundary.observability.logging import get_logger
from boundary.observability.metrics.shell.noop import NoopMetrics
from tests.support.process import run_cli

pytestmark = pytest.mark.e2e


async def _one_failed(url: str) -> str:
    database = Database(
        url, pool_size=1, pool_timeout_ms=5000, metrics=NoopMetrics(), logger=get_logger("t")
    )
    now = datetime.now(UTC)
    try:
        async with database.connect() as conn, conn.begin():
            message = Message(
                kind="password_reset", recipient="a@example.com", subject="s", text="t", html="h"
            )
            await outbox.enqueue(conn, id=uuid.uuid4(), message=message, now=now)
        (claimed,) = await Outbox(database).claim(now=now, lease=60, limit=1)
        await Outbox(database).mark_failed(claimed.id, "SMTP 550: no such mailbox")
        return claimed.id
    finally:
        await database.close()


def test_status_retry_and_purge(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}"}
    assert run_cli("migrate", "migrate", env=env).returncode == 0
    failed_id = asyncio.run(_one_failed(env["DATABASE_URL"]))

    shown = run_cli("mail", "status", env=env)
    assert shown.returncode == 0, shown.stderr
    assert "failed 1" in shown.stdout
    assert f"failed {failed_id} password_reset a@example.com attempts=1" in shown.stdout
    assert "550" in shown.stdout

    retried = run_cli("mail", "retry", "--id", failed_id, env=env)
    assert retried.returncode == 0
    assert retried.stdout.strip() == "1 message(s) queued again"
    state = json.loads(run_cli("mail", "status", "--json", env=env).stdout)
    assert (state["pending"], state["due"], state["failed"]) == (1, 1, 0)

    refused = run_cli("mail", "purge", env=env)
    assert refused.returncode == 2
    assert len(refused.stderr.strip().splitlines()) == 1
    purged = run_cli("mail", "purge", "--yes", "--pending", env=env)
    assert purged.stdout.strip() == "1 message(s) deleted"
    assert json.loads(run_cli("mail", "status", "--json", env=env).stdout)["pending"] == 0


def test_an_unmigrated_database_is_one_line_and_exit_1(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    result = run_cli("mail", "status", env=env)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "migrations" in result.stderr
