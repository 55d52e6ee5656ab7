"""`boundary migrate …` as an operator runs it: output lines, exit codes, one-line errors, and
three replicas migrating one database at once (§2, §4)."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from boundary.db.shell.engine import Database
from boundary.observability.logging import get_logger
from boundary.observability.metrics.shell.noop import NoopMetrics
from tests.conftest import FreshDatabase
from tests.support.process import ROOT, base_env, boundary_cmd, run_cli

pytestmark = pytest.mark.e2e

M1, M2, M3 = "20240101-000000", "20240102-000000", "20240103-000000"
BASIC = {
    f"{M1}-create-things.up.sql": "CREATE TABLE things (id INTEGER PRIMARY KEY);\n",
    f"{M1}-create-things.down.sql": "DROP TABLE things;\n",
    f"{M2}-add-thing.up.sql": "INSERT INTO things (id) VALUES (1);\n",
    f"{M2}-add-thing.down.sql": "DELETE FROM things;\n",
    f"{M3}-create-others.up.sql": "CREATE TABLE others (id INTEGER PRIMARY KEY);\n",
    f"{M3}-create-others.down.sql": "DROP TABLE others;\n",
}


def write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (directory / name).write_text(content, encoding="utf-8")
    return directory


def env_for(url: str, directory: Path) -> dict[str, str]:
    return {"DATABASE_URL": url, "BOUNDARY_DATABASE__MIGRATIONS_DIR": str(directory)}


def migrate(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_cli("migrate", *args, env=env)


def output(result: subprocess.CompletedProcess[str], *prefixes: str) -> list[str]:
    """The command's own lines (log lines interleave on stdout and are left out)."""
    return [line for line in result.stdout.splitlines() if line.startswith(prefixes)]


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("boundary: ")
    return lines[0]


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    async def run() -> list[tuple[Any, ...]]:
        database = Database(
            url, pool_size=1, pool_timeout_ms=5000, metrics=NoopMetrics(), logger=get_logger("t")
        )
        try:
            async with database.connect() as conn:
                return [tuple(row) for row in (await conn.execute(text(sql))).all()]
        finally:
            await database.close()

    return asyncio.run(run())


