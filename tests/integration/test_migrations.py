"""The migration runner on every real database: apply, dry run, roll back, drift, variants,
failures, the lock — and up→down→up for every migration in the repository's `migrations/`."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import warnings
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import SAWarning

from boundary.db.shell.engine import Database
from boundary.migrations import core
from boundary.migrations.shell import (
    MYSQL_LOCK_NAME,
    PG_LOCK_KEY,
    MigrationError,
    MigrationRefused,
    MigrationRunner,
    create_migration,
)
from boundary.observability.logging import get_logger
from boundary.observability.metrics.shell.noop import NoopMetrics
from tests.conftest import FreshDatabase
from tests.support.process import ROOT

pytestmark = pytest.mark.anyio

M1, M2, M3 = "20240101-000000", "20240102-000000", "20240103-000000"
NOTE = "a:b; 50% -- not a comment, 'quoted' /* nor this */"
BASIC = {
    f"{M1}-create-things.up.sql": (
        "-- the first table\nCREATE TABLE things (id INTEGER PRIMARY KEY, note VARCHAR(100));\n"
    ),
    f"{M1}-create-things.down.sql": "DROP TABLE things;\n",
    f"{M2}-add-thing.up.sql": (
        "/* a literal full of traps */\n"
        f"INSERT INTO things (id, note) VALUES (1, '{NOTE.replace(chr(39), chr(39) * 2)}');\n"
        "-- trailing comment only\n"
    ),
    f"{M2}-add-thing.down.sql": "DELETE FROM things WHERE id = 1;\n",
    f"{M3}-create-others.up.sql": "CREATE TABLE others (id INTEGER PRIMARY KEY);\n",
    f"{M3}-create-others.down.sql": "DROP TABLE others;\n",
}


class QueryCounter:
    """A metrics fake that counts queries by operation."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    def increment(self, name: str, value: float = 1, tags: Mapping[str, str] | None = None) -> None:
        if name == "database.query.count" and tags:
            self.queries.append(tags["operation"])

    def timing(self, name: str, milliseconds: float, tags: Mapping[str, str] | None = None) -> None:
        return None

    def gauge(self, name: str, value: float, tags: Mapping[str, str] | None = None) -> None:
        return None


def make_db(url: str, metrics: Any = None) -> Database:
    return Database(
        url,
        pool_size=3,
        pool_timeout_ms=5000,
        metrics=metrics or NoopMetrics(),
        logger=get_logger("test.db"),
    )


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = make_db(database_url)
    yield database
    await database.close()


