"""The one route mounted only when ENV=test: `GET /api/v1/_test/error` raises, so tests and
operators can see the 500 path end to end (the problem document, the log line, the Sentry
event). Never mounted in dev or prod. The test suite's other routes (holding a request, blocking
the loop, holding a database connection) live in the test suite, not in the service.
"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/_test", include_in_schema=False)


@router.get("/error")
async def error() -> None:
    raise RuntimeError("forced failure for tests")
