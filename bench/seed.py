"""Seed a benchmark database: migrations, N users (one shared password hash) and one admin.

    .venv/bin/python bench/seed.py postgresql://postgres@127.0.0.1:5432/boundary_bench --users 10000

Idempotent: users already there are kept. Prints the admin's email; its password is PASSWORD.
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select

from boundary.db.shell.engine import Database
from boundary.migrations.shell import MigrationRunner
from boundary.observability.logging import configure_logging, get_logger
from boundary.observability.metrics.noop import NoopMetrics
from boundary.user.shell.crypto import Argon2Passwords
from boundary.user.shell.persistence.schema import users as users_table

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password-not-common-1"
ADMIN_EMAIL = "bench-admin@example.com"


async def seed(url: str, count: int) -> None:
    db = Database(
        url,
        pool_size=2,
        pool_timeout_ms=30000,
        metrics=NoopMetrics(),
        logger=get_logger("bench.seed"),
    )
    await MigrationRunner(db, ROOT / "migrations").migrate()
    password_hash = await Argon2Passwords(time_cost=2, memory_cost=19456).hash(PASSWORD)
    now = datetime.now(UTC)
    async with db.transaction() as conn:
        have = (await conn.execute(select(func.count()).select_from(users_table))).scalar_one()
        rows = [
            _row(f"user{i:06d}@example.com", "user", password_hash, now) for i in range(have, count)
        ]
        if have == 0:
            rows.append(_row(ADMIN_EMAIL, "admin", password_hash, now))
        for start in range(0, len(rows), 1000):
            await conn.execute(insert(users_table), rows[start : start + 1000])
    if db.dialect == "postgresql":  # fresh statistics, as autovacuum would give a live system
        async with db.read() as conn:
            await conn.exec_driver_sql("ANALYZE users")
    await db.close()
    print(f"{max(count, have)} users; admin {ADMIN_EMAIL} / {PASSWORD}")


def _row(email: str, role: str, password_hash: str, now: datetime) -> dict[str, object]:
    return {
        "id": uuid.uuid4(),
        "email": email,
        "name": email.split("@")[0],
        "password_hash": password_hash,
        "role": role,
        "active": True,
        "mfa_enabled": False,
        "failed_login_count": 0,
        "login_count": 0,
        "created_at": now,
        "updated_at": now,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--users", type=int, default=10_000)
    args = parser.parse_args()
    configure_logging(level="warn")
    asyncio.run(seed(args.url, args.users))


if __name__ == "__main__":
    main()
