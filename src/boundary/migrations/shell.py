"""Migration runner (imperative shell): reads `migrations/`, locks the database, applies, records.

We run our own runner rather than yoyo-migrations, which cannot meet the contract (§4): it
names files `.up`/`.down` differently, fixes its own tracking columns, hashes ids instead of
file contents (no drift check), has no dry run, gives up on its lock after 10 s and leaves a
stale lock row behind after `kill -9`.

The core plans (`core.py`); this module does what the plan says, per dialect:
- Lock, so concurrent runners (replicas starting at once) apply each migration exactly once.
  PostgreSQL: a session-level `pg_advisory_lock` on one dedicated connection (not the xact
  variant, which would end at the first commit), waited for at most `lock_timeout`.
  MySQL/MariaDB: `GET_LOCK('schema_migrations:<database>', timeout)`, connection-scoped, so
  every migration runs on that same connection. Both are freed by the server if the process
  dies. SQLite: each migration's `BEGIN IMMEDIATE` (see `db/shell/engine.py`) is the lock.
  The lock is taken before `schema_migrations` is created or read, and "already applied" is
  checked again inside each migration's transaction.
- Transactions: one per migration, with its `schema_migrations` row. PostgreSQL and SQLite
  roll DDL back on failure; MySQL/MariaDB commit DDL implicitly, and the error says so.
- Statements: split with `sqlparse` (quotes, comments, `$$` bodies, BEGIN…END blocks) and sent
  one at a time — never a multi-statement string (asyncmy would drop errors after the first) —
  as `text()` with colons escaped, so `:word` in a literal is not taken for a bind parameter.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, TypeVar

import sqlparse
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlparse import lexer
from sqlparse import tokens as sql_tokens

from boundary.db.shell.engine import Database
from boundary.db.shell.url import display_url
from boundary.migrations import core
from boundary.migrations.core import (
    Applied,
    Catalog,
    Invalid,
    Migration,
    Revert,
    Script,
    StatusReport,
    one_line,
)
from boundary.observability.logging import Logger, get_logger

T = TypeVar("T")

TABLE: Final = "schema_migrations"
PG_LOCK_KEY: Final = 4_152_301_775_093_160_811  # arbitrary bigint: "boundary schema_migrations"
MYSQL_LOCK_NAME: Final = "LEFT(CONCAT('schema_migrations:', DATABASE()), 64)"
DEFAULT_LOCK_TIMEOUT: Final = 600.0
_MISSING_TABLE_SQLSTATES: Final = frozenset({"42P01", "42S02"})  # PostgreSQL, MySQL
_LOCK_TIMEOUT_SQLSTATE: Final = "55P03"

_CREATE_TABLE: Final[dict[str, str]] = {
    dialect: (
        f"CREATE TABLE IF NOT EXISTS {TABLE} (id VARCHAR(32) NOT NULL PRIMARY KEY, "
        f"name VARCHAR(255) NOT NULL, checksum CHAR(64) NOT NULL, applied_at {column} NOT NULL)"
    )
    for dialect, column in (
        ("postgresql", "TIMESTAMPTZ"),
        ("mysql", "DATETIME(6)"),
        ("sqlite", "TEXT"),
    )
}
_SELECT_APPLIED: Final = text(f"SELECT id, name, checksum, applied_at FROM {TABLE}")  # noqa: S608
_SELECT_IDS: Final = text(f"SELECT id FROM {TABLE}")  # noqa: S608
_SELECT_ONE: Final = text(f"SELECT 1 FROM {TABLE} WHERE id = :id")  # noqa: S608
_INSERT: Final = text(
    f"INSERT INTO {TABLE} (id, name, checksum, applied_at) "  # noqa: S608
    "VALUES (:id, :name, :checksum, :applied_at)"
)
_DELETE: Final = text(f"DELETE FROM {TABLE} WHERE id = :id")  # noqa: S608


class MigrationError(Exception):
    """A migration could not be applied or reverted, or the lock not taken: one line naming
    the file and the failing statement. `completed` lists the ids done before it stopped."""

    def __init__(self, message: str, *, completed: Sequence[str] = ()) -> None:
        super().__init__(" ".join(message.split()))
        self.completed: list[str] = list(completed)


class MigrationRefused(MigrationError):
    """The migration files or the request are invalid; nothing was changed (CLI exit 2)."""


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement to send as is, and how to show it in an error (comments stripped)."""

    sql: str
    shown: str


