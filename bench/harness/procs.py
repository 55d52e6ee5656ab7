"""The servers under test: start, wait until ready, stop; CPU time and peak RSS from /proc.

A server is its process and every descendant (`--workers N` forks), found through the ppid
field of /proc/<pid>/stat. Peak RSS is VmHWM, reset per measured row by writing "5" to
/proc/<pid>/clear_refs (Linux ≥ 4.0; without it the peak is the process's lifetime peak).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running server: its process, its base URL and (Boundary) its ops listener's URL."""

    name: str
    proc: subprocess.Popen[bytes]
    url: str
    ops_url: str = ""

    def pids(self) -> list[int]:
        return [self.proc.pid, *descendants(self.proc.pid)]

    def cpu_seconds(self) -> float:
        return sum(_cpu_ticks(pid) for pid in self.pids()) / CLOCK_TICKS

    def peak_rss_mib(self) -> float:
        return sum(_status_kib(pid, "VmHWM") for pid in self.pids()) / 1024

    def reset_peak_rss(self) -> None:
        for pid in self.pids():
            with contextlib.suppress(OSError):
                Path(f"/proc/{pid}/clear_refs").write_text("5")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start(
    name: str,
    argv: list[str],
    env: Mapping[str, str],
    *,
    cwd: Path,
    log: Path,
    url: str,
    ready_url: str,
    ops_url: str = "",
) -> Server:
    """Run `argv` with its output in `log`; return once `ready_url` answers 200."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT)
    server = Server(name, proc, url, ops_url)
    try:
        _wait_ready(ready_url, proc, log)
    except BaseException:
        server.stop()
        raise
    return server


def uvicorn_argv(module_app: str, app_dir: Path, port: int, workers: int) -> list[str]:
    """uvicorn with the options Boundary's listeners use (ops/shell/listeners.py)."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        module_app,
        "--app-dir",
        str(app_dir),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--no-server-header",
        "--timeout-keep-alive",
        "5",
        "--log-level",
        "warning",
    ]


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{proc.args!r} exited with {proc.returncode}; see {log}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.HTTPError):
            time.sleep(0.1)
    sys.exit(f"{url} did not answer 200 within {timeout:.0f}s; see {log}")


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat_fields(int(entry.name))
            if stat:
                children.setdefault(int(stat[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _stat_fields(pid: int) -> list[str]:
    """Fields of /proc/<pid>/stat after the command name: [state, ppid, …]."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return raw[raw.rindex(")") + 2 :].split()


def _cpu_ticks(pid: int) -> int:
    fields = _stat_fields(pid)
    # utime and stime are fields 14 and 15 of stat(5); here, after pid and comm, 11 and 12.
    return int(fields[11]) + int(fields[12]) if fields else 0


def _status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
