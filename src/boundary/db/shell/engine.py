"""The process's one connection pool (shell): SQLAlchemy Core async engine plus what ops needs.

`Database` owns the engine and adds what the rest of the system relies on:
- connections that fail fast: an exhausted pool (after `pool_timeout_ms`) or an unreachable
  server raise `DatabaseUnavailable`, which HTTP answers with a 503 problem — never a hang;
- the upstream connection state shown by ops `/health?worker_info=true`;
- query count/duration by operation through the metrics port, and a slow-query warning;
- per-dialect settings: SQLite foreign keys, WAL and real transactions (BEGIN IMMEDIATE),
  MySQL READ COMMITTED like PostgreSQL's default.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import QueuePool

from boundary.db.errors import DatabaseUnavailable, driver_reason
from boundary.db.shell.prepared import QUERY_RECORDER_KEY
from boundary.db.shell.url import (
    Dialect,
    async_url,
    dialect_of,
    display_url,
    ensure_sqlite_directory,
    is_memory_sqlite,
)
from boundary.observability.logging import Logger
from boundary.observability.metrics.ports import Metrics

SLOW_QUERY_MS = 5000.0
_CONNECT_ERRORS = (sa_exc.DBAPIError, OSError, TimeoutError)


@functools.lru_cache(maxsize=2048)
def query_operation(statement: str) -> str:
    """`select`, `insert`, `update`, `delete`, … — the first SQL keyword, for metric tags."""
    word = statement.lstrip(" \t\r\n(").split(None, 1)[0].lower() if statement.strip() else ""
    return word if word.isalpha() else "other"


class Database:
    """One async engine and pool per process, with fail-fast connections."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int,
        pool_timeout_ms: int,
        metrics: Metrics,
        logger: Logger,
        connect_timeout: float = 5.0,
        on_connection_failure: Callable[[BaseException], None] | None = None,
        recent_success_window: float = 1.0,
    ) -> None:
        self.url = url
        # A query that succeeded within this window (and after the last failure) proves the
        # database reachable: under load the health check then needs no pooled connection.
        self._recent = recent_success_window
        self._last_success = float("-inf")
        self._last_failure = float("-inf")
        # Told once per outage (when the upstream state turns TRANSIENT_FAILURE): error reports.
        self._on_connection_failure = on_connection_failure
        self.dialect: Dialect = dialect_of(url)
        self._metrics = metrics
        self._log = logger
        self._state = "CONNECTING"
        # `sqlite:///:memory:` lives in ONE connection (StaticPool) that concurrent callers would
        # share mid-transaction; taking turns is the only correct way to use it.
        self._single: asyncio.Lock | None = None
        self.engine: AsyncEngine = self._create_engine(
            pool_size, pool_timeout_ms / 1000, connect_timeout
        )
        if is_memory_sqlite(self.engine.url):
            self._single = asyncio.Lock()
        # A FIFO gate in front of the pool: SQLAlchemy's async queue lets a new arrival take a
        # just-returned connection ahead of callers already waiting, which starves some
        # requests for seconds under load (p99 1.3 s at 50 clients on a 10-connection pool).
        self._gate = asyncio.Semaphore(self.pool_size)
        self._pool_timeout = pool_timeout_ms / 1000
        # Reads outside a transaction: on PostgreSQL autocommit saves the BEGIN and ROLLBACK
        # round trips (measured: 498 → 270 µs per checkout+SELECT); on MySQL the isolation
        # switch costs more than it saves, and SQLite is local.
        # On SQLite a read transaction must not take the write lock (plain BEGIN, not
        # BEGIN IMMEDIATE; see `_sqlite_begin`), or every read waits for every writer.
        self._read_engine = (
            self.engine.execution_options(isolation_level="AUTOCOMMIT")
            if self.dialect == "postgresql"
            else self.engine.execution_options(boundary_read=True)
            if self.dialect == "sqlite"
            else self.engine
        )
        self._instrument()

    def _create_engine(
        self, pool_size: int, pool_timeout: float, connect_timeout: float
    ) -> AsyncEngine:
        url = async_url(self.url)
        ensure_sqlite_directory(url)
        kwargs: dict[str, Any] = {}
        if not is_memory_sqlite(url):
            kwargs |= {"pool_size": pool_size, "max_overflow": 0, "pool_timeout": pool_timeout}
            kwargs |= {"pool_recycle": 1800}
        if self.dialect == "postgresql":
            kwargs["connect_args"] = {
                "timeout": connect_timeout,
                "server_settings": {"application_name": "boundary"},
            }
        elif self.dialect == "mysql":
            kwargs["connect_args"] = {"connect_timeout": max(1, int(connect_timeout))}
            kwargs["isolation_level"] = "READ COMMITTED"
        # A DBAPI error's text would otherwise carry the statement's bound values (a user row's
        # password hash, MFA secret) into logs, operation events and Sentry.
        kwargs["hide_parameters"] = True
        return create_async_engine(url, **kwargs)

    def _instrument(self) -> None:
        sync_engine = self.engine.sync_engine
        event.listen(sync_engine, "before_cursor_execute", _before_execute)
        event.listen(sync_engine, "after_cursor_execute", self._after_execute)
        event.listen(sync_engine, "connect", self._remember_recorder)
        if self.dialect == "sqlite":
            file_backed = not is_memory_sqlite(self.engine.url)
            event.listen(
                sync_engine, "connect", functools.partial(_sqlite_connect, wal=file_backed)
            )
            event.listen(sync_engine, "begin", _sqlite_begin)

    def _remember_recorder(self, dbapi_conn: Any, record: Any) -> None:
        record.info[QUERY_RECORDER_KEY] = self.record_query

    def _after_execute(
        self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        started = conn.info.pop("boundary_query_start", None)
        elapsed_ms = None if started is None else (time.perf_counter() - started) * 1000
        self.record_query(statement, elapsed_ms)

    def record_query(self, statement: str, elapsed_ms: float | None) -> None:
        """Count and time a statement that succeeded (also those `Prepared` runs on the
        driver directly, which find this in their connection's `info`)."""
        self._last_success = time.monotonic()
        operation = query_operation(statement)
        tags = {"operation": operation}
        self._metrics.increment("database.query.count", tags=tags)
        if elapsed_ms is not None:
            self._metrics.timing("database.query.duration", elapsed_ms, tags=tags)
            if elapsed_ms > SLOW_QUERY_MS:
                self._log.warn("Slow query", operation=operation, duration_ms=round(elapsed_ms, 1))

    def connect(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A pooled connection (begin transactions on it as needed); failures become
        `DatabaseUnavailable`."""
        return self._use(self.engine)

    def read(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A pooled connection for reads that need no transaction (health, per-request auth,
        listings): the cheapest round trips the dialect allows. Never begin() on it."""
        return self._use(self._read_engine)

    @asynccontextmanager
    async def _use(self, engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
        if self._single is not None:
            async with self._single, self._connect(engine) as conn:
                yield conn
            return
        await self._enter_gate()
        try:
            async with self._connect(engine) as conn:
                yield conn
        finally:
            self._gate.release()

    async def _enter_gate(self) -> None:
        """Wait our turn for a connection, at most `pool_timeout_ms`."""
        try:
            await asyncio.wait_for(self._gate.acquire(), self._pool_timeout)
        except TimeoutError:
            self._log.warn("Database pool exhausted", pool_size=self.pool_size)
            raise DatabaseUnavailable("pool_exhausted") from None

    @asynccontextmanager
    async def _connect(self, engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
        conn = await self._checkout(engine)
        try:
            yield conn
        except sa_exc.DBAPIError as exc:
            if exc.connection_invalidated:
                self._mark_failure(exc)
                raise DatabaseUnavailable("unreachable", self._reason(exc)) from exc
            raise
        finally:
            await conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A connection inside one transaction: committed on success, rolled back on error."""
        async with self.connect() as conn, conn.begin():
            yield conn

    async def _checkout(self, engine: AsyncEngine) -> AsyncConnection:
        try:
            conn = await engine.connect()
        except sa_exc.TimeoutError as exc:
            self._log.warn("Database pool exhausted", pool_size=self.pool_size)
            raise DatabaseUnavailable("pool_exhausted") from exc
        except _CONNECT_ERRORS as exc:
            self._mark_failure(exc)
            raise DatabaseUnavailable("unreachable", self._reason(exc)) from exc
        return conn

    def _reason(self, exc: BaseException) -> str:
        """The driver's own words for a failure, never the URL's password."""
        return driver_reason(exc, make_url(self.url).password)

    async def ping(self) -> None:
        """The health check: one round trip — or none, when a query succeeded within the last
        `recent_success_window` seconds and nothing failed since (a saturated pool must not
        make a busy, healthy instance report its database unreachable). Updates the upstream
        state either way."""
        succeeded = self._last_success
        if succeeded > self._last_failure and succeeded > time.monotonic() - self._recent:
            self._state = "READY"
            return
        try:
            async with self.read() as conn:
                await conn.exec_driver_sql("SELECT 1")
        except Exception as exc:
            self._mark_failure(exc)
            raise
        self._state = "READY"

    def _mark_failure(self, exc: BaseException) -> None:
        self._last_failure = time.monotonic()
        if self._state in ("SHUTDOWN", "TRANSIENT_FAILURE"):
            return
        self._state = "TRANSIENT_FAILURE"
        if self._on_connection_failure is not None:
            self._on_connection_failure(exc)

    def upstream_state(self) -> str:
        """CONNECTING before the first success, READY, TRANSIENT_FAILURE, or SHUTDOWN."""
        return self._state

    @property
    def pool_size(self) -> int:
        pool = self.engine.pool
        return pool.size() if isinstance(pool, QueuePool) else 1

    def pool_stats(self) -> tuple[int, int]:
        """(active, idle) connections right now."""
        pool = self.engine.pool
        if isinstance(pool, QueuePool):
            return pool.checkedout(), pool.checkedin()
        return 0, 0

    async def close(self) -> None:
        """Close every pooled connection; the upstream state becomes SHUTDOWN."""
        self._state = "SHUTDOWN"
        await self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({display_url(self.url)})"


def _before_execute(
    conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
) -> None:
    conn.info["boundary_query_start"] = time.perf_counter()


def _sqlite_connect(dbapi_conn: Any, record: Any, *, wal: bool) -> None:
    """Hand transaction control to SQLAlchemy (see `_sqlite_begin`) and turn on FKs."""
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    if wal:
        # Persistent in the file once set. Switching needs the database to itself: while
        # another connection is mid-transaction (several processes starting on a new file) it
        # stays "locked" past the busy timeout — then the next connection switches it instead.
        with contextlib.suppress(sqlite3.OperationalError):
            cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    """Real transactions on SQLite, DDL included (the driver's implicit BEGIN skips DDL);
    writers take the write lock up front, readers (`Database.read`) a plain deferred BEGIN."""
    read_only = conn.get_execution_options().get("boundary_read", False)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