def _utc_now() -> datetime:
    return datetime.now(UTC)


class MigrationRunner:
    """Applies and reverts the migrations in `directory` on `database`."""

    def __init__(
        self,
        database: Database,
        directory: Path,
        logger: Logger | None = None,
        *,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        clock: Callable[[], datetime] = _utc_now,
        announce: bool = True,
    ) -> None:
        """`announce=False` logs each applied / rolled-back migration at debug, for a caller
        (the CLI) that reports each one itself: one line per migration, not two."""
        self._db = database
        self._directory = directory
        self._log = logger or get_logger("boundary.migrations")
        self._announce = self._log.info if announce else self._log.debug
        self._lock_timeout = lock_timeout
        self._clock = clock

    @property
    def directory(self) -> Path:
        """Where the migration files are read from (`database.migrations_dir`)."""
        return self._directory

    def available(self) -> Catalog:
        """The directory's migrations for this database's dialect; `MigrationRefused` if the
        files are invalid."""
        return _checked(core.catalog(read_directory(self._directory), self._db.dialect))

    async def pending(self, catalog: Catalog | None = None) -> tuple[Migration, ...]:
        """Migrations not yet applied, in order — one query, no lock, nothing created.
        Everything is pending while `schema_migrations` does not exist. Pass `catalog`
        (from `available()`) to skip reading the directory, as the readiness check does."""
        catalog = catalog or self.available()
        with _database_errors():
            async with self._db.read() as conn:
                rows = await _select(conn, _SELECT_IDS)
        return core.pending(catalog.migrations, {str(r[0]) for r in rows or ()})

    async def status(self) -> StatusReport:
        """Every migration with its applied time or pending, drift and missing files."""
        catalog = self.available()
        with _database_errors():
            async with self._db.connect() as conn:
                applied = await _read_applied(conn)
        rows = core.status(catalog.migrations, applied or ())
        return StatusReport(rows=rows, warnings=catalog.warnings)

    async def migrate(self, *, dry_run: bool = False) -> list[str]:
        """Apply pending migrations in order, each in its own transaction; the ids applied.

        `dry_run`: the ids that would be applied; changes nothing, creates nothing, no lock.
        """
        if dry_run:
            return await self._dry_run()
        catalog = self.available()
        done: list[str] = []
        with _database_errors(done):
            async with self._locked() as conn:
                applied = await _read_applied(conn)
                todo = core.pending(catalog.migrations, {a.id for a in applied or ()})
                work = [(m, split_statements(m.up)) for m in todo]  # refuse before any change
                for migration, statements in work:
                    if not statements and not self._has_variants(migration):
                        self._log.warn(
                            "Migration has no SQL statements (empty or comments only)",
                            migration=migration.id,
                            file=migration.up.filename,
                        )
                if applied is None:
                    await self._create_table(conn)
                for migration, statements in work:
                    if await self._apply(conn, migration, statements, done):
                        done.append(migration.id)
        return done

    async def rollback(self, *, steps: int = 1) -> list[str]:
        """Revert the last `steps` applied migrations, newest first; the ids reverted.

        Refused before anything runs when one of them has no down file.
        """
        if steps < 1:
            raise MigrationRefused(f"steps must be a positive integer (got {steps})")
        catalog = self.available()
        done: list[str] = []
        with _database_errors(done):
            async with self._locked() as conn:
                applied = await _read_applied(conn) or []
                plan = _checked(core.rollback_plan(applied, catalog.migrations, steps))
                work = [(r, split_statements(r.down)) for r in plan]
                for revert, statements in work:
                    if await self._revert(conn, revert, statements, done):
                        done.append(revert.id)
        return done

    def _has_variants(self, migration: Migration) -> bool:
        """Whether another dialect has its own up file for `migration`: then an empty generic
        file is a deliberate no-op (e.g. a PostgreSQL-only feature), not a forgotten one."""
        prefix = f"{migration.id}-"
        return any(
            name.startswith(prefix) and name.endswith(".up.sql") and name != migration.up.filename
            for name in read_directory(self._directory)
        )

    async def plan_migrate(self) -> list[tuple[Migration, list[Statement]]]:
        """What `migrate` would run: each pending migration with its statements (no lock)."""
        return [(m, split_statements(m.up)) for m in await self.pending()]

    async def plan_rollback(self, *, steps: int = 1) -> list[tuple[Revert, list[Statement]]]:
        """What `rollback --steps` would run, newest first (no lock); refused like rollback."""
        catalog = self.available()
        with _database_errors():
            async with self._db.read() as conn:
                applied = await _read_applied(conn) or []
        plan = _checked(core.rollback_plan(applied, catalog.migrations, steps))
        return [(r, split_statements(r.down)) for r in plan]

    async def row_counts(self, tables: Iterable[str]) -> dict[str, int]:
        """Rows in each of `tables` (names as a migration file writes them); a table that does
        not exist is left out."""
        counts: dict[str, int] = {}
        for table in tables:
            try:
                async with self._db.read() as conn:
                    # The name comes from the operator's own down file (which runs it anyway),
                    # matched by `core.dropped_tables` to identifier characters and quotes only.
                    count = f"SELECT COUNT(*) FROM {table}"  # noqa: S608
                    found = await conn.exec_driver_sql(count)
                    counts[table] = int(found.scalar_one())
            except sa_exc.DBAPIError:
                continue
        return counts

    # --- steps ------------------------------------------------------------------------------

    async def _dry_run(self) -> list[str]:
        todo = await self.pending()
        for migration in todo:
            split_statements(migration.up)  # a file that could not run fails the dry run too
        return [m.id for m in todo]

    async def _create_table(self, conn: AsyncConnection) -> None:
        """`schema_migrations`, created under the lock (so never raced, never a warning)."""
        async with conn.begin():
            await conn.execute(text(_CREATE_TABLE[self._db.dialect]))

    async def _apply(
        self,
        conn: AsyncConnection,
        migration: Migration,
        statements: list[Statement],
        done: list[str],
    ) -> bool:
        """Run one up file and record it, in one transaction; False if already applied."""
        started = time.perf_counter()
        async with conn.begin():
            if (await conn.execute(_SELECT_ONE, {"id": migration.id})).first() is not None:
                return False
            await self._run(conn, migration.id, migration.up, statements, done, "up")
            await conn.execute(_INSERT, self._row(migration))
        self._announce(
            "Migration applied",
            migration=migration.id,
            name=migration.name,
            duration_ms=_elapsed_ms(started),
        )
        return True

    async def _revert(
        self, conn: AsyncConnection, revert: Revert, statements: list[Statement], done: list[str]
    ) -> bool:
        """Run one down file and forget its row, in one transaction; False if already gone."""
        started = time.perf_counter()
        async with conn.begin():
            if (await conn.execute(_SELECT_ONE, {"id": revert.id})).first() is None:
                return False
            await self._run(conn, revert.id, revert.down, statements, done, "down")
            await conn.execute(_DELETE, {"id": revert.id})
        self._announce(
            "Migration rolled back",
            migration=revert.id,
            name=revert.name,
            duration_ms=_elapsed_ms(started),
        )
        return True

    async def _run(
        self,
        conn: AsyncConnection,
        migration_id: str,
        script: Script,
        statements: list[Statement],
        done: list[str],
        direction: str,
    ) -> None:
        for index, statement in enumerate(statements, start=1):
            try:
                await conn.execute(text(statement.sql.replace(":", r"\:")))
            except sa_exc.DBAPIError as exc:
                self._log.error(
                    "Migration failed",
                    migration=migration_id,
                    file=script.filename,
                    statement=index,
                    **{"error.kind": type(exc.orig).__name__, "error.message": _reason(exc)},
                )
                detail = f"{one_line(statement.shown, 60)} — {_reason(exc)}."
                position = (index, len(statements))
                message = self._failure(migration_id, script, position, detail, direction)
                raise MigrationError(message, completed=done) from exc

    def _failure(
        self,
        migration_id: str,
        script: Script,
        position: tuple[int, int],
        detail: str,
        direction: str,
    ) -> str:
        """The error line: file, statement, the database's error, and what state it left."""
        index, total = position
        head = f"{script.filename}: statement {index}/{total} failed: {detail}"
        if direction == "up":
            state = f"{migration_id} is NOT recorded in {TABLE}"
        else:
            state = f"{migration_id} is still recorded in {TABLE} as applied"
        if self._db.dialect != "mysql":
            return f"{head} Rolled back; {state}."
        if index == 1:
            return f"{head} {state}."
        return (
            f"{head} MySQL/MariaDB cannot roll back DDL: statements 1..{index - 1} may be "
            f"committed; {state}. Repair by hand, then re-run."
        )

    def _row(self, migration: Migration) -> dict[str, Any]:
        return {
            "id": migration.id,
            "name": migration.name,
            "checksum": migration.checksum,
            "applied_at": _stored_time(self._clock(), self._db.dialect),
        }

    # --- the lock ---------------------------------------------------------------------------

    @asynccontextmanager
    async def _locked(self) -> AsyncIterator[AsyncConnection]:
        """A connection holding the migration lock (SQLite: per transaction, see module doc)."""
        async with self._db.connect() as conn:
            await self._acquire(conn)
            try:
                yield conn
            finally:
                await self._release(conn)

    async def _acquire(self, conn: AsyncConnection) -> None:
        if self._db.dialect == "sqlite":
            return
        if await self._try_lock(conn, wait=False):
            return
        self._log.info("Waiting for the migration lock", timeout_s=self._lock_timeout)
        if not await self._try_lock(conn, wait=True):
            raise MigrationError(
                f"timed out after {self._lock_timeout:g} s waiting for the migration lock on "
                f"{display_url(self._db.url)}: another runner holds it; nothing was changed"
            )

    async def _try_lock(self, conn: AsyncConnection, *, wait: bool) -> bool:
        """Take the lock, waiting up to `lock_timeout` if `wait`; False when not had."""
        if self._db.dialect == "mysql":
            return await self._get_mysql_lock(conn, self._lock_timeout if wait else 0.0)
        if wait:
            return await self._wait_for_pg_lock(conn)
        async with conn.begin():
            query = text("SELECT pg_try_advisory_lock(:key)")
            return bool((await conn.execute(query, {"key": PG_LOCK_KEY})).scalar())

    async def _get_mysql_lock(self, conn: AsyncConnection, wait_s: float) -> bool:
        """GET_LOCK answers 1 (had), 0 (timed out) or NULL (error)."""
        async with conn.begin():
            query = text(f"SELECT GET_LOCK({MYSQL_LOCK_NAME}, :wait_s)")
            return bool((await conn.execute(query, {"wait_s": wait_s})).scalar() == 1)

    async def _wait_for_pg_lock(self, conn: AsyncConnection) -> bool:
        timeout_ms = str(max(1, round(self._lock_timeout * 1000)))
        try:
            async with conn.begin():  # set_config(..., true): lock_timeout for this txn only
                await conn.execute(
                    text("SELECT set_config('lock_timeout', :ms, true)"), {"ms": timeout_ms}
                )
                await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": PG_LOCK_KEY})
        except sa_exc.DBAPIError as exc:
            if _sqlstate(exc) == _LOCK_TIMEOUT_SQLSTATE:
                return False
            raise
        return True

    async def _release(self, conn: AsyncConnection) -> None:
        """Give the lock back; if that fails, drop the connection — closing frees the lock."""
        if self._db.dialect == "sqlite":
            return
        if self._db.dialect == "mysql":
            sql, params = f"SELECT RELEASE_LOCK({MYSQL_LOCK_NAME})", {}
        else:
            sql, params = "SELECT pg_advisory_unlock(:key)", {"key": PG_LOCK_KEY}
        try:
            async with conn.begin():
                await conn.execute(text(sql), params)
        except BaseException as exc:
            with suppress(Exception):
                await conn.invalidate()
            if not isinstance(exc, Exception):
                raise
            self._log.warn("Migration lock release failed; connection dropped", error=str(exc))


