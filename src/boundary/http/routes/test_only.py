"""Routes mounted only when ENV=test: they let end-to-end tests force real failure modes.

`/api/v1/_test/sleep` holds a request in flight (graceful drain), `/api/v1/_test/block`
blocks the API event loop (stall detection), `/api/v1/_test/error` raises (500 path),
`/api/v1/_test/echo` reads a whole body (body limit), `/api/v1/_test/db` runs one query and
`/api/v1/_test/hold-db` keeps a pooled connection busy (pool exhaustion, database outages).
Never mounted in dev or prod.
"""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Query, Request

router = APIRouter(prefix="/api/v1/_test", include_in_schema=False)


@router.get("/sleep")
async def sleep(seconds: float = Query(1.0, ge=0, le=60)) -> dict[str, float]:
    await asyncio.sleep(seconds)
    return {"slept": seconds}


@router.get("/block")
async def block(seconds: float = Query(1.0, ge=0, le=60)) -> dict[str, float]:
    time.sleep(seconds)  # noqa: ASYNC251 - blocking the loop is the point of this route
    return {"blocked": seconds}


@router.get("/error")
async def error() -> None:
    raise RuntimeError("forced failure for tests")


@router.post("/echo")
async def echo(request: Request) -> dict[str, int]:
    return {"received": len(await request.body())}


@router.get("/db")
async def db_query(request: Request) -> dict[str, int]:
    async with request.app.state.system.database.connect() as conn:
        value = (await conn.exec_driver_sql("SELECT 1")).scalar_one()
    return {"value": int(value)}


@router.get("/hold-db")
async def hold_db(request: Request, seconds: float = Query(1.0, ge=0, le=60)) -> dict[str, float]:
    async with request.app.state.system.database.connect():
        await asyncio.sleep(seconds)
    return {"held": seconds}
