"""Load-test a real `boundary serve` with wrk and print requests/s and latency percentiles.

    make bench                                   # defaults below
    .venv/bin/python bench/run.py --workers 1 2 --duration 10 --connections 50 \
        --path /health/live --path /health [--database-url postgresql://...]

Starts the service on free ports (logs to bench/results/), waits for readiness, runs wrk
(installed from Debian's packages if missing) against each path for each worker count,
and prints one table row per run beside the operations guide's targets.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
TARGETS = "guide floor: p50 < 100 ms, p95 < 500 ms, p99 < 1000 ms, > 1000 req/s"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk not found; installing it from Debian's packages", file=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    return shutil.which("wrk") or sys.exit("wrk could not be installed")


def wait_ready(ops_url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"service exited with {proc.returncode}; see {RESULTS}")
        try:
            with urllib.request.urlopen(f"{ops_url}/health/ready", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    sys.exit("service did not become ready")


def start_service(workers: int, database_url: str | None) -> tuple[subprocess.Popen[bytes], str]:
    port, ops_port = free_port(), free_port()
    env = {
        **os.environ,
        "ENV": "dev",
        "PORT": str(port),
        "OPS_PORT": str(ops_port),
        "LOG_FORMAT": "json",
        "BOUNDARY_HTTP__HOST": "127.0.0.1",
        "BOUNDARY_OPS__HOST": "127.0.0.1",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = (RESULTS / f"service-w{workers}.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "boundary", "serve", "--workers", str(workers)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    wait_ready(f"http://127.0.0.1:{ops_port}", proc)
    return proc, f"http://127.0.0.1:{port}"


def run_wrk(
    wrk: str, url: str, *, duration: int, connections: int, threads: int
) -> dict[str, float]:
    cmd = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "-s",
        str(ROOT / "bench" / "report.lua"),
        url,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in reversed(out.splitlines()) if ln.startswith("{"))
    return dict(json.loads(line))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--path", action="append", dest="paths")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args()
    paths = args.paths or ["/health/live", "/health"]
    wrk = ensure_wrk()
    print(
        f"{'workers':>7} {'path':<28} {'req/s':>9} {'p50 ms':>8} {'p90 ms':>8} "
        f"{'p95 ms':>8} {'p99 ms':>8} {'errors':>7}"
    )
    for workers in args.workers:
        proc, base = start_service(workers, args.database_url)
        try:
            for path in paths:
                run_wrk(
                    wrk, base + path, duration=2, connections=args.connections, threads=args.threads
                )  # warm-up
                r = run_wrk(
                    wrk,
                    base + path,
                    duration=args.duration,
                    connections=args.connections,
                    threads=args.threads,
                )
                print(
                    f"{workers:>7} {path:<28} {r['rps']:>9.0f} {r['p50_ms']:>8.2f} "
                    f"{r['p90_ms']:>8.2f} {r['p95_ms']:>8.2f} {r['p99_ms']:>8.2f} "
                    f"{r['errors']:>7.0f}",
                    flush=True,
                )
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
    print(f"({args.connections} connections, {args.duration}s per run; {TARGETS})")


if __name__ == "__main__":
    main()