# --- files and statements ------------------------------------------------------------------


def read_directory(directory: Path) -> dict[str, bytes]:
    """`{filename: bytes}` of the directory's `*.sql` files (hidden files ignored)."""
    if not directory.is_dir():
        raise MigrationRefused(
            f"migrations directory {directory} does not exist (database.migrations_dir)"
        )
    try:
        return {
            path.name: path.read_bytes()
            for path in directory.iterdir()
            if path.suffix == ".sql" and not path.name.startswith(".") and path.is_file()
        }
    except OSError as exc:
        raise MigrationRefused(f"cannot read {directory}: {exc.strerror or exc}") from exc


def split_statements(script: Script) -> list[Statement]:
    """The file's statements, comment-only fragments dropped; `MigrationRefused` for SQL
    the runner cannot run (DELIMITER lines, BEGIN/COMMIT)."""
    problem = core.delimiter_problem(script.filename, script.sql)
    if problem is not None:
        raise MigrationRefused(problem)
    statements: list[Statement] = []
    for fragment in sqlparse.split(script.sql):
        shown = _without_comments(fragment)
        if not shown:
            continue
        problem = core.statement_problem(script.filename, len(statements) + 1, shown)
        if problem is not None:
            raise MigrationRefused(problem)
        statements.append(Statement(sql=fragment, shown=shown))
    return statements


