"""Where the logs are JSON (prod's default, or LOG_FORMAT=json), a failing command's one
stderr line is a JSON record too — configuration, usage and runtime failures alike — so every
line the process prints is JSON; elsewhere it stays the plain `boundary: …` line."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.support.process import run_cli

PROD_SECRETS = {"JWT_SECRET": "j" * 48, "SESSION_SECRET": "s" * 48}


def json_failure(result: subprocess.CompletedProcess[str], code: int) -> dict[str, Any]:
    assert result.returncode == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    record: dict[str, Any] = json.loads(lines[0])
    assert (record["level"], record["logger"], record["exit-code"]) == (
        "error",
        "boundary.cli",
        code,
    )
    assert {"timestamp", "service", "message"} <= set(record)
    assert result.stdout == ""
    return record


def test_a_prod_configuration_error_is_one_json_line() -> None:
    result = run_cli("config", "check", env={"ENV": "prod", "DATABASE_URL": "postgresql://h/db"})
    assert "JWT_SECRET" in json_failure(result, 2)["message"]


def test_a_prod_usage_error_is_one_json_line() -> None:
    result = run_cli("users", "list", "--active", "maybe", env={"ENV": "production"})
    assert "--active" in json_failure(result, 2)["message"]


def test_a_runtime_failure_with_json_logs_is_one_json_line(tmp_path: Path) -> None:
    """An unknown user (exit 1) on a migrated database, in prod and with LOG_FORMAT=json."""
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert run_cli("migrate", "migrate", env={"DATABASE_URL": url}).returncode == 0
    prod = {"ENV": "prod", "DATABASE_URL": url, **PROD_SECRETS}
    record = json_failure(run_cli("users", "show", "nobody@example.com", env=prod), 1)
    assert record["message"] == "boundary: no such user: nobody@example.com"
    logs = {"LOG_FORMAT": "json", "DATABASE_URL": url}
    json_failure(run_cli("users", "erase", "nobody@example.com", "--yes", env=logs), 1)


def test_elsewhere_the_failure_stays_a_plain_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    result = run_cli("users", "show", "nobody@example.com", env={"DATABASE_URL": url})
    assert result.returncode == 1
    assert result.stderr.strip().startswith("boundary: ")
