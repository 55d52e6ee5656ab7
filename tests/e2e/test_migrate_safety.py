"""`boundary migrate` telling before it changes: --dry-run prints the SQL of migrate and
rollback, rollback refuses to drop a table holding rows without --yes when nobody can be
asked, an empty migration warns, and each applied migration is reported once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.test_migrate_cli import env_for, migrate, output, query, write

pytestmark = pytest.mark.e2e

A, B = "20240101-000000", "20240102-000000"
FILES = {
    f"{A}-create-notes.up.sql": (
        "-- notes people wrote\nCREATE TABLE notes (id INTEGER PRIMARY KEY);\n"
        "INSERT INTO notes (id) VALUES (1);\n"
    ),
    f"{A}-create-notes.down.sql": "DROP TABLE notes;\n",
    f"{B}-nothing.up.sql": "-- only a comment\n",
    f"{B}-nothing.down.sql": "-- only a comment\n",
}


def test_dry_runs_print_the_sql_and_change_nothing(database_url: str, tmp_path: Path) -> None:
    env = env_for(database_url, write(tmp_path / "m", FILES))
    dry = migrate("migrate", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert output(dry, "would apply", "  ") == [
        f"would apply {A} create-notes",
        "  CREATE TABLE notes (id INTEGER PRIMARY KEY);",
        "  INSERT INTO notes (id) VALUES (1);",
        f"would apply {B} nothing",
        "  -- no SQL statements (empty or comments only)",
    ]
    assert all(line.endswith("pending") for line in output(migrate("status", env=env), "2024"))
    assert migrate("migrate", env=env).returncode == 0
    back = migrate("rollback", "--steps", "2", "--dry-run", env=env)
    assert back.returncode == 0, back.stderr
    assert output(back, "would roll back", "  ") == [
        f"would roll back {B} nothing",
        "  -- no SQL statements (empty or comments only)",
        f"would roll back {A} create-notes",
        "  DROP TABLE notes;",
    ]
    assert query(database_url, "SELECT COUNT(*) FROM notes") == [(1,)]


def test_rollback_refuses_to_drop_a_table_holding_rows_without_yes(
    database_url: str, tmp_path: Path
) -> None:
    env = env_for(database_url, write(tmp_path / "m", FILES))
    assert migrate("migrate", env=env).returncode == 0
    refused = migrate("rollback", "--steps", "2", env=env)  # no terminal on stdin
    assert refused.returncode == 2, refused.stdout
    assert refused.stderr.strip() == (
        "boundary: rollback drops tables holding rows: notes (1 rows); re-run with --yes to confirm"
    )
    assert query(database_url, "SELECT COUNT(*) FROM notes") == [(1,)]
    assert len(query(database_url, "SELECT id FROM schema_migrations")) == 2
    done = migrate("rollback", "--steps", "2", "--yes", env=env)
    assert done.returncode == 0, done.stderr
    assert output(done, "rolled back") == [
        f"rolled back {B} nothing",
        f"rolled back {A} create-notes",
    ]
    assert query(database_url, "SELECT id FROM schema_migrations") == []


def test_an_empty_migration_warns_and_each_migration_is_reported_once(tmp_path: Path) -> None:
    env = env_for(f"sqlite:///{tmp_path / 'db.sqlite'}", write(tmp_path / "m", FILES))
    applied = migrate("migrate", env=env)
    assert applied.returncode == 0, applied.stderr
    everything = applied.stdout + applied.stderr
    assert output(applied, "applied") == [f"applied {A} create-notes", f"applied {B} nothing"]
    assert "Migration applied" not in everything
    warnings = [line for line in everything.splitlines() if "no SQL statements" in line]
    assert len(warnings) == 1, everything
    assert f"{B}-nothing.up.sql" in warnings[0]


def test_with_json_logs_stdout_holds_only_json_results(tmp_path: Path) -> None:
    """Prod's log format: results as JSON lines on stdout, the log lines on stderr."""
    env = {
        **env_for(f"sqlite:///{tmp_path / 'db.sqlite'}", write(tmp_path / "m", FILES)),
        "LOG_FORMAT": "json",
    }
    for args in (("migrate", "--dry-run"), ("migrate",), ("status",)):
        result = migrate(*args, env=env)
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines, args
        results = [json.loads(line) for line in lines]  # every stdout line is JSON
        assert all(set(r) == {"output"} for r in results), results
        assert all(json.loads(line)["level"] for line in result.stderr.splitlines()), args
    rolled_back = [
        json.loads(line)["output"]
        for line in migrate("rollback", "--steps", "2", "--yes", env=env).stdout.splitlines()
    ]
    assert rolled_back == [f"rolled back {B} nothing", f"rolled back {A} create-notes"]