def _without_comments(fragment: str) -> str:
    """The statement without comments or final ';' (lexer only: cheap even for huge INSERTs)."""
    tokens = lexer.tokenize(fragment)  # type: ignore[no-untyped-call]
    kept = (value for kind, value in tokens if kind not in sql_tokens.Comment)
    return "".join(kept).strip().removesuffix(";").rstrip()


def create_migration(directory: Path, name: str, now: datetime) -> tuple[Path, Path]:
    """Write `<id>-<name>.up.sql` and `.down.sql` with a comment header; both paths."""
    up_name, down_name = _checked(core.new_migration_names(name, now))
    parsed = _checked(core.parse_filename(up_name))
    directory.mkdir(parents=True, exist_ok=True)
    clash = sorted(p.name for p in directory.glob(f"{parsed.id}-*.sql"))
    if clash:
        raise MigrationRefused(
            f"migration id {parsed.id} is already used by {clash[0]}; try again in a second"
        )
    up_path, down_path = directory / up_name, directory / down_name
    _write_new(up_path, core.template(parsed.id, parsed.name, "up"))
    _write_new(down_path, core.template(parsed.id, parsed.name, "down"))
    return up_path, down_path


def _write_new(path: Path, content: str) -> None:
    """Write a file that must not exist yet (never overwrite a migration)."""
    with path.open("x", encoding="utf-8") as file:
        file.write(content)


