"""Database start-up (shell): wait for the server.

Start-up runs after the listeners already accept, so while it waits here `/health/live` is 200
and `/health/ready` is 503; a SIGTERM during the wait cancels it cleanly.
"""

from __future__ import annotations

import asyncio

from boundary.db.errors import DatabaseUnavailable
from boundary.db.shell.engine import Database
from boundary.db.shell.url import display_url
from boundary.observability.logging import Logger

RETRY_MAX_SECONDS = 5.0


async def wait_for_database(database: Database, logger: Logger) -> None:
    """Return once the database answers, retrying with capped exponential backoff."""
    delay = 0.2
    while True:
        try:
            await database.ping()
        except DatabaseUnavailable as exc:
            logger.warn("Database not reachable yet; retrying", reason=exc.reason, retry_in_s=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_SECONDS)
            continue
        logger.info("Database connected", dialect=database.dialect, url=display_url(database.url))
        return
