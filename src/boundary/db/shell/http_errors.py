"""HTTP mapping of database failures (shell): `DatabaseUnavailable` → 503 problem.

A request that cannot get a connection (pool exhausted past `pool_timeout_ms`, server down)
answers 503 with `Retry-After`, so clients and load balancers back off instead of hanging.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.responses import Response

from boundary.db.errors import DatabaseUnavailable
from boundary.http.errors import problem_response
from boundary.kernel.problems import standard_problem
from boundary.observability.logging import Logger

RETRY_AFTER_SECONDS = "1"
DETAILS = {
    "pool_exhausted": "All database connections are busy; retry shortly.",
    "unreachable": "The database is unreachable; retry shortly.",
}


def install_database_errors(app: FastAPI, logger: Logger) -> None:
    async def handle(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DatabaseUnavailable)
        logger.warn(
            "Database unavailable", reason=exc.reason, method=request.method, path=request.url.path
        )
        problem = standard_problem(503, detail=DETAILS[exc.reason])
        return problem_response(problem, request, {"Retry-After": RETRY_AFTER_SECONDS})

    app.add_exception_handler(DatabaseUnavailable, handle)
