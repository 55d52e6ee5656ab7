"""Migrations at start-up (shell): `database.auto_migrate`, and the readiness check that fails
while migrations are pending (§4: `/health/ready` is 503 until the schema is current)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from boundary.db.errors import DatabaseUnavailable
from boundary.db.shell.engine import Database
from boundary.db.shell.startup import wait_for_database
from boundary.migrations.core import Catalog
from boundary.migrations.shell import MigrationRunner
from boundary.observability.logging import Logger


async def auto_migrate(database: Database, directory: Path, logger: Logger) -> None:
    """`database.auto_migrate = true`: wait for the server, then apply pending migrations."""
    await wait_for_database(database, logger)
    started = time.monotonic()
    applied = await MigrationRunner(database, directory, logger).migrate()
    logger.info(
        "Migrations up to date",
        applied=len(applied),
        duration_ms=round((time.monotonic() - started) * 1000, 1),
    )


class MigrationsCheck:
    """Readiness: fails while migrations are pending.

    The directory is read once (off the event loop) and a confirmed "up to date" is reused for
    `ttl` seconds, so `/health` under load costs no file I/O and at most one query per `ttl`.
    An unreachable database is the `database` check's to report, not a pending migration; so
    is a query that cannot get a connection within `query_timeout` on a saturated pool — once
    the migrations were seen up to date, that keeps the last answer instead of failing.
    """

    def __init__(
        self, runner: MigrationRunner, *, ttl: float = 5.0, query_timeout: float = 1.0
    ) -> None:
        self._runner = runner
        self._ttl = ttl
        self._query_timeout = query_timeout
        self._catalog: Catalog | None = None
        self._fresh_until = 0.0
        self._confirmed = False
        self._lock = asyncio.Lock()

    async def __call__(self) -> None:
        if time.monotonic() < self._fresh_until:
            return
        async with self._lock:
            if time.monotonic() < self._fresh_until:
                return
            await self._check()

    async def _check(self) -> None:
        if self._catalog is None:
            self._catalog = await asyncio.to_thread(self._runner.available)
        try:
            pending = await asyncio.wait_for(
                self._runner.pending(self._catalog), self._query_timeout
            )
        except DatabaseUnavailable:
            return
        except TimeoutError:
            if self._confirmed:
                return
            raise
        if pending:
            self._confirmed = False
            raise RuntimeError(f"{len(pending)} migration(s) pending")
        self._confirmed = True
        self._fresh_until = time.monotonic() + self._ttl
