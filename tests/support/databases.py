"""Fresh databases on the real servers for tests: created per use, dropped afterwards (§12).

PostgreSQL and MySQL/MariaDB are found at BOUNDARY_TEST_POSTGRES_URL / BOUNDARY_TEST_MYSQL_URL
(defaults: the standard local ports). A missing server skips its tests with a visible reason,
except with BOUNDARY_REQUIRE_SERVICES=1 (CI), where it fails.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import secrets
import shutil
import tempfile
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

POSTGRES_ADMIN = os.environ.get(
    "BOUNDARY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
MYSQL_ADMIN = os.environ.get("BOUNDARY_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
REDIS_URL = os.environ.get("BOUNDARY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
DIALECTS = ("sqlite", "postgresql", "mysql")
ADMIN_STATEMENT_TIMEOUT = 60
"""Seconds a CREATE/DROP DATABASE may wait (on locks) before the test fails instead of hanging."""


def services_required() -> bool:
    return os.environ.get("BOUNDARY_REQUIRE_SERVICES") == "1"


def unavailable(what: str, error: BaseException) -> None:
    """Skip (or, in CI, fail) because a real server is not there."""
    message = f"{what} not available: {type(error).__name__}: {error}"
    if services_required():
        pytest.fail(f"{message} (BOUNDARY_REQUIRE_SERVICES=1)")
    pytest.skip(message)


async def _postgres(admin_url: str, sql: str) -> None:
    import asyncpg

    url = make_url(admin_url)
    conn = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database or "postgres",
        timeout=5,
    )
    try:
        await conn.execute(sql, timeout=ADMIN_STATEMENT_TIMEOUT)
    finally:
        await conn.close(timeout=5)


async def _mysql(admin_url: str, sql: str) -> None:
    import asyncmy

    url = make_url(admin_url)
    conn = await asyncmy.connect(
        host=url.host,
        port=url.port or 3306,
        user=url.username or "root",
        password=url.password or "",
        connect_timeout=5,
    )
    try:
        async with conn.cursor() as cursor:
            # DROP DATABASE waits for metadata locks, by default for a year: a connection some
            # test left open in a transaction would hang the run instead of failing it.
            await cursor.execute(f"SET SESSION lock_wait_timeout = {ADMIN_STATEMENT_TIMEOUT}")
            await asyncio.wait_for(cursor.execute(sql), ADMIN_STATEMENT_TIMEOUT)
    finally:
        conn.close()


def create_database(dialect: str, tmp_dir: Path) -> str:
    """A new, empty database of `dialect`; returns its URL (skips/fails if no server)."""
    name = f"boundary_test_{secrets.token_hex(4)}"
    if dialect == "sqlite":
        return f"sqlite:///{tmp_dir / (name + '.db')}"
    admin = POSTGRES_ADMIN if dialect == "postgresql" else MYSQL_ADMIN
    run = _postgres if dialect == "postgresql" else _mysql
    try:
        asyncio.run(run(admin, f"CREATE DATABASE {name}"))
    except (OSError, TimeoutError, ImportError) as exc:
        unavailable(f"{dialect} server at {make_url(admin).render_as_string()}", exc)
    return make_url(admin).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop a database made by `create_database` (PostgreSQL: terminating its connections)."""
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        return
    name = parsed.database
    if parsed.drivername.startswith("postgres"):
        asyncio.run(_postgres(POSTGRES_ADMIN, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    else:
        asyncio.run(_mysql(MYSQL_ADMIN, f"DROP DATABASE IF EXISTS {name}"))


def set_connections_allowed(url: str, allowed: bool) -> None:
    """Close the database to every new connection and cut the open ones (or reopen it)."""
    name = make_url(url).database
    sql = f"ALTER DATABASE {name} ALLOW_CONNECTIONS {'true' if allowed else 'false'}"
    if not allowed:
        sql += f"; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    asyncio.run(_postgres(POSTGRES_ADMIN, sql))


_TEMPLATES: dict[Path, Path] = {}
"""Migrations directory → a SQLite file migrated with it, made once per test process."""


async def start_from_migrated_sqlite(url: str, migrations: Path) -> None:
    """Before migrating a fresh SQLite database, copy in one already migrated with the same
    files: the runner then only checks it (milliseconds) instead of applying every migration
    (a tenth of a second or more, in hundreds of tests). A no-op for other dialects or a file
    that exists; the state is the runner's own (same tables, same history with checksums)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or not parsed.database:
        return
    target = Path(parsed.database)
    if parsed.database == ":memory:" or target.exists():
        return
    template = _TEMPLATES.get(migrations)
    if template is None:
        template = await _migrated_template(migrations)
        _TEMPLATES[migrations] = template
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)


async def _migrated_template(migrations: Path) -> Path:
    from boundary.db.shell.engine import Database
    from boundary.migrations.shell import MigrationRunner
    from boundary.observability.logging import get_logger
    from boundary.observability.metrics.shell.noop import NoopMetrics

    directory = Path(tempfile.mkdtemp(prefix="boundary-sqlite-template-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    path = directory / "migrated.db"
    database = Database(
        f"sqlite:///{path}",
        pool_size=1,
        pool_timeout_ms=5000,
        metrics=NoopMetrics(),
        logger=get_logger("tests.template"),
    )
    try:
        await MigrationRunner(database, migrations).migrate()
    finally:
        await database.close()
    leftovers = [p.name for p in directory.iterdir() if p != path]
    assert not leftovers, f"the template left {leftovers} beside it (WAL not checkpointed?)"
    return path
