"""Shared helpers: env-file parsing and `boundary config check` against a set of variables."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

from boundary.kernel.durations import parse_duration

ROOT = Path(__file__).resolve().parents[2]


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines (systemd EnvironmentFile / docker --env-file style); comments skipped."""
    values: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not KEY=value: {raw!r}"
        assert key.isidentifier(), f"{path.name}: bad name {key!r}"
        assert key.upper() == key, f"{path.name}: bad name {key!r}"
        values[key] = value.strip().strip('"')
    return values


def seconds(value: str) -> float:
    return parse_duration(value)


def with_real_secrets(env: dict[str, str]) -> dict[str, str]:
    """The example's values with its CHANGE_ME placeholders replaced as an operator would."""
    out = dict(env)
    for key in ("JWT_SECRET", "SESSION_SECRET"):
        out[key] = secrets.token_hex(32)
    return out


def config_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    return subprocess.run(
        [sys.executable, "-m", "boundary", "config", "check"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
