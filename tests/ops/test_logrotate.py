"""deploy/logrotate/boundary (issue #7 item 4): parsed by logrotate itself, and a forced
rotation of a copy pointed at a temporary directory keeps the writer's file usable."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.ops.tools import tool

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "logrotate" / "boundary"


def logrotate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("logrotate"), *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_logrotate_accepts_the_file(tmp_path: Path) -> None:
    proc = logrotate("--debug", "--state", str(tmp_path / "state"), str(CONFIG))
    assert proc.returncode == 0, proc.stderr
    assert "error" not in proc.stderr.lower(), proc.stderr
    assert "/var/log/boundary/*.log" in proc.stderr


def test_forced_rotation_copies_and_truncates(tmp_path: Path) -> None:
    logs = tmp_path / "log"
    logs.mkdir(mode=0o750)
    config = tmp_path / "boundary"
    config.write_text(CONFIG.read_text().replace("/var/log/boundary/", f"{logs}/"))
    config.chmod(0o644)
    log = logs / "boundary.log"
    with log.open("a") as writer:  # the service's O_APPEND descriptor, kept open
        writer.write('{"level":"info","message":"before"}\n')
        writer.flush()
        proc = logrotate("--force", "--state", str(tmp_path / "state"), str(config))
        assert proc.returncode == 0, proc.stderr
        writer.write('{"level":"info","message":"after"}\n')
        writer.flush()
    rotated = [p for p in logs.iterdir() if p.name != "boundary.log"]
    assert len(rotated) == 1, rotated
    assert "before" in rotated[0].read_text()  # delaycompress: newest rotation stays plain
    assert log.read_text() == '{"level":"info","message":"after"}\n'
