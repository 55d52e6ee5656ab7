"""One row: alternate the reference and Boundary under wrk, and sum the rounds up."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import dataclass, replace
from typing import Any

import seed

from harness import load, procs, rows
from harness.load import Load, Request
from harness.rows import Row
from harness.servers import REFERENCE_APPS, admin_token


@dataclass(frozen=True)
class Dataset:
    """The seeded database and what requests pick from: random users' ids and emails."""

    url: str
    scale: int
    user_ids: tuple[str, ...]
    emails: tuple[str, ...]
    admin_id: str
    selective_q: str


def requests_for(
    row: Row, servers: dict[str, procs.Server], data: Dataset, args: argparse.Namespace
) -> tuple[str, Request, Request | None]:
    """The row's title as printed, Boundary's request and the reference's (if any)."""
    api = servers["boundary"].url
    ref = servers[row.reference].url if row.reference else ""
    if row.key == "live":
        return row.title, Request(api + "/health/live"), Request(ref + "/health/live")
    if row.key == "ops-health":
        return row.title, Request(servers["boundary"].ops_url + "/health"), Request(ref + "/health")
    if row.key == "login":
        bodies = tuple(json.dumps({"email": e, "password": seed.PASSWORD}) for e in data.emails)
        request = Request(api + "/api/v1/auth/login", method="POST", bodies=bodies)
        return f"{row.title} (c{args.login_connections})", request, None
    auth = (f"Authorization: Bearer {admin_token(api)}",)
    if row.key == "me":
        return (
            row.title,
            Request(api + "/api/v1/auth/me", headers=auth),
            Request(f"{ref}/users/{data.admin_id}"),
        )
    if row.key == "user":
        boundary = tuple(f"/api/v1/users/{i}" for i in data.user_ids)
        return (
            f"{row.title} (random)",
            Request(api + boundary[0], headers=auth, paths=boundary),
            Request(
                f"{ref}/users/{data.user_ids[0]}", paths=tuple(f"/users/{i}" for i in data.user_ids)
            ),
        )
    path = "/api/v1/users?limit=20"
    if row.key == "users-q":
        path += f"&q={args.q_selective or data.selective_q}"
    elif row.key == "users-q-broad":
        path += f"&q={args.q}"
    elif row.key == "users-deep":
        path += f"&offset={int(data.scale * args.deep)}"
    return f"GET {path}", Request(api + path, headers=auth), None


def settle(servers: list[procs.Server], url: str, limit: float = 300) -> None:
    """Wait until the requests a finished wrk run left behind are done: the servers idle and no
    query active in the bench database. Otherwise a slow row's backlog (wrk stops sending, the
    server keeps working) would be measured as the next run's slowness."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = [s.cpu_seconds() for s in servers]
        time.sleep(0.5)
        busy = any(s.cpu_seconds() - b > 0.05 for s, b in zip(servers, before, strict=True))
        if not busy and asyncio.run(seed.active_queries(url)) == 0:
            return
    print(f"warning: servers still busy after {limit:.0f}s; measuring anyway", file=sys.stderr)


def timed_run(wrk: str, server: procs.Server, request: Request, load_: Load) -> dict[str, Any]:
    """One measured wrk run, with the server's CPU seconds and the wall time it took."""
    cpu, started = server.cpu_seconds(), time.monotonic()
    result: dict[str, Any] = dict(load.run(wrk, request, load_))
    result["cpu_s"] = server.cpu_seconds() - cpu
    result["wall_s"] = time.monotonic() - started
    return result


def summary(rounds: list[dict[str, Any]], server: procs.Server) -> dict[str, Any]:
    """The rounds together: mean req/s and percentiles, summed errors, CPU over their time."""
    n = len(rounds)
    out: dict[str, Any] = {
        key: sum(r[key] for r in rounds) / n for key in ("rps", "p50_ms", "p90_ms", "p99_ms")
    }
    out["p95_ms"] = sum(r["p95_ms"] for r in rounds) / n
    out["max_ms"] = max(r["max_ms"] for r in rounds)
    out["errors"] = sum(r["errors"] for r in rounds)
    out["requests"] = sum(r["requests"] for r in rounds)
    out["cpu_pct"] = 100 * sum(r["cpu_s"] for r in rounds) / sum(r["wall_s"] for r in rounds)
    out["rss_mib"] = server.peak_rss_mib()
    out["rounds"] = rounds
    return out


def measure(
    row: Row,
    wrk: str,
    servers: dict[str, procs.Server],
    data: Dataset,
    args: argparse.Namespace,
    workers: int,
) -> dict[str, Any]:
    """Warm both up, then alternate reference and Boundary for `args.rounds` rounds."""
    title, request, ref_request = requests_for(row, servers, data, args)
    connections = args.login_connections if row.key == "login" else args.connections
    measured = Load(args.threads, connections, args.duration, args.timeout)
    warm = replace(measured, seconds=args.warmup)
    boundary, ref = servers["boundary"], servers.get(row.reference or "")
    pairs = [(boundary, request)] + ([(ref, ref_request)] if ref and ref_request else [])
    every = list(servers.values())
    for server, req in pairs:
        settle(every, data.url)
        server.reset_peak_rss()
        if args.warmup > 0:
            load.run(wrk, req, warm)
    b_rounds: list[dict[str, Any]] = []
    r_rounds: list[dict[str, Any]] = []
    for _ in range(args.rounds):
        if ref and ref_request:
            settle(every, data.url)
            r_rounds.append(timed_run(wrk, ref, ref_request, measured))
        settle(every, data.url)
        b_rounds.append(timed_run(wrk, boundary, request, measured))
    result: dict[str, Any] = {
        "key": row.key,
        "request": title,
        "target": row.target_label(),
        "boundary": summary(b_rounds, boundary),
        "reference_app": f"{REFERENCE_APPS[row.reference].split(':')[0]}.py"
        if row.reference
        else None,
        "reference": summary(r_rounds, ref) if ref and r_rounds else None,
    }
    b = result["boundary"]
    result["ratio"] = b["rps"] / result["reference"]["rps"] if result["reference"] else None
    result["rss_mib"], result["cpu_pct"] = b["rss_mib"], b["cpu_pct"]
    values = {**b, "ratio": result["ratio"]}
    result["misses"] = rows.misses(row, values, workers)
    return result
