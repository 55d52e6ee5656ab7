"""A real `boundary serve` subprocess on free ports, for end-to-end tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
SERVE_HOOK = Path(__file__).resolve().parent / "serve_hook"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def boundary_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "boundary", *args]


def base_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The test environment: no inherited Boundary/guide variables, ENV=test."""
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TMPDIR"}}
    env = {**keep, "ENV": "test", "PYTHONUNBUFFERED": "1"}
    env.update(extra or {})
    return env


def run_cli(
    *args: str, env: Mapping[str, str] | None = None, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        boundary_cmd(*args),
        cwd=ROOT,
        env=base_env(env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class Service:
    """`boundary serve` started on free ports; collects its output lines."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        args: tuple[str, ...] = (),
        *,
        api_port: int | None = None,
    ) -> None:
        self.api_port = api_port or free_port()
        self.ops_port = free_port()
        self.lines: list[str] = []
        full_env = base_env(
            {
                "PORT": str(self.api_port),
                "OPS_PORT": str(self.ops_port),
                "BOUNDARY_HTTP__HOST": "127.0.0.1",
                "BOUNDARY_OPS__HOST": "127.0.0.1",
                # the test suite's own routes (tests/support/test_routes.py)
                "PYTHONPATH": str(SERVE_HOOK),
                **(env or {}),
            }
        )
        self.proc = subprocess.Popen(
            boundary_cmd("serve", *args),
            cwd=ROOT,
            env=full_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,  # its own process group: `stop` reaches the workers too
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def ops(self) -> str:
        return f"http://127.0.0.1:{self.ops_port}"

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Block until ops /health/ready is 200 (fails the test with the output otherwise)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"service exited {self.proc.returncode}:\n{self.output()}")
            try:
                if httpx.get(f"{self.ops}/health/ready", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"service not ready in {timeout}s:\n{self.output()}")

    def signal(self, sig: int = signal.SIGTERM) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 30.0) -> int:
        code = self.proc.wait(timeout)
        self._reader.join(5)
        return code

    def output(self) -> str:
        return "\n".join(self.lines)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # workers a supervisor left behind
        self._reader.join(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
