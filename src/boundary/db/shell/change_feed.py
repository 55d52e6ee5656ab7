"""PostgreSQL change notifications (shell): LISTEN on one dedicated connection, with a
heartbeat that proves the channel works.

Triggers on the tables (see the `notify-changes` migration) send `pg_notify(CHANNEL, …)` for
every committed change — the service's own, another replica's, or an operator's manual SQL —
and PostgreSQL delivers them to every listening process at commit. Caches that must never be
stale stay on only while this feed is `live`:

* live once LISTEN is in place and a heartbeat (a notification this process sends itself)
  has come back through the server;
* down as soon as the connection fails or a heartbeat does not come back within
  `heartbeat_timeout` — then `on_state(False)` is called at once, and reconnecting starts
  (capped exponential backoff), ending in `on_state(True)` when the channel works again.

The connection is outside the request pool on purpose: a LISTEN connection is held for the
process's lifetime and must not be taken from requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
from collections.abc import Callable
from typing import Any, Final

import asyncpg
from sqlalchemy.engine import make_url

from boundary.observability.logging import Logger

CHANNEL: Final = "boundary_changes"
HEARTBEAT_PREFIX: Final = "hb:"
RETRY_MAX_SECONDS: Final = 5.0


def asyncpg_dsn(url: str) -> str:
    """A driver-less PostgreSQL URL asyncpg accepts (`postgres://`, `postgresql+asyncpg://`)."""
    parsed = make_url(url).set(drivername="postgresql")
    if "sslmode" not in parsed.query and "ssl" in parsed.query:
        query = dict(parsed.query)
        query["sslmode"] = query.pop("ssl")
        parsed = parsed.set(query=query)
    return parsed.render_as_string(hide_password=False)


class PgChangeFeed:
    """Calls `on_message(payload)` for every notification on `CHANNEL`, and `on_state(live)`
    whenever the channel goes up or down."""

    def __init__(
        self,
        url: str,
        *,
        logger: Logger,
        on_message: Callable[[str], None],
        on_state: Callable[[bool], None],
        heartbeat_interval: float = 1.0,
        heartbeat_timeout: float = 1.0,
        connect_timeout: float = 5.0,
    ) -> None:
        self._dsn = asyncpg_dsn(url)
        self._log = logger
        self._on_message = on_message
        self._on_state = on_state
        self._interval = heartbeat_interval
        self._timeout = heartbeat_timeout
        self._connect_timeout = connect_timeout
        self._me = f"{HEARTBEAT_PREFIX}{os.getpid()}:{id(self):x}:"
        self._beats = itertools.count()
        self._heard: asyncio.Event | None = None
        self._expected = ""
        self._live = False
        self._task: asyncio.Task[None] | None = None

    @property
    def live(self) -> bool:
        return self._live

    def start(self) -> None:
        """Start listening in the background (returns at once; `live` follows)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="pg-change-feed")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._set_live(False)

    async def _run(self) -> None:
        delay = 0.2
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._live:
                    self._log.warn(
                        "Change feed lost; caches off until it is back",
                        **{"error.kind": type(exc).__name__},
                    )
                self._set_live(False)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)
            else:  # pragma: no cover - _listen only returns by raising
                delay = 0.2

    async def _listen(self) -> None:
        conn: Any = await asyncpg.connect(
            self._dsn,
            timeout=self._connect_timeout,
            server_settings={"application_name": "boundary-listener"},
        )
        try:
            await conn.add_listener(CHANNEL, self._notified)
            while True:
                await self._beat(conn)
                if not self._live:
                    self._set_live(True)
                    self._log.info("Change feed live", channel=CHANNEL)
                await asyncio.sleep(self._interval)
        finally:
            # No graceful close: nothing is in flight on a LISTEN connection, and an await here
            # could hold up a cancelled task (shutdown, or a test's event loop closing).
            conn.terminate()

    async def _beat(self, conn: Any) -> None:
        """Send a heartbeat and wait for it to come back; TimeoutError if it does not."""
        self._heard = asyncio.Event()
        self._expected = f"{self._me}{next(self._beats)}"
        await asyncio.wait_for(
            conn.execute("SELECT pg_notify($1, $2)", CHANNEL, self._expected), self._timeout
        )
        await asyncio.wait_for(self._heard.wait(), self._timeout)

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        if payload.startswith(HEARTBEAT_PREFIX):
            if payload == self._expected and self._heard is not None:
                self._heard.set()
            return
        self._on_message(payload)

    def _set_live(self, live: bool) -> None:
        if live != self._live:
            self._live = live
            self._on_state(live)
