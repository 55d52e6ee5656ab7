"""Load-test a real `boundary serve` against bare reference apps run alongside it; print ratios.

    make bench                      # 10,000 users (+ the admin) in boundary_bench_10000
    make bench SCALE=1000000        # a million, plus the growth against the last 10,000 run
    .venv/bin/python bench/run.py --only live me --rounds 3 --duration 20

How it measures: wrk -t1 -c50 (login -c10) against
`boundary serve --workers 1` with ENV=prod, LOG_LEVEL=warn, Prometheus metrics on, rate
limiting on (memory storage, limits so high nothing is refused), PostgreSQL seeded by
bench/seed.py. Rows with a reference alternate it with Boundary in the same invocation
(reference, Boundary, reference, Boundary, … after a warm-up of each), so both see the same
machine; the ratio is Boundary's req/s over the reference's:

  bare     bench/reference/bare_asgi.py: a raw ASGI app answering a small JSON body
  asyncpg  bench/reference/asgi_asyncpg.py: raw ASGI + asyncpg primary-key SELECT of a user

Both run on uvicorn with Boundary's options (uvloop, httptools, no access log, as many
processes as Boundary's workers). Per row: req/s, p50/p90/p99, the reference's req/s, the
ratio, the server's peak RSS (VmHWM, summed over its processes) and CPU (% of one core over the
measured runs), the target and PASS/MISS. Results go to bench/results/bench-<scale>-<time>.json
and .txt.

Other knobs: --rate-limit off|memory|redis, --metrics none|prometheus|statsd|both,
--workers 1 2 (one table each), --only ROW… (live ops-health me user users users-q
users-q-broad users-deep login), --scenario health (the two health rows).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

import seed
from harness import load, measure, rows, servers, table
from harness.rows import ROWS

ROOT = Path(__file__).resolve().parents[1]
RESULTS = servers.RESULTS
HEALTH_ROWS = ("live", "ops-health")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10_000, help="seeded users (plus an admin)")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432"),
        help="server URL; the database is boundary_bench_<scale>",
    )
    parser.add_argument(
        "--database-url",
        help="seed and use this database instead (its users are replaced unless it already "
        "holds exactly the seeded ones)",
    )
    parser.add_argument("--only", nargs="+", choices=[r.key for r in ROWS], help="these rows")
    parser.add_argument(
        "--scenario",
        choices=["health", "api"],
        default="api",
        help="health: only the two health rows; api: every row (the default)",
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1])
    parser.add_argument("--duration", type=float, default=10, help="seconds per measured run")
    parser.add_argument("--rounds", type=int, default=2, help="measured runs per server and row")
    parser.add_argument("--warmup", type=float, default=2, help="seconds before the rounds")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--login-connections", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=30, help="wrk's per-request timeout")
    parser.add_argument(
        "--q", default="garcia", help="the users-q-broad row's search text (~1%% of users)"
    )
    parser.add_argument(
        "--q-selective",
        help="the users-q row's search text (default: seeded user 1234's last name and "
        "number, which match a handful of users at every scale)",
    )
    parser.add_argument(
        "--deep", type=float, default=0.9, help="the users-deep row's offset, a share of the rows"
    )
    parser.add_argument("--sample", type=int, default=1000, help="random users to pick from")
    parser.add_argument("--rate-limit", choices=["off", "memory", "redis"], default="memory")
    parser.add_argument(
        "--rate-limit-strategy",
        choices=["moving-window", "sliding-window-counter"],
        help="rate_limit.strategy (default: the configured one)",
    )
    parser.add_argument(
        "--metrics",
        choices=["none", "prometheus", "statsd", "both"],
        default="prometheus",
        help="metrics.providers; statsd sends to 127.0.0.1:8125 whether or not anyone listens",
    )
    return parser.parse_args()


async def prepare(url: str, scale: int, sample: int, env: dict[str, str]) -> measure.Dataset:
    await seed.seed(url, scale, env)
    await seed.forget_activity(url)
    ids, emails = await seed.sample(url, sample)
    return measure.Dataset(
        url,
        scale,
        tuple(ids),
        tuple(emails),
        await seed.admin_id(url),
        await seed.selective_q(url),
    )


def meta(args: argparse.Namespace, data: measure.Dataset, workers: int, wrk: str) -> dict[str, Any]:
    def output(*cmd: str) -> str:
        """The first line `cmd` prints (wrk -v prints its version and exits 1)."""
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        return next(iter((done.stdout or done.stderr).splitlines()), "").strip()

    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "commit": output("git", "rev-parse", "--short", "HEAD"),
        "dirty": bool(output("git", "status", "--porcelain", "--untracked-files=no")),
        "scale": data.scale,
        "database": data.url.rsplit("/", 1)[-1],
        "workers": workers,
        "duration_s": args.duration,
        "rounds": args.rounds,
        "warmup_s": args.warmup,
        "connections": args.connections,
        "login_connections": args.login_connections,
        "threads": args.threads,
        "rate_limit": args.rate_limit,
        "metrics": args.metrics,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "wrk": output(wrk, "-v"),
    }


def bench(
    args: argparse.Namespace, data: measure.Dataset, env: dict[str, str], wrk: str, workers: int
) -> None:
    selected = [
        r
        for r in ROWS
        if (not args.only or r.key in args.only)
        and (args.scenario == "api" or r.key in HEALTH_ROWS)
    ]
    info = meta(args, data, workers, wrk)
    tag = f"{data.scale}-w{workers}"
    printed: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        printed.append(text)

    say(
        f"Boundary {info['commit']}{' (dirty)' if info['dirty'] else ''}: {data.scale + 1:,} users "
        f"({info['database']}), --workers {workers}, ENV=prod LOG_LEVEL=warn, metrics "
        f"{args.metrics}, rate limiting {args.rate_limit}"
    )
    say(
        f"wrk -t{args.threads} -c{args.connections} (login -c{args.login_connections}), "
        f"{args.rounds} x {args.duration:g}s per server and row after {args.warmup:g}s warm-up, "
        f"reference and Boundary alternating; {info['cpus']} CPUs"
    )
    say()
    say(table.header())
    running = servers.start_servers(
        {r.reference for r in selected if r.reference}, env, workers, tag, data.admin_id
    )
    results = []
    try:
        for row in selected:
            results.append(measure.measure(row, wrk, running, data, args, workers))
            say(table.line(results[-1]))
    finally:
        for server in running.values():
            server.stop()
    say()
    say(
        f"Every row: peak RSS <= {rows.RSS_MIB_PER_WORKER * workers} MiB "
        f"({rows.RSS_MIB_PER_WORKER} per worker); CPU % is of one core."
    )
    references = table.reference_lines(results)
    if references:
        say("References in the same run (bench/reference/; same columns):")
        for text in references:
            say(text)
    misses = table.miss_lines(results)
    if misses:
        say()
        for text in misses:
            say(text)
    growth: list[dict[str, Any]] = []
    base = table.latest_base(RESULTS, workers) if data.scale != rows.GROWTH_BASE_SCALE else None
    if base:
        growth = table.growth(results, base[1], data.scale)
        if growth:
            say()
            for text in table.growth_lines(growth, base[0]):
                say(text)
    stem = RESULTS / f"bench-{data.scale}-{time.strftime('%Y%m%d-%H%M%S')}-w{workers}"
    stem.with_suffix(".json").write_text(
        json.dumps({"meta": info, "rows": results, "growth": growth}, indent=2)
    )
    stem.with_suffix(".txt").write_text("\n".join(printed) + "\n")
    print(f"\nsaved {stem.relative_to(ROOT)}.json and .txt")


def main() -> None:
    args = parse_args()
    url = args.database_url or f"{args.postgres.rstrip('/')}/boundary_bench_{args.scale}"
    env = servers.service_env(args, url)
    RESULTS.mkdir(parents=True, exist_ok=True)
    wrk = load.ensure_wrk()
    data = asyncio.run(prepare(url, args.scale, args.sample, env))
    for workers in args.workers:
        bench(args, data, env, wrk, workers)


if __name__ == "__main__":
    main()
