"""scripts/backup-db.sh and scripts/restore-db.sh (issue #7 item 4) end to end against the real
PostgreSQL: back up, drop the database, restore, the rows survive; retention, optional upload,
the confirmation, and an atomic restore that leaves the database untouched on a bad file."""

from __future__ import annotations

import gzip
import os
import re
import shutil
import stat
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.ops.tools import psql, tool
from tests.support.databases import POSTGRES_ADMIN
from tests.support.process import run_cli

ROOT = Path(__file__).resolve().parents[2]
BACKUP = ROOT / "scripts" / "backup-db.sh"
RESTORE = ROOT / "scripts" / "restore-db.sh"
NAME = re.compile(r"boundary_\d{8}_\d{6}\.sql\.gz")
ADMIN_EMAIL = "ops-admin@example.com"
BASH = shutil.which("bash") or "/bin/bash"


def script(
    path: Path, *args: str, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8"}
    return subprocess.run(
        [BASH, str(path), *args],
        env={**base, **env},
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def database(fresh_database: Callable[[str], str]) -> str:
    """A fresh PostgreSQL database, migrated and holding an admin (rows made by Boundary)."""
    tool("pg_dump")
    tool("psql")
    url = fresh_database("postgresql")
    migrated = run_cli("migrate", "migrate", env={"DATABASE_URL": url})
    assert migrated.returncode == 0, migrated.stderr
    created = run_cli(
        "users",
        "create-admin",
        "--email",
        ADMIN_EMAIL,
        "--password-stdin",
        env={"DATABASE_URL": url},
        stdin="a-long-ops-test-password-1\n",
    )
    assert created.returncode == 0, created.stdout + created.stderr
    psql(
        url,
        "INSERT INTO audit_events"
        " (event_type, actor, actor_role, email, action, result, created_at)"
        " SELECT 'login_failed', NULL, NULL, 'x@example.com', 'login', 'failure', now()"
        " FROM generate_series(1, 25)",
    )
    return url


def snapshot(url: str) -> tuple[str, ...]:
    return (
        psql(url, "SELECT count(*) FROM users"),
        psql(url, f"SELECT password_hash || role FROM users WHERE email = '{ADMIN_EMAIL}'"),
        psql(url, "SELECT count(*) FROM audit_events"),
        psql(url, "SELECT string_agg(id, ',' ORDER BY id) FROM schema_migrations"),
    )


def recreate(url: str) -> None:
    """The guide's step 2: dropdb + createdb (DESTRUCTIVE), from the admin connection."""
    name = make_url(url).database
    admin = make_url(POSTGRES_ADMIN).render_as_string(hide_password=False)
    psql(admin, f"DROP DATABASE {name} WITH (FORCE)")
    psql(admin, f"CREATE DATABASE {name}")


def test_backup_drop_restore_rows_survive(database: str, tmp_path: Path) -> None:
    before = snapshot(database)
    assert before[0] == "1"
    backups = tmp_path / "backups"
    made = script(BACKUP, env={"DATABASE_URL": database, "BACKUP_DIR": str(backups)})
    assert made.returncode == 0, made.stderr
    [file] = list(backups.iterdir())
    assert NAME.fullmatch(file.name), file.name
    assert made.stdout.strip() == str(file)
    assert stat.S_IMODE(file.stat().st_mode) == 0o600, "backups hold password hashes"
    assert b"CREATE TABLE public.users" in gzip.decompress(file.read_bytes())

    recreate(database)
    assert psql(database, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "0"
    restored = script(RESTORE, str(file), "--yes", env={"DATABASE_URL": database})
    assert restored.returncode == 0, restored.stderr
    assert snapshot(database) == before
    status = run_cli("migrate", "status", env={"DATABASE_URL": database})
    assert status.returncode == 0, status.stderr
    assert "pending" not in status.stdout
    # The restored database serves Boundary: the admin can be promoted again (reads + writes).
    again = run_cli(
        "users",
        "create-admin",
        "--email",
        ADMIN_EMAIL,
        "--password-stdin",
        env={"DATABASE_URL": database},
        stdin="a-long-ops-test-password-2\n",
    )
    assert again.returncode == 0, again.stdout + again.stderr


def test_restore_over_a_live_database_replaces_it(database: str, tmp_path: Path) -> None:
    made = script(BACKUP, env={"DATABASE_URL": database, "BACKUP_DIR": str(tmp_path)})
    assert made.returncode == 0, made.stderr
    before = snapshot(database)
    psql(database, "DELETE FROM users; CREATE TABLE stray (id int)")
    restored = script(RESTORE, made.stdout.strip(), "--yes", env={"DATABASE_URL": database})
    assert restored.returncode == 0, restored.stderr
    assert snapshot(database) == before
    assert psql(database, "SELECT count(*) FROM pg_tables WHERE tablename = 'stray'") == "0"


@pytest.mark.parametrize("answer", ["", "no\n", "yes\n"])
def test_restore_asks_before_it_destroys(database: str, tmp_path: Path, answer: str) -> None:
    made = script(BACKUP, env={"DATABASE_URL": database, "BACKUP_DIR": str(tmp_path)})
    psql(database, "DELETE FROM audit_events")
    declined = script(RESTORE, made.stdout.strip(), env={"DATABASE_URL": database}, stdin=answer)
    assert declined.returncode == 1, declined.stderr
    assert "nothing was changed" in declined.stderr
    assert psql(database, "SELECT count(*) FROM audit_events") == "0"
    # The confirmation is the database's name, typed.
    name = make_url(database).database
    accepted = script(
        RESTORE, made.stdout.strip(), env={"DATABASE_URL": database}, stdin=f"{name}\n"
    )
    assert accepted.returncode == 0, accepted.stderr
    assert psql(database, "SELECT count(*) FROM audit_events") != "0"


def test_a_bad_backup_leaves_the_database_untouched(database: str, tmp_path: Path) -> None:
    before = snapshot(database)
    not_gzip = tmp_path / "boundary_20260101_000000.sql.gz"
    not_gzip.write_text("garbage")
    proc = script(RESTORE, str(not_gzip), "--yes", env={"DATABASE_URL": database})
    assert proc.returncode == 1
    assert snapshot(database) == before
    # Valid gzip, broken SQL half-way: the single transaction rolls the DROP back too.
    broken = tmp_path / "boundary_20260101_000001.sql.gz"
    broken.write_bytes(gzip.compress(b"CREATE TABLE t (id int);\nTHIS IS NOT SQL;\n"))
    proc = script(RESTORE, str(broken), "--yes", env={"DATABASE_URL": database})
    assert proc.returncode != 0
    assert snapshot(database) == before


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert script(BACKUP, env={}).returncode == 2
    assert script(BACKUP, env={"DATABASE_URL": "sqlite:///x.db"}).returncode == 2
    assert script(RESTORE, env={"DATABASE_URL": "postgresql://x/y"}).returncode == 2
    assert script(RESTORE, str(tmp_path / "missing.sql.gz"), env={}).returncode == 2


def test_retention_deletes_only_old_boundary_backups(database: str, tmp_path: Path) -> None:
    old = time.time() - 31 * 86400
    keep_recent = tmp_path / "boundary_20260101_020000.sql.gz"
    expired = tmp_path / "boundary_20251101_020000.sql.gz"
    unrelated = tmp_path / "other_20251101_020000.sql.gz"
    for path in (keep_recent, expired, unrelated):
        path.write_bytes(gzip.compress(b"--"))
    os.utime(keep_recent, (time.time() - 29 * 86400,) * 2)
    os.utime(expired, (old, old))
    os.utime(unrelated, (old, old))
    proc = script(BACKUP, env={"DATABASE_URL": database, "BACKUP_DIR": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    assert not expired.exists()
    assert keep_recent.exists()
    assert unrelated.exists()
    assert len(list(tmp_path.glob("boundary_*.sql.gz"))) == 2


def test_upload_when_the_aws_cli_is_present(database: str, tmp_path: Path) -> None:
    """A stand-in `aws` on PATH records its arguments (no network)."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    calls = tmp_path / "aws-calls"
    (fake_bin / "aws").write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    (fake_bin / "aws").chmod(0o755)
    backups = tmp_path / "backups"
    env = {
        "DATABASE_URL": database,
        "BACKUP_DIR": str(backups),
        "PATH": f"{fake_bin}:{os.environ['PATH']}",
    }
    proc = script(BACKUP, env={**env, "BACKUP_S3_URI": "s3://bucket/boundary/"})
    assert proc.returncode == 0, proc.stderr
    [call] = calls.read_text().splitlines()
    file = proc.stdout.strip()
    assert call == f"s3 cp --only-show-errors {file} s3://bucket/boundary/{Path(file).name}"
    time.sleep(1.1)  # a new timestamp for the next file
    proc = script(BACKUP, env=env)  # no BACKUP_S3_URI: nothing uploaded
    assert proc.returncode == 0, proc.stderr
    assert len(calls.read_text().splitlines()) == 1


def test_no_aws_cli_means_no_upload_and_no_failure(database: str, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("pg_dump", "gzip", "date", "find", "mkdir", "mv", "rm", "wc", "sed", "basename"):
        found = shutil.which(name)
        assert found, name
        (bin_dir / name).symlink_to(found)
    env = {
        "DATABASE_URL": database,
        "BACKUP_DIR": str(tmp_path / "b"),
        "BACKUP_S3_URI": "s3://bucket/boundary/",
        "PATH": str(bin_dir),
    }
    proc = script(BACKUP, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "aws CLI is not installed: not uploaded" in proc.stderr


def test_shellcheck_clean() -> None:
    shellcheck = tool("shellcheck")
    scripts = sorted(str(p) for p in (ROOT / "scripts").glob("*.sh"))
    proc = subprocess.run(
        [shellcheck, "--severity=style", *scripts], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
