"""Seed a benchmark database: migrations, N users (one shared password hash) and one admin.

    .venv/bin/python bench/seed.py postgresql://postgres@127.0.0.1:5432/boundary_bench --users 10000

Idempotent: users already there are kept; a PostgreSQL database that does not exist yet is
created first (through the server's `postgres` database), so `make bench` works on a fresh
machine. Prints the admin's email; its password is PASSWORD.
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url

from boundary.db.shell.engine import Database
from boundary.migrations.shell import MigrationRunner
from boundary.observability.logging import configure_logging, get_logger
from boundary.observability.metrics.noop import NoopMetrics
from boundary.user.shell.crypto import Argon2Passwords
from boundary.user.shell.persistence.schema import users as users_table

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password-not-common-1"
ADMIN_EMAIL = "bench-admin@example.com"


async def create_database_if_missing(url: str) -> None:
    """PostgreSQL only: CREATE DATABASE when `url`'s database is not there yet."""
    import asyncpg

    target = make_url(url)
    if not target.drivername.startswith("postgres") or not target.database:
        return
    conn = await asyncpg.connect(
        host=target.host or "127.0.0.1",
        port=target.port or 5432,
        user=target.username or "postgres",
        password=target.password,
        database="postgres",
    )
    try:
        exists = await conn.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", target.database
        )
        if not exists:
            name = target.database.replace('"', '""')
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def seed(url: str, count: int) -> None:
    await create_database_if_missing(url)
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
