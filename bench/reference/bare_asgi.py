"""The floor for a request that does no work: a raw ASGI callable answering a small JSON body.

Served by uvicorn exactly as Boundary is (uvloop, httptools, no access log, one process):

    .venv/bin/uvicorn bare_asgi:app --app-dir bench/reference --loop uvloop --http httptools \
        --no-access-log --workers 1

Every path gets the same answer; bench/run.py sets Boundary's /health/live and ops /health
against it.
"""

from __future__ import annotations

from typing import Any

import orjson

BODY = orjson.dumps({"status": "alive"})
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