def test_status_dry_run_migrate_and_rollback(database_url: str, tmp_path: Path) -> None:
    """The whole cycle on each database, with the contract's output lines and exit 0."""
    env = env_for(database_url, write(tmp_path / "m", BASIC))
    status = migrate("status", env=env)
    assert status.returncode == 0, status.stderr
    assert output(status, "2024") == [
        f"{M1}  create-things  pending",
        f"{M2}  add-thing  pending",
        f"{M3}  create-others  pending",
    ]
    dry = migrate("migrate", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert output(dry, "would apply") == [
        f"would apply {M1} create-things",
        f"would apply {M2} add-thing",
        f"would apply {M3} create-others",
    ]
    assert output(migrate("status", env=env), "2024")[0].endswith("pending")
    applied = migrate("migrate", env=env)
    assert applied.returncode == 0, applied.stderr
    assert output(applied, "applied") == [
        f"applied {M1} create-things",
        f"applied {M2} add-thing",
        f"applied {M3} create-others",
    ]
    again = migrate("migrate", env=env)
    assert (again.returncode, output(again, "nothing")) == (0, ["nothing to apply"])
    lines = output(migrate("status", env=env), "2024")
    assert len(lines) == 3
    assert all(line.endswith("Z") and "pending" not in line for line in lines)
    back = migrate("rollback", "--steps", "2", env=env)
    assert back.returncode == 0, back.stderr
    assert output(back, "rolled back") == [
        f"rolled back {M3} create-others",
        f"rolled back {M2} add-thing",
    ]
    assert query(database_url, "SELECT id FROM schema_migrations") == [(M1,)]


def test_status_warns_about_an_edited_applied_file_and_still_exits_0(tmp_path: Path) -> None:
    directory = write(tmp_path / "m", BASIC)
    env = env_for(f"sqlite:///{tmp_path / 'db.sqlite'}", directory)
    assert migrate("migrate", env=env).returncode == 0
    (directory / f"{M2}-add-thing.up.sql").write_text("INSERT INTO things (id) VALUES (2);\n")
    status = migrate("status", env=env)
    assert status.returncode == 0
    warning = output(status, "WARNING")
    assert len(warning) == 1
    assert warning[0].startswith(f"WARNING: {M2} changed since it was applied (checksum ")


def test_a_failed_migration_exits_1_naming_file_and_statement(tmp_path: Path) -> None:
    """The ones before it are applied (and printed); the error is one line on stderr."""
    files = {**BASIC, f"{M2}-add-thing.up.sql": "INSERT INTO nosuch (id) VALUES (1);\n"}
    env = env_for(f"sqlite:///{tmp_path / 'db.sqlite'}", write(tmp_path / "m", files))
    result = migrate("migrate", env=env)
    assert result.returncode == 1
    assert output(result, "applied") == [f"applied {M1} create-things"]
    line = error_line(result)
    assert (
        f"{M2}-add-thing.up.sql: statement 1/1 failed: INSERT INTO nosuch (id) VALUES (1)" in line
    )
    assert "no such table: nosuch" in line
    status = migrate("status", env=env)
    assert output(status, f"{M2}") == [f"{M2}  add-thing  pending"]


def test_an_unreachable_database_exits_1(tmp_path: Path) -> None:
    env = env_for("postgresql://postgres@127.0.0.1:1/nowhere", write(tmp_path / "m", BASIC))
    for command in (("status",), ("migrate",), ("rollback",)):
        result = migrate(*command, env=env)
        assert result.returncode == 1, command
        assert "database unreachable" in error_line(result)


@pytest.mark.parametrize(
    ("args", "files", "expected"),
    [
        (("create", "Bad Name"), BASIC, "invalid migration name 'Bad Name'"),
        (("rollback", "--steps", "0"), BASIC, "--steps must be a positive integer (got 0)"),
        (("migrate",), {**BASIC, "seed.sql": ";"}, "seed.sql: not a migration file name"),
        (("status",), None, "does not exist (database.migrations_dir)"),
        (
            ("migrate",),
            {**BASIC, f"{M3}-create-others.up.sql": "DELIMITER //\nSELECT 1//\n"},
            "DELIMITER is a mysql client command",
        ),
    ],
)
def test_usage_and_configuration_errors_exit_2(
    args: tuple[str, ...], files: dict[str, str] | None, expected: str, tmp_path: Path
) -> None:
    directory = write(tmp_path / "m", files) if files is not None else tmp_path / "absent"
    result = migrate(*args, env=env_for(f"sqlite:///{tmp_path / 'db.sqlite'}", directory))
    assert result.returncode == 2
    assert expected in error_line(result)
    assert output(result, "applied", "rolled back") == []


def test_rollback_without_a_down_file_is_refused_with_exit_2(tmp_path: Path) -> None:
    files = {k: v for k, v in BASIC.items() if k != f"{M3}-create-others.down.sql"}
    env = env_for(f"sqlite:///{tmp_path / 'db.sqlite'}", write(tmp_path / "m", files))
    assert migrate("migrate", env=env).returncode == 0
    result = migrate("rollback", env=env)
    assert result.returncode == 2
    assert f"cannot roll back {M3} create-others: no down file" in error_line(result)
    assert output(migrate("status", env=env), "WARNING") == [
        f"WARNING: {M3} create-others has no down file: it cannot be rolled back"
    ]


def test_create_writes_both_files_and_prints_their_paths(tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    result = migrate("create", "add_widgets", env=env_for("sqlite:///:memory:", directory))
    assert result.returncode == 0, result.stderr
    paths = [Path(line) for line in result.stdout.splitlines() if line.endswith(".sql")]
    assert [p.name[16:] for p in paths] == ["add-widgets.up.sql", "add-widgets.down.sql"]
    assert all(p.parent == directory and p.read_text().startswith("--") for p in paths)
    assert sorted(p.name for p in directory.iterdir()) == sorted(p.name for p in paths)


def test_migrate_with_nothing_to_do_says_so(tmp_path: Path) -> None:
    env = env_for(f"sqlite:///{tmp_path / 'db.sqlite'}", write(tmp_path / "m", {}))
    result = migrate("migrate", env=env)
    assert (result.returncode, output(result, "nothing")) == (0, ["nothing to apply"])
    assert output(migrate("status", env=env), "no migrations") == ["no migrations"]


# --- three replicas at once ------------------------------------------------------------------

SLEEP = {"postgresql": "SELECT pg_sleep(0.5);", "mysql": "SELECT SLEEP(0.5);"}


def slow_migrations(directory: Path, dialect: str) -> Path:
    files = {f"{M1}-create-hits.up.sql": "CREATE TABLE hits (migration VARCHAR(32) NOT NULL);\n"}
    for migration_id, name in ((M2, "slow-one"), (M3, "slow-two")):
        insert = f"INSERT INTO hits (migration) VALUES ('{migration_id}');\n"
        files[f"{migration_id}-{name}.up.sql"] = insert
        files[f"{migration_id}-{name}.{dialect}.up.sql"] = f"{SLEEP[dialect]}\n{insert}"
    files[f"{M1}-create-hits.{dialect}.up.sql"] = (
        f"{SLEEP[dialect]}\n{files[f'{M1}-create-hits.up.sql']}"
        f"INSERT INTO hits (migration) VALUES ('{M1}');\n"
    )
    return write(directory, files)


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_three_concurrent_runners_apply_each_migration_exactly_once(
    dialect: str, fresh_database: FreshDatabase, tmp_path: Path
) -> None:
    url = fresh_database(dialect)
    env = base_env(env_for(url, slow_migrations(tmp_path / "m", dialect)))
    procs = [
        subprocess.Popen(
            boundary_cmd("migrate", "migrate"),
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = [(p.communicate(timeout=60), p.returncode) for p in procs]
    assert [code for _, code in results] == [0, 0, 0], [err for (_, err), _ in results]
    applied = [
        line.split()[1]
        for (out, _), _ in results
        for line in out.splitlines()
        if line.startswith("applied ")
    ]
    assert sorted(applied) == [M1, M2, M3]
    assert query(url, "SELECT COUNT(*) FROM schema_migrations") == [(3,)]
    counts = Counter(row[0] for row in query(url, "SELECT migration FROM hits"))
    assert counts == {M1: 1, M2: 1, M3: 1}


LOCK_HELD = {
    "postgresql": "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    "mysql": "SELECT IS_USED_LOCK(LEFT(CONCAT('schema_migrations:', DATABASE()), 64)) IS NOT NULL",
}


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_a_runner_killed_mid_migration_leaves_no_stale_lock(
    dialect: str, fresh_database: FreshDatabase, tmp_path: Path
) -> None:
    """kill -9 while holding the lock: the server frees it; the next run applies everything."""
    url = fresh_database(dialect)
    create = "CREATE TABLE hits (migration VARCHAR(32) NOT NULL);\n"
    variant = f"{M1}-create-hits.{dialect}.up.sql"
    files = {f"{M1}-create-hits.up.sql": create, variant: SLEEP[dialect] + "\n" + create}
    directory = write(tmp_path / "m", {**files, variant: files[variant].replace("0.5", "1.5")})
    env = env_for(url, directory)
    victim = subprocess.Popen(
        boundary_cmd("migrate", "migrate"),
        cwd=ROOT,
        env=base_env(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while not query(url, LOCK_HELD[dialect])[0][0]:
            assert victim.poll() is None, "the runner exited before it took the lock"
            assert time.monotonic() < deadline, "the runner never took the lock"
            time.sleep(0.05)
    finally:
        victim.kill()
        victim.wait(10)
    write(directory, files)  # never recorded, so no drift: the rerun needs no long sleep
    result = migrate("migrate", env=env)
    assert result.returncode == 0, result.stderr
    assert output(result, "applied") == [f"applied {M1} create-hits"]
    assert query(url, "SELECT COUNT(*) FROM schema_migrations") == [(1,)]
