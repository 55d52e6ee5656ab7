"""The connection pool on every real database: fail-fast checkout, states, query metrics."""

from __future__ import annotations

import asyncio

import pytest

from boundary.db.errors import DatabaseUnavailable
from boundary.db.shell.engine import Database, query_operation
from boundary.db.shell.url import async_url, dialect_of
from boundary.observability.logging import get_logger
from tests.fakes.observability import RecordingMetrics

pytestmark = pytest.mark.anyio


def make_db(url: str, metrics: RecordingMetrics | None = None, **kwargs: int) -> Database:
    return Database(
        url,
        pool_size=kwargs.get("pool_size", 2),
        pool_timeout_ms=kwargs.get("pool_timeout_ms", 500),
        metrics=metrics or RecordingMetrics(),
        logger=get_logger("test.db"),
    )


async def test_ping_moves_state_from_connecting_to_ready_and_shutdown(database_url: str) -> None:
    db = make_db(database_url)
    assert db.upstream_state() == "CONNECTING"
    await db.ping()
    assert db.upstream_state() == "READY"
    await db.close()
    assert db.upstream_state() == "SHUTDOWN"


async def test_queries_are_counted_and_timed_by_operation(database_url: str) -> None:
    metrics = RecordingMetrics()
    db = make_db(database_url, metrics)
    async with db.transaction() as conn:
        await conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        await conn.exec_driver_sql("INSERT INTO t (id) VALUES (1)")
    async with db.connect() as conn:
        rows = (await conn.exec_driver_sql("SELECT id FROM t")).all()
    assert [tuple(r) for r in rows] == [(1,)]
    counted = [c[3]["operation"] for c in metrics.calls if c[1] == "database.query.count"]
    assert {"create", "insert", "select"} <= set(counted)
    assert any(c[1] == "database.query.duration" and c[2] >= 0 for c in metrics.calls)
    await db.close()


async def test_exhausted_pool_fails_within_the_timeout(database_url: str) -> None:
    """Pool size 1 with the only connection held: the next checkout is a 503-able error."""
    db = make_db(database_url, pool_size=1, pool_timeout_ms=300)
    async with db.connect():
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(DatabaseUnavailable) as raised:
            async with db.connect():
                pass
        assert raised.value.reason == "pool_exhausted"
        assert loop.time() - started < 5
    await db.close()


async def test_a_busy_pool_does_not_fail_the_health_check(database_url: str) -> None:
    """Every connection held by requests, one of which just queried successfully: the
    database is evidently reachable, so `ping` passes without waiting for a connection."""
    db = make_db(database_url, pool_size=1, pool_timeout_ms=300)
    async with db.connect() as conn:
        await conn.exec_driver_sql("SELECT 1")
        await db.ping()
        assert db.upstream_state() == "READY"
    await db.close()


async def test_with_no_recent_query_the_health_check_needs_a_connection(database_url: str) -> None:
    """No query in the window: `ping` is a real round trip, so an exhausted pool fails it."""
    db = Database(
        database_url,
        pool_size=1,
        pool_timeout_ms=300,
        metrics=RecordingMetrics(),
        logger=get_logger("test.db"),
        recent_success_window=0.05,
    )
    async with db.connect() as conn:
        await conn.exec_driver_sql("SELECT 1")
        await asyncio.sleep(0.1)
        with pytest.raises(DatabaseUnavailable):
            await db.ping()
    await db.close()


async def test_unreachable_server_is_database_unavailable() -> None:
    db = make_db("postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(DatabaseUnavailable) as raised:
        await db.ping()
    assert raised.value.reason == "unreachable"
    assert db.upstream_state() == "TRANSIENT_FAILURE"
    await db.close()


async def test_transaction_rolls_back_on_error(database_url: str) -> None:
    db = make_db(database_url)
    async with db.transaction() as conn:
        await conn.exec_driver_sql("CREATE TABLE r (id INTEGER PRIMARY KEY)")

    async def insert_then_fail() -> None:
        async with db.transaction() as conn:
            await conn.exec_driver_sql("INSERT INTO r (id) VALUES (7)")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await insert_then_fail()
    async with db.connect() as conn:
        assert (await conn.exec_driver_sql("SELECT COUNT(*) FROM r")).scalar() == 0
    await db.close()


def test_url_rewriting() -> None:
    assert async_url("postgres://u:p@h/db").drivername == "postgresql+asyncpg"
    assert async_url("postgresql://u:p@h/db?sslmode=require").query == {"ssl": "require"}
    assert async_url("mysql://root@h/test").drivername == "mysql+asyncmy"
    assert async_url("sqlite:///var/x.db").drivername == "sqlite+aiosqlite"
    assert dialect_of("sqlite:///:memory:") == "sqlite"


def test_query_operation() -> None:
    assert query_operation("SELECT 1") == "select"
    assert query_operation("  (select 1)") == "select"
    assert query_operation("insert into t values (1)") == "insert"
    assert query_operation("") == "other"


async def test_database_errors_do_not_carry_bound_values(database_url: str) -> None:
    """A failed statement's message (logged, reported to Sentry) never shows its parameters."""
    from sqlalchemy import exc as sa_exc
    from sqlalchemy import text

    secret = "JBSWY3DPEHPK3PXP-mfa-secret"
    db = make_db(database_url)
    async with db.transaction() as conn:
        await conn.exec_driver_sql("CREATE TABLE s (id INTEGER PRIMARY KEY, secret VARCHAR(64))")
    insert = text("INSERT INTO s (id, secret) VALUES (1, :secret)")
    async with db.transaction() as conn:
        await conn.execute(insert, {"secret": secret})
    with pytest.raises(sa_exc.IntegrityError) as raised:
        async with db.transaction() as conn:
            await conn.execute(insert, {"secret": secret})
    assert secret not in str(raised.value)
    assert "hidden" in str(raised.value)  # SQLAlchemy says the parameters were withheld
    await db.close()
