"""The floor for a one-row read: raw ASGI + an asyncpg pool doing a primary-key SELECT.

`GET /users/<uuid>` answers that users row as JSON (the columns Boundary shows, serialised with
orjson as Boundary does); 404 when there is none. The pool has Boundary's default size (10)
and connects to DATABASE_URL at start-up. Served by uvicorn as Boundary is (uvloop, httptools,
no access log, one process):

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/boundary_bench_10000 \
    .venv/bin/uvicorn asgi_asyncpg:app --app-dir bench/reference --loop uvloop --http httptools \
        --no-access-log --workers 1
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import asyncpg
import orjson

POOL_SIZE = int(os.environ.get("DATABASE_POOL_SIZE", "10"))
SELECT_USER = (
    "SELECT id::text AS id, email, name, role, active, mfa_enabled, login_count, last_login, "
    "created_at, updated_at FROM users WHERE id = $1"
)
JSON = [(b"content-type", b"application/json")]

pool: asyncpg.Pool | None = None


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
        return
    if scope["type"] != "http":
        return
    status, body = await user(scope["path"])
    headers = [*JSON, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def user(path: str) -> tuple[int, bytes]:
    prefix, _, tail = path.rpartition("/")
    try:
        user_id = uuid.UUID(tail)
    except ValueError:
        return 404, b'{"status":404}'
    if prefix != "/users" or pool is None:
        return 404, b'{"status":404}'
    row = await pool.fetchrow(SELECT_USER, user_id)
    if row is None:
        return 404, b'{"status":404}'
    return 200, orjson.dumps(dict(row))


async def lifespan(receive: Any, send: Any) -> None:
    global pool
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            dsn = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
            pool = await asyncpg.create_pool(dsn, min_size=POOL_SIZE, max_size=POOL_SIZE)
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if pool is not None:
                await pool.close()
            await send({"type": "lifespan.shutdown.complete"})
            return
