"""Mail bench: how fast the outbox drains into a local SMTP server, and what a password-reset
request costs.

    .venv/bin/python bench/mail.py                                   # SQLite file in a tmp dir
    .venv/bin/python bench/mail.py --database-url postgresql://postgres@127.0.0.1:5432/bench_mail
    .venv/bin/python bench/mail.py --messages 5000 --batch-size 100 --requests 300

Throughput: `--messages` mails are queued in one transaction, then one sender (as in one serve
process) delivers them to aiosmtpd on 127.0.0.1 (accepting everything); mails/s is queued count
over the time until the server has them all. Reset cost: `--requests` reset requests for
distinct existing users through the ASGI app (no network), each queueing a mail — with the
constant-time floor off, to show the work behind the floor, then once with it on. The database
must be empty (a PostgreSQL or MySQL database is created by you, migrated here).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


class _Counter:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.count += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def main(args: argparse.Namespace) -> None:
    import httpx
    from aiosmtpd.controller import Controller
    from tests.support.user_api import UserApi, cheap_passwords

    import boundary.account.shell.service as reset_service
    from boundary.config.shell import load_config
    from boundary.http.app import create_api_app
    from boundary.mail.core import Message
    from boundary.mail.shell import outbox
    from boundary.migrations.shell import MigrationRunner
    from boundary.observability.logging import configure_logging
    from boundary.system import build_system

    configure_logging(level="error", fmt="console", service="bench")
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    counter = _Counter()
    port = _free_port()
    controller = Controller(counter, hostname="127.0.0.1", port=port, ready_timeout=5)
    controller.start()
    tmp = tempfile.mkdtemp(prefix="bench-mail-")
    url = args.database_url or f"sqlite:///{tmp}/bench.db"
    env = {
        "DATABASE_URL": url,
        "MAIL_URL": f"smtp://127.0.0.1:{port}",
        "BOUNDARY_MAIL__BATCH_SIZE": str(args.batch_size),
        "BOUNDARY_MAIL__POLL_INTERVAL": "0.05",
        "BOUNDARY_RATE_LIMIT__ENABLED": "false",
        "LOG_LEVEL": "error",
    }
    settings = load_config(env="test", config_dir=ROOT / "config", environ=env).settings
    system = build_system(settings, passwords=cheap_passwords())
    await MigrationRunner(system.database, ROOT / "migrations").migrate()
    try:
        # --- outbox throughput ------------------------------------------------------------
        now = datetime.now(UTC)
        async with system.database.connect() as conn, conn.begin():
            for n in range(args.messages):
                message = Message(
                    kind="password_reset",
                    recipient=f"bench{n}@example.com",
                    subject="Reset your Boundary password",
                    text=f"https://id.example.org/account/reset-password?token={n:043d}\n",
                    html=f"<a href='https://id.example.org/x?token={n:043d}'>Reset</a>",
                )
                await outbox.enqueue(conn, id=uuid.uuid4(), message=message, now=now)
        started = time.perf_counter()
        await system.start()
        # The SMTP server counts in its own thread: poll its counter.
        while counter.count < args.messages:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        elapsed = time.perf_counter() - started
        print(
            f"outbox: {args.messages} mails in {elapsed:.2f} s = "
            f"{args.messages / elapsed:.0f} mails/s "
            f"({system.database.dialect}, batch {args.batch_size}, one sender)"
        )

        # --- reset request cost -----------------------------------------------------------
        transport = httpx.ASGITransport(app=create_api_app(system), client=("127.0.0.1", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            api = UserApi(system=system, client=client)
            users = [await api.make_user() for _ in range(args.requests + 20)]
            for floor, label in ((0.0, "work (floor off)"), (None, "as served (floor on)")):
                original = reset_service.RESET_FLOOR_SECONDS
                if floor is not None:
                    reset_service.RESET_FLOOR_SECONDS = floor  # type: ignore[misc]
                batch = users[: args.requests] if floor is not None else users[-20:]
                times = []
                for user in batch:
                    t0 = time.perf_counter()
                    answer = await client.post(
                        "/api/v1/auth/password-reset", json={"email": user.email}
                    )
                    times.append((time.perf_counter() - t0) * 1000)
                    assert answer.status_code == 202, answer.text
                reset_service.RESET_FLOOR_SECONDS = original  # type: ignore[misc]
                times.sort()
                print(
                    f"reset request, {label}: n={len(times)} "
                    f"p50 {statistics.median(times):.1f} ms, "
                    f"p90 {times[int(len(times) * 0.9) - 1]:.1f} ms, max {times[-1]:.1f} ms"
                )
            unknown = []
            for n in range(20):
                t0 = time.perf_counter()
                await client.post(
                    "/api/v1/auth/password-reset", json={"email": f"nobody{n}@example.com"}
                )
                unknown.append((time.perf_counter() - t0) * 1000)
            print(
                f"reset request, unknown email (floor on): p50 {statistics.median(unknown):.1f} ms"
            )
    finally:
        await system.aclose()
        controller.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--requests", type=int, default=200)
    asyncio.run(main(parser.parse_args()))
