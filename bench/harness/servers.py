"""The servers under test: Boundary as production runs it, and the reference apps beside it."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import urllib.request
from pathlib import Path

import seed

from harness import procs

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
REFERENCE_APPS = {"bare": "bare_asgi:app", "asyncpg": "asgi_asyncpg:app"}


def service_env(args: argparse.Namespace, url: str) -> dict[str, str]:
    """Production settings, fresh secrets, and limits too high to refuse anything."""
    env = {
        **os.environ,
        "ENV": "prod",
        "LOG_LEVEL": "warn",
        "DATABASE_URL": url,
        "JWT_SECRET": secrets.token_hex(32),
        "SESSION_SECRET": secrets.token_hex(32),
        "BOUNDARY_HTTP__HOST": "127.0.0.1",
        "BOUNDARY_OPS__HOST": "127.0.0.1",
        "BOUNDARY_METRICS__PROVIDERS": {
            "none": "none",
            "prometheus": "prometheus",
            "statsd": "datadog-statsd",
            "both": "prometheus,datadog-statsd",
        }[args.metrics],
    }
    if args.rate_limit == "off":
        env["BOUNDARY_RATE_LIMIT__ENABLED"] = "false"
        return env
    # The limiter does its full work on every request, which is what its cost is measured by.
    env["BOUNDARY_RATE_LIMIT__PUBLIC"] = "100000000/minute"
    env["BOUNDARY_RATE_LIMIT__AUTHENTICATED"] = "100000000/minute"
    if args.rate_limit_strategy:
        env["BOUNDARY_RATE_LIMIT__STRATEGY"] = args.rate_limit_strategy
    if args.rate_limit == "redis":
        env["RATE_LIMIT_STORAGE_URL"] = os.environ.get(
            "BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"
        )
    return env


def start_servers(
    needed: set[str], env: dict[str, str], workers: int, tag: str, ready_id: str
) -> dict[str, procs.Server]:
    """Boundary (ready when its ops /health/ready says so) and the reference apps `needed`."""
    servers: dict[str, procs.Server] = {}
    try:
        port, ops_port = procs.free_port(), procs.free_port()
        ops = f"http://127.0.0.1:{ops_port}"
        servers["boundary"] = procs.start(
            "boundary",
            [sys.executable, "-m", "boundary", "serve", "--workers", str(workers)],
            {**env, "PORT": str(port), "OPS_PORT": str(ops_port)},
            cwd=ROOT,
            log=RESULTS / f"service-{tag}.log",
            url=f"http://127.0.0.1:{port}",
            ready_url=f"{ops}/health/ready",
            ops_url=ops,
        )
        for name in sorted(needed):
            port = procs.free_port()
            servers[name] = procs.start(
                name,
                procs.uvicorn_argv(
                    REFERENCE_APPS[name], ROOT / "bench" / "reference", port, workers
                ),
                env,
                cwd=ROOT,
                log=RESULTS / f"reference-{name}-{tag}.log",
                url=f"http://127.0.0.1:{port}",
                ready_url=f"http://127.0.0.1:{port}/users/{ready_id}",
            )
    except BaseException:
        for server in servers.values():
            server.stop()
        raise
    return servers


def admin_token(base: str) -> str:
    request = urllib.request.Request(
        f"{base}/api/v1/auth/login",
        data=json.dumps({"email": seed.ADMIN_EMAIL, "password": seed.PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.load(response)["access_token"])
