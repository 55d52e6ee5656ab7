"""The test suite's own routes: they let end-to-end tests force real failure modes.

`/api/v1/_test/sleep` holds a request in flight (graceful drain), `/api/v1/_test/block`
blocks the API event loop (stall detection), `/api/v1/_test/echo` reads a whole body (body
limit), `/api/v1/_test/db` runs one query and `/api/v1/_test/hold-db` keeps a pooled
connection busy (pool exhaustion, database outages).

They are not part of the service: `boundary serve` started by the tests gets them through
`tests/support/serve_hook/sitecustomize.py`, in-process apps through `create_api_app`'s
`extra_routers`. (The service itself mounts only `/api/v1/_test/error`, under ENV=test.)
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
    time.sleep(seconds)
    return {"blocked": seconds}


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
