"""Health endpoints on the API listener (§6): `/health`, `/health/live`, `/health/ready`.

Unlike the ops listener, these run the checks live on the API loop, so `/health` touches
the database on every call (that is what a load balancer pointed at the API port expects).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from boundary.ops.core import health_body, readiness, ready_body

if TYPE_CHECKING:
    from boundary.system import System

router = APIRouter(tags=["health"])

ALIVE = b'{"status":"alive"}'
JSON = "application/json"


def _system(request: Request) -> System:
    system: System = request.app.state.system
    return system


@router.get("/health", summary="Overall health with per-check detail")
async def health(request: Request) -> Response:
    system = _system(request)
    results = await system.health.run_all()
    status, body = health_body(
        results,
        service=system.settings.metrics.service,
        version=system.version,
        now=datetime.now(UTC),
    )
    return Response(orjson.dumps(body), status_code=status, media_type=JSON)


@router.get("/health/live", summary="Liveness: the process answers")
async def live() -> Response:
    return Response(ALIVE, media_type=JSON)


@router.get("/health/ready", summary="Readiness: dependencies up and not shutting down")
async def ready(request: Request) -> Response:
    system = _system(request)
    results = await system.health.run_all()
    status, body = ready_body(readiness(results, system.lifecycle.phase))
    return Response(orjson.dumps(body), status_code=status, media_type=JSON)
