"""The `boundary` command line as a user runs it: exit codes and one-line messages (§2)."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import StartService
from tests.support.process import free_port, run_cli

pytestmark = pytest.mark.e2e


def test_version_and_secret() -> None:
    """`version` prints the version; `secret` prints 64 hex characters."""
    assert run_cli("version").stdout.strip() == "1.0.0"
    out = run_cli("secret").stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", out)
    assert out != run_cli("secret").stdout.strip()


def test_python_dash_m_is_the_same_command() -> None:
    """Unknown commands are usage errors (exit 2)."""
    result = run_cli("no-such-command")
    assert result.returncode == 2


def test_dash_dash_version_prints_the_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "boundary 1.0.0"


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (("no-such-command",), "No such command 'no-such-command'"),
        (("migrate", "migrate", "--no-such-option"), "No such option: --no-such-option"),
        (("migrate", "rollback", "--steps", "many"), "Invalid value for '--steps'"),
    ],
)
def test_usage_errors_are_one_line_on_stderr_with_exit_2(argv: tuple[str, ...], named: str) -> None:
    result = run_cli(*argv)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert named in lines[0]
    assert lines[0].startswith("boundary")
    assert result.stdout == ""


def test_prod_without_jwt_secret_exits_2_with_one_line() -> None:
    """In prod a missing JWT_SECRET refuses to start: exit 2, one line naming it."""
    env = {
        "ENV": "prod",
        "DATABASE_URL": "postgresql://u:p@127.0.0.1:5432/db",
        "SESSION_SECRET": "s" * 40,
    }
    result = run_cli("serve", env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "JWT_SECRET" in lines[0]
    assert result.stdout == ""


def test_prod_refusals_never_print_the_secret() -> None:
    """A too-short secret is refused by name without echoing its value."""
    env = {
        "ENV": "production",
        "DATABASE_URL": "postgresql://u:p@h/db",
        "JWT_SECRET": "short-secret-value",
        "SESSION_SECRET": "s" * 40,
    }
    result = run_cli("config", "check", env=env)
    assert result.returncode == 2
    assert "JWT_SECRET" in result.stderr
    assert "short-secret-value" not in result.stderr + result.stdout


def test_config_check_and_bad_values() -> None:
    """`config check` exits 0 for a valid env and 2 naming key and source for a bad one."""
    assert run_cli("config", "check").returncode == 0
    bad = run_cli("config", "check", env={"PORT": "not-a-port"})
    assert bad.returncode == 2
    assert "http.port" in bad.stderr
    assert "PORT" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    assert run_cli("config", "check", env={"ENV": "staging"}).returncode == 2


def test_config_check_warns_when_shutdown_exceeds_grace_period() -> None:
    """wait + drain longer than ops.termination_grace_period is a warning, not an error."""
    result = run_cli("config", "check", env={"GRACEFUL_SHUTDOWN_WAIT_DURATION": "45s"})
    assert result.returncode == 0
    assert "termination_grace_period" in result.stderr


def test_config_show_lists_sources_and_redacts_secrets() -> None:
    """`config show`: one line per key with its source; secret values never printed."""
    env = {"PORT": "3999", "JWT_SECRET": "x" * 48, "BOUNDARY_HTTP__MAX_BODY_BYTES": "2048"}
    result = run_cli("config", "show", env=env)
    assert result.returncode == 0
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert "3999" in lines["http.port"]
    assert "PORT" in lines["http.port"]
    assert "BOUNDARY_HTTP__MAX_BODY_BYTES" in lines["http.max_body_bytes"]
    assert "x" * 48 not in result.stdout
    assert "default" in lines["ops.port"]


def test_health_command_exit_codes(start_service: StartService) -> None:
    """`boundary health --url` exits 0 against a ready service and 1 against a closed port."""
    svc = start_service()
    ok = run_cli("health", "--url", f"{svc.ops}/health/ready")
    assert ok.returncode == 0, ok.stderr
    closed = run_cli("health", "--url", f"http://127.0.0.1:{free_port()}/health/ready")
    assert closed.returncode == 1
