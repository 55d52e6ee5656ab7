"""Load-test a real `boundary serve` with wrk; print requests/s and latency percentiles.

    make bench                                      # the api scenario on PostgreSQL
    .venv/bin/python bench/run.py --scenario health --workers 1 2
    .venv/bin/python bench/run.py --scenario api --database-url postgresql://…/boundary_bench

Scenarios:
  health  /health/live and /health (the default database of the env, or --database-url)
  api     seeds 10,000 users (bench/seed.py), then /health, POST /api/v1/auth/login,
          GET /api/v1/auth/me and GET /api/v1/users?limit=20 with an admin's token
The service runs on free ports with JSON logs to bench/results/; wrk comes from Debian's
packages (installed if missing). Rate limiting is off unless --rate-limit says otherwise, so
the numbers measure the service, not the limiter (when on, its limits are set so high that
nothing is refused). --metrics picks the providers (default prometheus), --only me runs just
the authenticated read — the comparison of limiter and metrics costs:

    .venv/bin/python bench/run.py --only me --rate-limit off|memory|redis
    .venv/bin/python bench/run.py --only me --metrics none|statsd|prometheus
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
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
REPORT = (ROOT / "bench" / "report.lua").read_text()
TARGETS = "guide floor: p50 < 100 ms, p95 < 500 ms, p99 < 1000 ms, > 1000 req/s"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/boundary_bench"
ADMIN = {"email": "bench-admin@example.com", "password": "bench-password-not-common-1"}


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


def start_service(workers: int, env_extra: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port, ops_port = free_port(), free_port()
    env = {
        **os.environ,
        "ENV": "dev",
        "PORT": str(port),
        "OPS_PORT": str(ops_port),
        "LOG_FORMAT": "json",
        "BOUNDARY_HTTP__HOST": "127.0.0.1",
        "BOUNDARY_OPS__HOST": "127.0.0.1",
        **env_extra,
    }
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
    wrk: str,
    url: str,
    args: argparse.Namespace,
    *,
    headers: tuple[str, ...] = (),
    body: str | None = None,
) -> dict[str, float]:
    setup = ""
    if body is not None:
        setup = (
            f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
            f"wrk.body = [[{body}]]\n"
        )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(setup + REPORT)
    cmd = [
        wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "-s",
        script.name,
    ]
    for header in headers:
        cmd += ["-H", header]
    warm = [*cmd[:3], "-d2s", *cmd[4:], url]
    subprocess.run(warm, capture_output=True, check=True)
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    line = next(ln for ln in reversed(out.splitlines()) if ln.startswith("{"))
    return dict(json.loads(line))


def admin_token(base: str) -> str:
    request = urllib.request.Request(
        f"{base}/api/v1/auth/login",
        data=json.dumps(ADMIN).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.load(response)["access_token"])


def row(workers: int, name: str, r: dict[str, float]) -> None:
    print(
        f"{workers:>7} {name:<30} {r['rps']:>9.0f} {r['p50_ms']:>8.2f} {r['p90_ms']:>8.2f} "
        f"{r['p95_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['errors']:>7.0f} {r['non_2xx']:>7.0f}",
        flush=True,
    )


def scenario(args: argparse.Namespace, wrk: str, workers: int, base: str) -> None:
    if args.scenario == "health":
        for path in ("/health/live", "/health"):
            row(workers, path, run_wrk(wrk, base + path, args))
        return
    if args.only == "me":
        auth = (f"Authorization: Bearer {admin_token(base)}",)
        me = run_wrk(wrk, base + "/api/v1/auth/me", args, headers=auth)
        row(workers, "GET /api/v1/auth/me", me)
        return
    row(workers, "GET /health", run_wrk(wrk, base + "/health", args))
    row(
        workers,
        "POST /api/v1/auth/login",
        run_wrk(wrk, base + "/api/v1/auth/login", args, body=json.dumps(ADMIN)),
    )
    auth = (f"Authorization: Bearer {admin_token(base)}",)
    row(workers, "GET /api/v1/auth/me", run_wrk(wrk, base + "/api/v1/auth/me", args, headers=auth))
    row(
        workers,
        "GET /api/v1/users?limit=20",
        run_wrk(wrk, base + "/api/v1/users?limit=20", args, headers=auth),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=["health", "api"], default="api")
    parser.add_argument("--workers", type=int, nargs="+", default=[1])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--rate-limit", choices=["off", "memory", "redis"], default="off")
    parser.add_argument(
        "--rate-limit-strategy",
        choices=["moving-window", "sliding-window-counter"],
        default=None,
        help="rate_limit.strategy (default: the configured one)",
    )
    parser.add_argument(
        "--metrics",
        choices=["none", "prometheus", "statsd", "both"],
        default="prometheus",
        help="metrics.providers; statsd sends to 127.0.0.1:8125 whether or not anyone listens",
    )
    parser.add_argument(
        "--only",
        choices=["all", "me"],
        default="all",
        help="api scenario: every request, or only the authenticated read GET /auth/me",
    )
    args = parser.parse_args()
    env: dict[str, str] = {}
    if args.scenario == "api":
        args.database_url = args.database_url or DEFAULT_PG
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "seed.py"), args.database_url],
            check=True,
            cwd=ROOT,
        )
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    if args.rate_limit == "off":
        env["BOUNDARY_RATE_LIMIT__ENABLED"] = "false"
    else:
        # Limits high enough that nothing is refused: the limiter does its full work on every
        # request, which is what its cost is measured by.
        env["BOUNDARY_RATE_LIMIT__PUBLIC"] = "100000000/minute"
        env["BOUNDARY_RATE_LIMIT__AUTHENTICATED"] = "100000000/minute"
        if args.rate_limit_strategy:
            env["BOUNDARY_RATE_LIMIT__STRATEGY"] = args.rate_limit_strategy
        if args.rate_limit == "redis":
            env["RATE_LIMIT_STORAGE_URL"] = os.environ.get(
                "BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"
            )
    env["BOUNDARY_METRICS__PROVIDERS"] = {
        "none": "none",
        "prometheus": "prometheus",
        "statsd": "datadog-statsd",
        "both": "prometheus,datadog-statsd",
    }[args.metrics]
    wrk = ensure_wrk()
    print(
        f"{'workers':>7} {'request':<30} {'req/s':>9} {'p50 ms':>8} {'p90 ms':>8} "
        f"{'p95 ms':>8} {'p99 ms':>8} {'errors':>7} {'non2xx':>7}"
    )
    for workers in args.workers:
        proc, base = start_service(workers, env)
        try:
            scenario(args, wrk, workers, base)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
    print(
        f"({args.connections} connections, {args.duration}s per run, rate limiting "
        f"{args.rate_limit}; {TARGETS})"
    )


if __name__ == "__main__":
    main()
