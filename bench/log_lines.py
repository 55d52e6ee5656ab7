"""What a log line costs the caller: 100,000 events through `boundary.observability.logging`.

    .venv/bin/python bench/log_lines.py                  # 100,000 lines per case, best of 5
    .venv/bin/python bench/log_lines.py --lines 20000 --repeat 3

Each case configures logging as the service does and logs an access-like event (method, route,
status, duration, user id, client ip, a correlation id bound in contextvars) to /dev/null:

- json / console, direct writer: what a CLI command or a test pays (write + flush per line);
- json, background writer: what the event loop pays (`serve` queues lines to a writer thread),
  then the time until the writer thread has written them all (`flush_logs`);
- json, debug line at info level: a filtered call (probe access lines in production);
- json, stdlib logger: a uvicorn/sqlalchemy-style `logging` call through the root handler.

Prints microseconds per line (best of the repeats: the machine is shared, the minimum is the
least disturbed run).
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from collections.abc import Callable

import structlog

from boundary.observability.logging import configure_logging, flush_logs, get_logger, reset_logging


def _access(n: int) -> Callable[[], None]:
    log = get_logger("boundary.http.access")

    def run() -> None:
        for i in range(n):
            log.info(
                "request",
                method="GET",
                route="/api/v1/users/{id}",
                status=200,
                duration_ms=1.234,
                user_id=i,
                client_ip="127.0.0.1",
            )

    return run


def _filtered(n: int) -> Callable[[], None]:
    log = get_logger("boundary.http.access")

    def run() -> None:
        for _ in range(n):
            log.debug("request", method="GET", route="/health/live", status=200)

    return run


def _stdlib(n: int) -> Callable[[], None]:
    log = logging.getLogger("sqlalchemy.engine")

    def run() -> None:
        for i in range(n):
            log.info("connection %s checked out in %.1f ms", i, 0.25)

    return run


def _measure(
    fmt: str, background: bool, make: Callable[[int], Callable[[], None]], n: int, repeat: int
) -> tuple[float, float]:
    """Best caller time and best time-until-written, both in µs per line."""
    best_call, best_total = float("inf"), float("inf")
    with open(os.devnull, "w") as sink:
        for _ in range(repeat):
            reset_logging()
            configure_logging(level="info", fmt=fmt, stream=sink, background=background)
            run = make(n)
            structlog.contextvars.bind_contextvars(correlation_id="0f8f5a2c-1d2e")
            start = time.perf_counter()
            run()
            called = time.perf_counter()
            flush_logs(timeout=60)
            done = time.perf_counter()
            structlog.contextvars.clear_contextvars()
            best_call = min(best_call, called - start)
            best_total = min(best_total, done - start)
    reset_logging()
    return best_call / n * 1e6, best_total / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    cases = [
        ("json, direct writer", "json", False, _access),
        ("console, direct writer", "console", False, _access),
        ("json, background writer", "json", True, _access),
        ("json, filtered debug line", "json", False, _filtered),
        ("json, stdlib logger", "json", False, _stdlib),
        ("json, stdlib logger, background", "json", True, _stdlib),
    ]
    print(f"{args.lines:,} lines per case, best of {args.repeat}; µs per line")
    print(f"{'case':36} {'caller':>8} {'written':>8}")
    for name, fmt, background, make in cases:
        call, total = _measure(fmt, background, make, args.lines, args.repeat)
        print(f"{name:36} {call:8.2f} {total:8.2f}")


if __name__ == "__main__":
    main()
