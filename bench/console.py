"""What an admin console page costs: GET /admin/users (and a search) with 10,000 users.

    .venv/bin/python bench/console.py                    # 10,000 users, 300 requests per page
    .venv/bin/python bench/console.py --users 1000000 --requests 100

Seeds PostgreSQL as `make bench` does (bench/seed.py, reused when already seeded), starts
`boundary serve --workers 1` as production runs it (ENV=prod, LOG_LEVEL=warn), signs in to the
console as the seeded admin (CSRF token and cookie, as a browser does) and requests each page
sequentially from one client: the latency of one page render (session check, permission check,
one listing query, template), not throughput. Prints p50/p90/p99 in ms per page.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import time
from pathlib import Path

import httpx
import seed
from harness import servers

ROOT = Path(__file__).resolve().parents[1]
PAGES = {
    "users": "/admin/users",
    "users page 2": "/admin/users?page=2",
    "users search": "/admin/users?q=garcia",
    "user": None,  # filled with the first listed user's page
    "status": "/admin/status/panel",
}


def sign_in(base: str) -> str:
    """The `boundary_admin` cookie value after a console sign-in."""
    form = httpx.get(f"{base}/admin/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token is not None, form.text
    nonce = form.cookies.get("boundary_admin_login")
    answer = httpx.post(
        f"{base}/admin/login",
        data={"email": seed.ADMIN_EMAIL, "password": seed.PASSWORD, "csrf": token.group(1)},
        headers={"Cookie": f"boundary_admin_login={nonce}"},
    )
    assert answer.status_code == 303, answer.text
    match = re.search(r"boundary_admin=([^;]+)", answer.headers.get("set-cookie", ""))
    assert match is not None, answer.headers
    return match.group(1)


def measure(client: httpx.Client, path: str, count: int) -> list[float]:
    for _ in range(10):  # warm-up
        client.get(path).raise_for_status()
    times = []
    for _ in range(count):
        started = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
    return times


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--url", help="PostgreSQL URL (default boundary_bench_<users>)")
    args = parser.parse_args()
    url = args.url or f"postgresql://postgres@127.0.0.1:5432/boundary_bench_{args.users}"
    options = argparse.Namespace(
        metrics="prometheus", rate_limit="memory", rate_limit_strategy=None
    )
    env = servers.service_env(options, url)
    asyncio.run(seed.seed(url, args.users, env))
    servers.RESULTS.mkdir(parents=True, exist_ok=True)
    started = servers.start_servers(set(), env, 1, "console", "console")
    try:
        base = started["boundary"].url
        cookie = sign_in(base)
        with httpx.Client(
            base_url=base, headers={"Cookie": f"boundary_admin={cookie}"}, timeout=30
        ) as client:
            listing = client.get("/admin/users")
            first = re.search(r'href="(/admin/users/[0-9a-f-]{36})"', listing.text)
            assert first is not None, listing.text[:500]
            pages = {**PAGES, "user": first.group(1)}
            print(f"{args.users} users, {args.requests} sequential requests per page")
            print(f"{'page':<14} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
            for name, path in pages.items():
                assert path is not None
                times = measure(client, path, args.requests)
                print(
                    f"{name:<14} {percentile(times, 50):8.2f} {percentile(times, 90):8.2f} "
                    f"{percentile(times, 99):8.2f} {statistics.fmean(times):8.2f}"
                )
    finally:
        for server in started.values():
            server.stop()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "bench"))
    sys.exit(main())