def write(directory: Path, files: Mapping[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (directory / name).write_text(content, encoding="utf-8")
    return directory


def runner(db: Database, directory: Path, **kwargs: Any) -> MigrationRunner:
    return MigrationRunner(db, directory, get_logger("test.migrations"), **kwargs)


async def tables(db: Database) -> set[str]:
    async with db.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def recorded(db: Database) -> list[tuple[str, str, str]]:
    """(id, name, checksum) rows of schema_migrations in id order."""
    async with db.connect() as conn:
        query = text("SELECT id, name, checksum FROM schema_migrations ORDER BY id")
        return [(r[0], r[1], r[2]) for r in (await conn.execute(query)).all()]


async def scalar(db: Database, sql: str) -> Any:
    async with db.connect() as conn:
        return (await conn.execute(text(sql))).scalar()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- status, pending, dry run ----------------------------------------------------------------


async def test_a_fresh_database_has_everything_pending_and_reading_creates_nothing(
    db: Database, tmp_path: Path
) -> None:
    """status/pending on a database without schema_migrations: all pending, no table made."""
    migrations = runner(db, write(tmp_path / "m", BASIC))
    report = await migrations.status()
    assert [(r.id, r.applied_at) for r in report.rows] == [(M1, None), (M2, None), (M3, None)]
    assert [m.id for m in await migrations.pending()] == [M1, M2, M3]
    assert await tables(db) == set()


async def test_pending_is_a_single_query(database_url: str, tmp_path: Path) -> None:
    """Readiness calls pending() every second: one SELECT, with or without the table."""
    counter = QueryCounter()
    database = make_db(database_url, counter)
    try:
        migrations = runner(database, write(tmp_path / "m", BASIC))
        await migrations.pending()
        assert counter.queries.count("select") <= 1  # a failed query is not counted
        await migrations.migrate()
        counter.queries.clear()
        assert await migrations.pending() == ()
        assert counter.queries.count("select") == 1
        assert set(counter.queries) <= {"select", "begin"}
    finally:
        await database.close()


async def test_dry_run_changes_nothing(db: Database, tmp_path: Path) -> None:
    """--dry-run lists what would run; not even schema_migrations is created."""
    directory = write(tmp_path / "m", {k: v for k, v in BASIC.items() if not k.startswith(M3)})
    assert await runner(db, directory).migrate(dry_run=True) == [M1, M2]
    assert await tables(db) == set()
    assert await runner(db, directory).migrate() == [M1, M2]
    write(directory, BASIC)
    before = await recorded(db), await tables(db)
    assert await runner(db, directory).migrate(dry_run=True) == [M3]
    assert (await recorded(db), await tables(db)) == before


# --- migrate and rollback --------------------------------------------------------------------


async def test_migrate_applies_in_order_records_each_once_and_is_idempotent(
    db: Database, tmp_path: Path
) -> None:
    directory = write(tmp_path / "m", BASIC)
    migrations = runner(db, directory)
    started = datetime.now(UTC)
    assert await migrations.migrate() == [M1, M2, M3]
    assert await recorded(db) == [
        (M1, "create-things", sha256(directory / f"{M1}-create-things.up.sql")),
        (M2, "add-thing", sha256(directory / f"{M2}-add-thing.up.sql")),
        (M3, "create-others", sha256(directory / f"{M3}-create-others.up.sql")),
    ]
    assert await scalar(db, "SELECT note FROM things WHERE id = 1") == NOTE
    assert await migrations.migrate() == []
    assert await migrations.pending() == ()
    report = await migrations.status()
    for row in report.rows:
        assert row.applied_at is not None
        assert row.applied_at.tzinfo is not None
        assert started - timedelta(seconds=5) < row.applied_at < datetime.now(UTC)
        assert not row.drift


async def test_schema_migrations_has_the_contract_columns(db: Database, tmp_path: Path) -> None:
    """id, name, checksum, applied_at — timestamptz / DATETIME(6) UTC / ISO-8601 UTC text."""
    await runner(db, write(tmp_path / "m", BASIC)).migrate()
    async with db.connect() as conn:
        columns = await conn.run_sync(lambda c: inspect(c).get_columns("schema_migrations"))
        pk = await conn.run_sync(lambda c: inspect(c).get_pk_constraint("schema_migrations"))
    assert [c["name"] for c in columns] == ["id", "name", "checksum", "applied_at"]
    assert pk["constrained_columns"] == ["id"]
    applied_at = next(c["type"] for c in columns if c["name"] == "applied_at")
    if db.dialect == "postgresql":
        assert applied_at.timezone is True
    elif db.dialect == "mysql":
        assert (type(applied_at).__name__, applied_at.fsp) == ("DATETIME", 6)
    else:
        stored = await scalar(db, f"SELECT applied_at FROM schema_migrations WHERE id = '{M1}'")
        assert stored.endswith("Z")
        assert datetime.fromisoformat(stored).tzinfo is not None


async def test_rollback_reverts_newest_first_by_steps_and_up_down_up_works(
    db: Database, tmp_path: Path
) -> None:
    migrations = runner(db, write(tmp_path / "m", BASIC))
    await migrations.migrate()
    assert await migrations.rollback() == [M3]
    assert "others" not in await tables(db)
    assert await migrations.rollback(steps=2) == [M2, M1]
    assert await tables(db) == {"schema_migrations"}
    assert await recorded(db) == []
    assert await migrations.rollback(steps=5) == []
    assert await migrations.migrate() == [M1, M2, M3]
    assert await scalar(db, "SELECT COUNT(*) FROM things") == 1


async def test_rollback_steps_must_be_positive(db: Database, tmp_path: Path) -> None:
    with pytest.raises(MigrationRefused, match="positive integer"):
        await runner(db, write(tmp_path / "m", BASIC)).rollback(steps=0)


async def test_rollback_refuses_when_a_down_file_is_missing(db: Database, tmp_path: Path) -> None:
    """All or nothing: M3 has a down file, M2 does not — steps=2 reverts neither."""
    files = {k: v for k, v in BASIC.items() if k != f"{M2}-add-thing.down.sql"}
    migrations = runner(db, write(tmp_path / "m", files))
    assert await migrations.migrate() == [M1, M2, M3]
    with pytest.raises(MigrationRefused) as refused:
        await migrations.rollback(steps=2)
    assert f"cannot roll back {M2} add-thing: no down file ({M2}-add-thing.down.sql)" in str(
        refused.value
    )
    assert "nothing was rolled back" in str(refused.value)
    assert [r[0] for r in await recorded(db)] == [M1, M2, M3]
    assert "others" in await tables(db)
    assert (await migrations.status()).warnings == (
        f"{M2} add-thing has no down file: it cannot be rolled back",
    )


# --- failures ---------------------------------------------------------------------------------


async def test_a_broken_migration_stops_at_the_last_good_one(db: Database, tmp_path: Path) -> None:
    """The error names the file and the statement; earlier migrations stay applied."""
    files = {
        **{k: v for k, v in BASIC.items() if k.startswith(M1)},
        f"{M2}-broken.up.sql": (
            "CREATE TABLE partial (id INTEGER);\n"
            "INSERT INTO things (id, note) VALUES (2, 'x');\n"
            "-- the bad one:\n"
            "INSERT INTO nosuch (id) VALUES (1);\n"
        ),
        f"{M2}-broken.down.sql": "DROP TABLE partial;\n",
        **{k: v for k, v in BASIC.items() if k.startswith(M3)},
    }
    migrations = runner(db, write(tmp_path / "m", files))
    with pytest.raises(MigrationError) as failed:
        await migrations.migrate()
    message = str(failed.value)
    assert message.startswith(
        f"{M2}-broken.up.sql: statement 3/3 failed: INSERT INTO nosuch (id) VALUES (1) — "
    )
    assert "nosuch" in message.split(" — ", 1)[1]
    assert "\n" not in message
    assert failed.value.completed == [M1]
    assert [r[0] for r in await recorded(db)] == [M1]
    assert "others" not in await tables(db)
    if db.dialect == "mysql":
        assert "MySQL/MariaDB cannot roll back DDL: statements 1..2 may be committed" in message
        assert f"{M2} is NOT recorded in schema_migrations. Repair by hand, then re-run." in message
    else:
        assert message.endswith(f"Rolled back; {M2} is NOT recorded in schema_migrations.")
        assert "partial" not in await tables(db)
        assert await scalar(db, "SELECT COUNT(*) FROM things") == 0
    assert [m.id for m in await migrations.pending()] == [M2, M3]


async def test_files_that_cannot_run_are_refused_before_anything_changes(
    db: Database, tmp_path: Path
) -> None:
    """A DELIMITER line or a COMMIT in a pending file: refused, nothing applied or created."""
    files = {
        **BASIC,
        f"{M3}-create-others.up.sql": "DELIMITER //\nCREATE TABLE others (id INTEGER)//\n",
    }
    with pytest.raises(MigrationRefused, match=f"{M3}-create-others.up.sql: DELIMITER"):
        await runner(db, write(tmp_path / "a", files)).migrate()
    files[f"{M3}-create-others.up.sql"] = "CREATE TABLE others (id INTEGER);\nCOMMIT;\n"
    with pytest.raises(MigrationRefused, match=r"statement 2 \(COMMIT\) controls the trans"):
        await runner(db, write(tmp_path / "b", files)).migrate(dry_run=True)
    assert await tables(db) == set()


async def test_malformed_files_and_a_missing_directory_are_refused(
    db: Database, tmp_path: Path
) -> None:
    files = {**BASIC, "20240104-create-x.up.sql": ";", f"{M1}-other.up.sql": ";"}
    with pytest.raises(MigrationRefused) as refused:
        await runner(db, write(tmp_path / "m", files)).pending()
    assert "20240104-create-x.up.sql: not a migration file name" in str(refused.value)
    assert f"duplicate migration id {M1}" in str(refused.value)
    with pytest.raises(MigrationRefused, match="does not exist"):
        await runner(db, tmp_path / "absent").status()
    assert await tables(db) == set()


async def test_an_edited_applied_file_is_reported_as_drift(db: Database, tmp_path: Path) -> None:
    directory = write(tmp_path / "m", BASIC)
    migrations = runner(db, directory)
    await migrations.migrate()
    up = directory / f"{M1}-create-things.up.sql"
    recorded_sum = sha256(up)
    up.write_text(up.read_text() + "-- edited after it was applied\n")
    rows = (await migrations.status()).rows
    assert [r.id for r in rows if r.drift] == [M1]
    assert (rows[0].recorded_checksum, rows[0].current_checksum) == (recorded_sum, sha256(up))
    assert await migrations.migrate() == []


async def test_a_dialect_variant_is_used_instead_of_the_portable_file(
    db: Database, tmp_path: Path
) -> None:
    others = [d for d in core.DIALECTS if d != db.dialect]
    files = {
        f"{M1}-pick.up.sql": "CREATE TABLE portable_used (id INTEGER);\n",
        f"{M1}-pick.{db.dialect}.up.sql": "CREATE TABLE variant_used (id INTEGER);\n",
        f"{M1}-pick.{others[0]}.up.sql": "CREATE TABLE wrong_variant (id INTEGER);\n",
        f"{M1}-pick.{db.dialect}.down.sql": "DROP TABLE variant_used;\n",
        f"{M1}-pick.down.sql": "DROP TABLE portable_used;\n",
    }
    directory = write(tmp_path / "m", files)
    migrations = runner(db, directory)
    assert await migrations.migrate() == [M1]
    assert await tables(db) == {"schema_migrations", "variant_used"}
    assert await recorded(db) == [
        (M1, "pick", sha256(directory / f"{M1}-pick.{db.dialect}.up.sql"))
    ]
    assert await migrations.rollback() == [M1]
    assert await tables(db) == {"schema_migrations"}


async def test_compound_statements_run_whole(db: Database, tmp_path: Path) -> None:
    """$$ bodies and BEGIN … END trigger bodies are one statement each, not split at ';'."""
    setup = (
        "CREATE TABLE log (id INTEGER PRIMARY KEY, note VARCHAR(50));\n"
        "CREATE TABLE counts (n INTEGER);\n"
        "INSERT INTO counts (n) VALUES (0);\n"
    )
    trigger = {
        "sqlite": "CREATE TRIGGER bump AFTER INSERT ON log BEGIN\n"
        "  UPDATE counts SET n = n + 1;\n  UPDATE counts SET n = n + 1;\nEND;\n",
        "mysql": "CREATE TRIGGER bump AFTER INSERT ON log FOR EACH ROW BEGIN\n"
        "  UPDATE counts SET n = n + 1;\n  UPDATE counts SET n = n + 1;\nEND;\n",
        "postgresql": "CREATE FUNCTION bump() RETURNS trigger AS $$\nBEGIN\n"
        "  UPDATE counts SET n = n + 1;\n  UPDATE counts SET n = n + 1;\n  RETURN NEW;\nEND;\n"
        "$$ LANGUAGE plpgsql;\n"
        "CREATE TRIGGER bump AFTER INSERT ON log FOR EACH ROW EXECUTE FUNCTION bump();\n",
    }[db.dialect]
    files = {f"{M1}-triggers.up.sql": setup + trigger + "INSERT INTO log VALUES (1, ':x');\n"}
    assert await runner(db, write(tmp_path / "m", files)).migrate() == [M1]
    assert await scalar(db, "SELECT n FROM counts") == 2
    assert await scalar(db, "SELECT note FROM log") == ":x"


# --- concurrency --------------------------------------------------------------------------------


async def test_concurrent_runners_apply_each_migration_once(
    database_url: str, tmp_path: Path
) -> None:
    directory = write(tmp_path / "m", BASIC)
    databases = [make_db(database_url) for _ in range(3)]
    try:
        results = await asyncio.gather(*(runner(d, directory).migrate() for d in databases))
        assert sorted(i for ids in results for i in ids) == [M1, M2, M3]
        assert [r[0] for r in await recorded(databases[0])] == [M1, M2, M3]
        assert await scalar(databases[0], "SELECT COUNT(*) FROM things") == 1
    finally:
        for database in databases:
            await database.close()


@pytest.fixture(params=["postgresql", "mysql"])
def server_url(request: pytest.FixtureRequest, fresh_database: FreshDatabase) -> str:
    """A fresh database on each server that has a real lock (SQLite locks per transaction)."""
    return fresh_database(request.param)


async def test_a_held_lock_times_out_with_a_clear_error(server_url: str, tmp_path: Path) -> None:
    """Another runner holding the lock: wait at most lock_timeout, change nothing, say why."""
    holder, database = make_db(server_url), make_db(server_url)
    lock = (
        f"SELECT pg_advisory_lock({PG_LOCK_KEY})"
        if database.dialect == "postgresql"
        else f"SELECT GET_LOCK({MYSQL_LOCK_NAME}, 0)"
    )
    try:
        async with holder.connect() as held:
            await held.execute(text(lock))
            await held.commit()
        migrations = runner(database, write(tmp_path / "m", BASIC), lock_timeout=0.3)
        with pytest.raises(MigrationError, match=r"timed out after 0\.3 s waiting for the"):
            await migrations.migrate()
        assert await tables(database) == set()
        await holder.close()  # the pooled connection that holds the lock is closed: lock freed
        assert await migrations.migrate() == [M1, M2, M3]
    finally:
        await holder.close()
        await database.close()


# --- create ------------------------------------------------------------------------------------


async def test_created_files_are_valid_empty_migrations(tmp_path: Path) -> None:
    """`create` writes comment-only files that apply and roll back as they are."""
    now = datetime(2026, 1, 3, 12, 0, 0, tzinfo=UTC)
    directory = tmp_path / "new" / "migrations"
    up, down = create_migration(directory, "add_widgets", now)
    assert (up.name, down.name) == (
        "20260103-120000-add-widgets.up.sql",
        "20260103-120000-add-widgets.down.sql",
    )
    assert up.read_text().startswith("-- Migration 20260103-120000 add-widgets")
    with pytest.raises(MigrationRefused, match="20260103-120000 is already used"):
        create_migration(directory, "another", now)
    with pytest.raises(MigrationRefused, match="invalid migration name"):
        create_migration(directory, "Bad Name", now + timedelta(seconds=1))
    database = make_db(f"sqlite:///{tmp_path / 'created.db'}")
    try:
        migrations = runner(database, directory)
        assert await migrations.migrate() == ["20260103-120000"]
        assert await migrations.rollback() == ["20260103-120000"]
    finally:
        await database.close()


# --- the repository's own migrations ----------------------------------------------------------


async def schema(db: Database) -> dict[str, Any]:
    """Tables (but schema_migrations) with their columns, keys and indexes: what down undoes."""

    def snapshot(conn: Any) -> dict[str, Any]:
        inspector = inspect(conn)
        result: dict[str, Any] = {}
        for table in sorted(set(inspector.get_table_names()) - {"schema_migrations"}):
            result[table] = (
                [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)],
                inspector.get_pk_constraint(table)["constrained_columns"],
                sorted(str(sorted(fk.items())) for fk in inspector.get_foreign_keys(table)),
                sorted(
                    (i["name"], bool(i["unique"]), str(i.get("expressions") or i["column_names"]))
                    for i in inspector.get_indexes(table)
                ),
            )
        return result

    async with db.connect() as conn:
        with warnings.catch_warnings():
            # SQLite cannot reflect expression indexes (e.g. lower(email)); the name still shows.
            warnings.simplefilter("ignore", SAWarning)
            return await conn.run_sync(snapshot)


async def test_every_repository_migration_goes_up_down_and_up_again(
    db: Database, tmp_path: Path
) -> None:
    """Each migration, on top of the ones before it: up, down (schema exactly as before), up."""
    source = ROOT / "migrations"
    available = runner(db, source).available().migrations if source.is_dir() else ()
    directory = tmp_path / "m"
    directory.mkdir()
    migrations = runner(db, directory)
    for migration in available:
        for path in source.glob(f"{migration.id}-*.sql"):
            shutil.copy(path, directory / path.name)
        before = await schema(db)
        assert await migrations.migrate() == [migration.id], migration.up.filename
        after = await schema(db)
        assert await migrations.rollback() == [migration.id]
        assert await schema(db) == before, f"{migration.id}: down did not undo up"
        assert await migrations.migrate() == [migration.id]
        assert await schema(db) == after
    assert await migrations.pending() == ()
    report = await migrations.status()
    assert [r.id for r in report.rows] == [m.id for m in available]
    assert all(r.applied_at is not None and not r.drift for r in report.rows)
    assert report.warnings == ()