# --- helpers -------------------------------------------------------------------------------


def _checked(value: T | Invalid) -> T:
    """The planned value, or `MigrationRefused` with every problem on one line."""
    if isinstance(value, Invalid):
        raise MigrationRefused(value.message)
    return value


@contextmanager
def _database_errors(done: Sequence[str] = ()) -> Iterator[None]:
    """Unexpected database errors (outside a migration's statements) as one-line errors."""
    try:
        yield
    except sa_exc.DBAPIError as exc:
        raise MigrationError(f"database error: {_reason(exc)}", completed=done) from exc


async def _select(conn: AsyncConnection, query: Any) -> list[Any] | None:
    """The query's rows, or None when `schema_migrations` does not exist."""
    try:
        async with conn.begin():
            return list((await conn.execute(query)).all())
    except sa_exc.DBAPIError as exc:
        if _missing_table(exc):
            return None
        raise


async def _read_applied(conn: AsyncConnection) -> list[Applied] | None:
    rows = await _select(conn, _SELECT_APPLIED)
    if rows is None:
        return None
    return [
        Applied(id=str(r[0]), name=str(r[1]), checksum=str(r[2]), applied_at=_read_time(r[3]))
        for r in rows
    ]


def _missing_table(exc: sa_exc.DBAPIError) -> bool:
    if _sqlstate(exc) in _MISSING_TABLE_SQLSTATES:
        return True
    return "no such table" in str(exc.orig)  # SQLite has no SQLSTATE


def _sqlstate(exc: sa_exc.DBAPIError) -> str | None:
    value = getattr(exc.orig, "sqlstate", None)
    return value if isinstance(value, str) else None


def _reason(exc: sa_exc.DBAPIError) -> str:
    """The database's own message, one line (never SQLAlchemy's wrapper with its SQL echo)."""
    return one_line(str(exc.orig), 200)


def _stored_time(moment: datetime, dialect: str) -> object:
    """`applied_at` as each column type wants it: timestamptz, DATETIME(6) UTC, ISO text."""
    utc = moment.astimezone(UTC)
    if dialect == "postgresql":
        return utc
    if dialect == "mysql":
        return utc.replace(tzinfo=None)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _read_time(value: object) -> datetime:
    """A stored `applied_at` back as an aware UTC datetime."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime):
        raise TypeError(f"unexpected applied_at value {value!r}")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
