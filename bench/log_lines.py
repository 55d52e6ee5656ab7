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

Prints microseconds per line, each the best of the repeats: the CPU time of the calling thread
(what the caller, e.g. the event loop, pays), the CPU time of the whole process until every
line is written (the writer thread included) and the wall-clock time until then. The CPU
times are the ones to compare on a shared machine: other processes inflate the wall clock.
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
) -> tuple[float, ...]:
    """Best caller CPU, process CPU and wall-clock times until written, in µs per line."""
    best = [float("inf")] * 3
    with open(os.devnull, "w") as sink:
        for _ in range(repeat):
            reset_logging()
            configure_logging(level="info", fmt=fmt, stream=sink, background=background)
            run = make(n)
            structlog.contextvars.bind_contextvars(correlation_id="0f8f5a2c-1d2e")
            start = (time.thread_time(), time.process_time(), time.perf_counter())
            run()
            caller = time.thread_time()
            flush_logs(timeout=60)
            done = (caller, time.process_time(), time.perf_counter())
            structlog.contextvars.clear_contextvars()
            best = [min(b, end - begin) for b, begin, end in zip(best, start, done, strict=True)]
    reset_logging()
    return tuple(seconds / n * 1e6 for seconds in best)


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
    print(f"{'case':34} {'caller CPU':>10} {'total CPU':>10} {'wall':>8}")
    for name, fmt, background, make in cases:
        caller, total, wall = _measure(fmt, background, make, args.lines, args.repeat)
        print(f"{name:34} {caller:10.2f} {total:10.2f} {wall:8.2f}")


if __name__ == "__main__":
    main()
