"""deploy/systemd (issue #7 item 2): `systemd-analyze verify`, the shutdown arithmetic, the
hardening, and the example env file accepted by `boundary config check` (prod)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.ops.envfiles import config_check, read_env_file, seconds, with_real_secrets
from tests.ops.tools import tool

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "systemd" / "boundary.service"
ENV_EXAMPLE = ROOT / "deploy" / "systemd" / "production.env.example"
SYSTEM_UNITS = Path("/usr/lib/systemd/system")


def unit_entries() -> dict[str, dict[str, list[str]]]:
    """section → key → values (systemd allows repeated keys), continuation lines joined."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    pending = ""
    for raw in UNIT.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith(("#", ";"))):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        assert current is not None, f"entry outside a section: {line}"
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def service(key: str) -> str:
    return unit_entries()["Service"][key][-1]


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    """Verified in a scratch root holding the system's units, the unit and its ExecStart."""
    analyze = tool("systemd-analyze")
    if not (SYSTEM_UNITS / "sysinit.target").exists():
        pytest.fail(f"{SYSTEM_UNITS} has no sysinit.target: cannot verify against systemd units")
    root = tmp_path / "root"
    shutil.copytree(SYSTEM_UNITS, root / "usr/lib/systemd/system", symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    shutil.copy(UNIT, root / "etc/systemd/system/boundary.service")
    for key in ("ExecStart", "ExecStartPre"):
        for command in unit_entries()["Service"].get(key, []):
            binary = root / command.split()[0].lstrip("-@+!:").lstrip("/")
            binary.parent.mkdir(parents=True, exist_ok=True)
            binary.write_text("#!/bin/sh\nexit 0\n")
            binary.chmod(0o755)
    proc = subprocess.run(
        [analyze, "verify", "--man=no", f"--root={root}", "boundary.service"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    # Unknown keys and unparseable values are only warnings (exit 0): none may appear.
    assert "boundary.service" not in output, output


def test_restart_and_stop_behaviour() -> None:
    assert service("Restart") == "on-failure"
    assert service("KillSignal") == "SIGTERM"
    # The main process forwards SIGTERM to its workers; a second SIGTERM means "exit at once".
    assert service("KillMode") == "mixed"
    assert service("RestartPreventExitStatus") == "2"
    assert service("ExecStart").endswith("boundary serve")
    assert service("User") == "boundary"


def test_timeout_stop_covers_wait_plus_drain() -> None:
    env = read_env_file(ENV_EXAMPLE)
    wait = seconds(env["GRACEFUL_SHUTDOWN_WAIT_DURATION"])
    drain = seconds(env.get("BOUNDARY_OPS__SHUTDOWN_TIMEOUT", "30s"))
    stop = seconds(service("TimeoutStopSec"))
    assert stop > wait + drain, f"TimeoutStopSec {stop}s must exceed wait {wait}s + drain {drain}s"
    # config check warns by the same rule when termination_grace_period is kept equal to it.
    assert seconds(env["BOUNDARY_OPS__TERMINATION_GRACE_PERIOD"]) == stop


def test_hardening() -> None:
    assert service("NoNewPrivileges") == "yes"
    assert service("ProtectSystem") == "strict"
    assert service("PrivateTmp") == "yes"
    assert service("ProtectHome") == "yes"
    writable = service("ReadWritePaths").split()
    assert "/opt/boundary/var" in writable
    assert service("WorkingDirectory") == "/opt/boundary"
    assert service("CapabilityBoundingSet") == ""


def test_env_example_is_accepted_by_config_check_once_secrets_are_filled_in() -> None:
    env = read_env_file(ENV_EXAMPLE)
    assert env["ENV"] == "prod"
    # As shipped (placeholders), prod refuses to start: the example cannot go live by mistake.
    refused = config_check(env)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "JWT_SECRET" in refused.stderr
    accepted = config_check(with_real_secrets(env))
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "warning" not in accepted.stderr.lower(), accepted.stderr


def test_every_unit_path_is_explained() -> None:
    """EnvironmentFile and ReadWritePaths are the layout the unit's header documents."""
    header = UNIT.read_text()
    env_file = service("EnvironmentFile").lstrip("-")
    assert env_file in header
    assert re.search(r"production\.env\.example", header)
